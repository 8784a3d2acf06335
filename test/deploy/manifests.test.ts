import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { parseArgs, parseDuration, type Values } from "../../src/cli/config.js";
import { plainTextRefusal } from "../../src/cli/service.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const KUBERNETES = join(ROOT, "deploy/kubernetes");
/** The uid of the image's USER line. */
const IMAGE_UID = Number(/^USER (\d+):/m.exec(readFileSync(join(ROOT, "Dockerfile"), "utf8"))?.[1]);

// Only what these manifests use is modelled; the test fails on anything else rather than guess.
type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; spec: any };
type Container = { name: string; image: string; args?: string[]; env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[]; ports?: { name?: string; containerPort: number }[]; [k: string]: any };

/**
 * load reads a kustomization the way `kustomize build` would for the features these use: its
 * resources, in order. Anything else (patches, generators) would change the output, so it is
 * refused here rather than ignored.
 */
function load(dir: string): Manifest[] {
  const kustomization = parseYaml(readFileSync(join(dir, "kustomization.yaml"), "utf8")) as Record<string, unknown>;
  expect(Object.keys(kustomization).sort()).toEqual(["apiVersion", "kind", "resources"]);
  expect(kustomization.kind).toBe("Kustomization");
  return (kustomization.resources as string[]).flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((doc) => {
      expect(doc.errors, file).toEqual([]);
      return doc.toJS() as Manifest;
    }),
  );
}

const variants = readdirSync(KUBERNETES).filter((name) => existsSync(join(KUBERNETES, name, "kustomization.yaml")));

/** host and port of a HOST:PORT flag value. */
function hostPort(value: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(value);
  expect(m, value).not.toBeNull();
  return { host: m![1]!, port: Number(m![2]) };
}

/** fileIn finds the secret volume (and its key) a container sees at `path`. */
function fileIn(pod: any, container: Container, path: string): { secret: string; key: string } | undefined {
  for (const mount of container.volumeMounts ?? []) {
    if (!path.startsWith(`${mount.mountPath}/`)) continue;
    expect(mount.subPath, `${path}: a subPath mount is never updated`).toBeUndefined();
    const volume = pod.volumes.find((v: any) => v.name === mount.name);
    if (!volume?.secret) return undefined;
    const rest = path.slice(mount.mountPath.length + 1);
    const items: { key: string; path: string }[] | undefined = volume.secret.items;
    const key = items ? items.find((i) => i.path === rest)?.key : rest;
    return key === undefined ? undefined : { secret: volume.secret.secretName, key };
  }
  return undefined;
}

