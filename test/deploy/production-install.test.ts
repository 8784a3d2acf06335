import { execFile } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectorService, ResourcesService } from "../../src/connector/c1.js";
import { createDemoAccount, DEMO_API_KEY, startSimulator, type Simulator } from "../../src/simulator/temporal/index.js";
import { createGrpcClient } from "../../src/sync/grpc-client.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DOCKERFILE = readFileSync(join(ROOT, "Dockerfile"), "utf8");
/** The uid the image runs as (its USER line). */
const UID = Number(/^USER (\d+):(\d+)$/m.exec(DOCKERFILE)?.[1]);
/**
 * As root, the test runs the connector as that uid, with write access to the data folder only
 * (unless that uid cannot reach Node.js or the temporary folder, e.g. under /root).
 */
let AS_IMAGE_USER = process.getuid?.() === 0;

/**
 * The image's runtime stage holds what its `COPY --from=build` lines name, taken from a build
 * stage that ran `npm ci`, built, and pruned the dev dependencies. This test does the same to the
 * tree `npm test` built: copies those paths (node_modules as hard links: a prune only deletes),
 * prunes offline, and runs the CLI from the copy as the image runs it. A runtime import of a
 * dev-only package, or a file the image lacks, fails here as it would in the container.
 */
describe("the production install (what the image holds)", () => {
  let base: string;
  let app: string;
  let data: string;
  let keyFile: string;
  let simulator: Simulator;

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), "production-install-"));
    chmodSync(base, 0o755);
    app = join(base, "app");
    data = join(base, "data");
    mkdirSync(app);
    mkdirSync(data);
    expect(DOCKERFILE).toMatch(/^RUN npm ci [^\n]*\\\n\s*&& npm prune --omit=dev /m);
    const copies = [...DOCKERFILE.matchAll(/^COPY --from=build \/app\/(\S+) \.\/(\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const);
    expect(copies).toEqual([["package.json", "package.json"], ["node_modules", "node_modules"], ["dist/src", "dist/src"]]);
    for (const [from, to] of copies) {
      mkdirSync(dirname(join(app, to)), { recursive: true });
      if (from === "node_modules") {
        // 250 MB as hard links: a prune only deletes, except npm's own record, rewritten in place.
        await run("cp", ["-al", join(ROOT, from), join(app, to)]);
        rmSync(join(app, to, ".package-lock.json"));
        copyFileSync(join(ROOT, from, ".package-lock.json"), join(app, to, ".package-lock.json"));
      } else {
        cpSync(join(ROOT, from), join(app, to), { recursive: true });
      }
    }
    copyFileSync(join(ROOT, "package-lock.json"), join(app, "package-lock.json"));
    await run("npm", ["prune", "--omit=dev", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: app, timeout: 120_000 });
    // As a mounted Secret holds it: root's, readable by all, with the newline `echo` adds.
    keyFile = join(base, "api-key");
    writeFileSync(keyFile, `${DEMO_API_KEY}\n`);
    if (AS_IMAGE_USER) {
      chownSync(data, UID, UID);
      const reach = `require("fs").accessSync(${JSON.stringify(join(app, "dist/src/main.js"))})`;
      AS_IMAGE_USER = await run(process.execPath, ["-e", reach], { uid: UID, gid: UID }).then(() => true, () => false);
    }
    simulator = await startSimulator({ account: createDemoAccount() });
  }, 180_000);
  afterAll(async () => {
    await simulator?.close();
    rmSync(base, { recursive: true, force: true });
  });

  /** cli runs the copied CLI as the image's ENTRYPOINT does: cwd /data, HOME and /app not writable. */
  const cli = (args: string[]) => {
    const child = execFile(process.execPath, [join(app, "dist/src/main.js"), ...args], {
      cwd: data,
      env: { PATH: process.env.PATH, HOME: "/nonexistent", TMPDIR: data, NODE_ENV: "production", BATON_API_KEY_FILE: keyFile },
      ...(AS_IMAGE_USER ? { uid: UID, gid: UID } : {}),
      timeout: 60_000,
    });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    return { child, exited, stderr: () => stderr };
  };

  it("holds no dev dependency", () => {
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
    const dev = Object.entries(lock.packages).filter(([path, p]) => path !== "" && p.dev).map(([path]) => path);
    expect(dev).toEqual(expect.arrayContaining(["node_modules/typescript", "node_modules/vitest", "node_modules/yaml", "node_modules/@bufbuild/buf"]));
    expect(dev.filter((path) => existsSync(join(app, path)))).toEqual([]);
    const prod = Object.entries(lock.packages).filter(([path, p]) => path !== "" && !p.dev).map(([path]) => path);
    expect(prod.filter((path) => !existsSync(join(app, path)))).toEqual([]);
    // The original tree lost nothing to the prune.
    expect(existsSync(join(ROOT, "node_modules/typescript/package.json"))).toBe(true);
  });

  it("serves with the key file (trailing newline and all): Validate, a page of users, metrics; the key never logged", async () => {
    const serve = cli(["serve", "--base-url", simulator.url, "--allow-insecure", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"]);
    try {
      const serving = await new Promise<{ address: string; metrics: string }>((resolve, reject) => {
        serve.child.stderr!.on("data", () => {
          const line = serve.stderr().split("\n").find((l) => l.includes('"msg":"connector serving"'));
          if (line) resolve(JSON.parse(line) as { address: string; metrics: string });
        });
        void serve.exited.then((code) => reject(new Error(`serve exited (${code}): ${serve.stderr()}`)));
      });
      const client = createGrpcClient({ address: serving.address });
      expect((await client.call(ConnectorService.method.validate, {})).sdkVersion).toBe("v0.25.0");
      const users = await client.call(ResourcesService.method.listResources, { resourceTypeId: "user" });
      expect(users.list.map((u) => u.displayName)).toContain("alice@acme.example");
      client.close();
      const metrics = await (await fetch(`http://${serving.metrics}/metrics`)).text();
      expect(metrics).toMatch(/^grpc_server_handled_total\{grpc_type="unary",grpc_service="c1.connector.v2.ConnectorService",grpc_method="Validate",grpc_code="OK"\} 1$/m);
      expect(metrics).toMatch(/^temporalcloud_connector_api_key_seconds_until_expiry \d+$/m);
      expect(metrics).toMatch(/^process_resident_memory_bytes \d+$/m);
      serve.child.kill("SIGTERM");
      expect(await serve.exited).toBe(0);
      expect(serve.stderr()).not.toContain(DEMO_API_KEY);
    } finally {
      serve.child.kill("SIGKILL");
    }
  });

  it("syncs into a .c1z with `sync -f`, as the image's user, writing to the data folder only", async () => {
    const sync = cli(["sync", "-f", "sync.c1z", "--base-url", simulator.url, "--allow-insecure"]);
    expect(await sync.exited, sync.stderr()).toBe(0);
    const file = statSync(join(data, "sync.c1z"));
    expect(file.size).toBeGreaterThan(1000);
    expect(readFileSync(join(data, "sync.c1z")).subarray(0, 5)).toEqual(Buffer.from("C1ZF\0"));
    if (AS_IMAGE_USER) expect(file.uid).toBe(UID);
    expect(readdirSync(data)).toEqual(["sync.c1z"]); // its temporary files are gone
  });
});