describe("Kubernetes manifests", () => {
  it("has the sidecar base, the separate-pod mutual TLS variant and the service-mode variant", () => {
    expect(variants.sort()).toEqual(["separate-pod-mtls", "service-mode", "sidecar"]);
  });

  for (const variant of variants) {
    describe(variant, () => {
      const manifests = load(join(KUBERNETES, variant));
      const deployments = manifests.filter((m) => m.kind === "Deployment");
      const connectorPod = deployments.find((d) => d.spec.template.spec.containers.some((c: Container) => c.name === "connector"))!.spec.template;
      const pod = connectorPod.spec;
      const connector: Container = pod.containers.find((c: Container) => c.name === "connector");
      // The real flag parser: a misspelt flag or a bad value fails here as it would in the pod.
      // Variables from a Secret stand in as placeholders: the parser sees that they are set.
      const parsed = parseArgs(connector.args ?? [], Object.fromEntries((connector.env ?? []).map((e) => [e.name, e.value ?? (e.valueFrom ? "from-a-secret" : undefined)])));
      if (!parsed.ok) throw new Error(parsed.error);
      const values: Values = parsed.values;
      const listen = hostPort(values.listen as string);
      const health = values["health-listen"] ? hostPort(values["health-listen"] as string) : undefined;
      const tls = Boolean(values["tls-cert"]);

      it("runs serve from the image, with every manifest well-formed", () => {
        expect(parsed.command).toBe("serve");
        expect(connector.image).toMatch(/^temporalcloud-connector:/);
        for (const m of manifests) expect([m.apiVersion, m.kind, m.metadata?.name].every(Boolean), JSON.stringify(m).slice(0, 80)).toBe(true);
      });

      it("probes grpc.health.v1.Health natively on a port the kubelet can reach, without TLS", () => {
        // The kubelet dials the pod IP: loopback is out of reach, and its gRPC probes cannot do TLS.
        const probePort = listen.host !== "127.0.0.1" && !tls ? listen.port : health?.port;
        expect(probePort, "--listen is loopback or TLS: --health-listen is needed").toBeTypeOf("number");
        if (health) expect(health.host).toBe("0.0.0.0");
        for (const probe of [connector.readinessProbe, connector.livenessProbe]) {
          expect(probe.grpc).toEqual({ port: probePort });
        }
        expect(connector.ports?.map((p) => p.containerPort)).toContain(probePort);
        // Liveness must not fail while the connector drains (NOT_SERVING) within the grace period.
        expect(connector.livenessProbe.periodSeconds * connector.livenessProbe.failureThreshold).toBeGreaterThan(pod.terminationGracePeriodSeconds);
      });

      it("passes the start-up check on plain text: loopback, or TLS", () => {
        expect(values["listen-insecure"]).toBe(false);
        expect(() => plainTextRefusal(values, tls ? { cert: "", key: "" } : undefined)).not.toThrow();
      });

      it("reads the API key from a whole mounted Secret, at the path --api-key-file names", () => {
        expect(values["api-key"]).toBeUndefined();
        const secret = variant === "service-mode" ? "temporalcloud-connector-credentials" : "temporalcloud-api-key";
        expect(fileIn(pod, connector, values["api-key-file"] as string)).toEqual({ secret, key: "api-key" });
      });

      it("gives in-flight calls their drain timeout before the kubelet kills the pod", () => {
        expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(values["drain-timeout"] as number);
        expect(values["drain-timeout"]).toBe(parseDuration("20s"));
      });

      it("runs every container restricted: non-root, read-only root, no capabilities, RuntimeDefault seccomp", () => {
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: IMAGE_UID, seccompProfile: { type: "RuntimeDefault" } });
        expect(pod.automountServiceAccountToken).toBe(false);
        for (const d of deployments) {
          const spec = d.spec.template.spec;
          expect(spec.securityContext.seccompProfile).toEqual({ type: "RuntimeDefault" });
          for (const c of spec.containers as Container[]) {
            expect(c.securityContext, c.name).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
            // SQLite and Node write temporary files: /tmp is the one writable place.
            const tmp = c.volumeMounts.find((m: any) => m.mountPath === "/tmp");
            expect(spec.volumes.find((v: any) => v.name === tmp?.name)?.emptyDir, c.name).toBeTypeOf("object");
          }
        }
      });

      it("requests and limits CPU and memory", () => {
        expect(connector.resources).toEqual({ requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } });
      });

      if (variant === "service-mode") {
        it("runs in service mode with the client credential from the same Secret, and opens no gRPC port", () => {
          const fromSecret = (name: string) => connector.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
          expect(fromSecret("BATON_CLIENT_ID")).toEqual({ name: "temporalcloud-connector-credentials", key: "client-id" });
          expect(fromSecret("BATON_CLIENT_SECRET")).toEqual({ name: "temporalcloud-connector-credentials", key: "client-secret" });
          expect(values["client-secret"]).toBe("from-a-secret");
          // Not even an ignored --listen: in service mode the connector serves only the health and metrics ports.
          expect((connector.args ?? []).some((arg) => arg.startsWith("--listen"))).toBe(false);
          expect(connector.ports?.map((p) => p.containerPort).sort()).toEqual([health!.port, hostPort(values["metrics-listen"] as string).port].sort());
          expect(manifests.map((m) => m.kind)).toEqual(["Deployment"]);
          // The sync's c1z is written to BATON_TMPDIR, the writable emptyDir.
          expect(connector.env?.find((e) => e.name === "BATON_TMPDIR")?.value).toBe("/tmp");
        });
      } else if (variant === "sidecar") {
        it("serves the agent in its pod on loopback, with no Service", () => {
          expect(listen.host).toBe("127.0.0.1");
          expect(tls).toBe(false);
          const agent: Container = pod.containers.find((c: Container) => c.name === "agent");
          expect(agent.env?.find((e) => e.name === "CONNECTOR_ADDRESS")?.value).toBe(values.listen);
          expect(manifests.filter((m) => m.kind === "Service")).toEqual([]);
        });
      } else {
        it("serves the cluster with mutual TLS from mounted Secrets, behind a Service and a NetworkPolicy", () => {
          expect(listen.host).toBe("0.0.0.0");
          // With a shared issuer every workload's certificate is signed by the CA: only the agent's may call.
          expect(values["tls-client-san"]).toEqual(["baton-agent"]);
          for (const flag of ["tls-cert", "tls-key", "tls-client-ca"]) {
            expect(fileIn(pod, connector, values[flag] as string)?.secret, flag).toBe("temporalcloud-connector-tls");
          }
          const service = manifests.find((m) => m.kind === "Service")!;
          const port = service.spec.ports[0];
          const target = connector.ports!.find((p) => p.name === port.targetPort || p.containerPort === port.targetPort)!;
          expect(target.containerPort).toBe(listen.port);
          expect(service.spec.selector).toEqual(connectorPod.metadata.labels);
          const agent = deployments.find((d) => d.metadata.name === "baton-agent")!;
          const address = agent.spec.template.spec.containers[0].env.find((e: any) => e.name === "CONNECTOR_ADDRESS").value;
          expect(address).toBe(`${service.metadata.name}:${port.port}`);
          const policy = manifests.find((m) => m.kind === "NetworkPolicy")!;
          const grpcRule = policy.spec.ingress.find((r: any) => r.ports.some((p: any) => p.port === listen.port));
          expect(grpcRule.from).toEqual([{ podSelector: { matchLabels: agent.spec.template.metadata.labels } }]);
        });
      }
    });
  }
});
