import type { DescMethodUnary } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectorService } from "../../src/connector/c1.js";
import { NamespaceAccess_Permission as Permission } from "../../src/gen/temporal/api/cloud/identity/v1/message_pb.js";
import { DEMO_API_KEY, DEMO_IDS } from "../../src/simulator/temporal/index.js";
import type { ConnectorApi } from "../../src/sync/syncer.js";
import { createFileApiKeySource, type ApiKeyChangeTrigger } from "../../src/temporal/api-key-source.js";
import { provisioner } from "../helpers/provisioning.js";
import { secretVolume, type SecretVolume } from "../helpers/secret-volume.js";
import { startStack, type Stack } from "../helpers/stack.js";
import { syncSummary, type SyncSummary } from "../helpers/sync-summary.js";

const { users: U, namespaces: NS, apiKeys: K } = DEMO_IDS;

/**
 * An operator rotates the connector's key the way Temporal Cloud and Kubernetes have it done:
 * create a new key for the same service account, update the Secret (the kubelet swaps the
 * volume's ..data symlink), delete the old key. A sync and a grant are in flight throughout.
 */
describe("API key rotation without a restart", () => {
  let stack: Stack | undefined;
  let secret: SecretVolume | undefined;
  afterEach(async () => {
    await stack?.close();
    secret?.remove();
    stack = secret = undefined;
  });

  // The rotation replaces an API key, so the keys and the findings about keys change; nothing else may.
  const withoutApiKeys = (summary: SyncSummary) => ({
    ...summary,
    resources: summary.resources.filter((r) => !r.startsWith("api-key:") && !/^security-insight:[^:]+:api-key:/.test(r)),
  });

  for (const noticedBy of ["file-changed", "unauthenticated"] as const) {
    it(`keeps a sync and a grant running across a rotation (${noticedBy === "file-changed" ? "the watch sees the symlink swap" : "a 401 makes it read the file again"})`, async () => {
      secret = secretVolume("api-key", `${DEMO_API_KEY}\n`);
      const changes: ApiKeyChangeTrigger[] = [];
      let changed: () => void = () => {};
      const keyChanged = () => new Promise<void>((resolve) => (changed = resolve));
      // With no watch, only Temporal Cloud's 401 can reveal the new key.
      const apiKey = createFileApiKeySource(secret.path, {
        watch: noticedBy === "file-changed",
        settleMs: 5,
        onChange: (_key, trigger) => (changes.push(trigger), changed()),
      });
      stack = await startStack({ provisioning: true, connector: { apiKey }, simulator: { operationDelayMs: 200 } });
      const { simulator, client } = stack;
      const before = await syncSummary(client);

      let writeArrived: () => void = () => {};
      const grantWritten = new Promise<void>((resolve) => (writeArrived = resolve));
      simulator.onRequest((req) => {
        if (req.route === "SetUserNamespaceAccess") writeArrived();
      });

      let newSecret = "";
      let grant: Promise<unknown> | undefined;
      const rotate = async () => {
        // The grant's write has been accepted; its async operation is polled across the rotation.
        grant = provisioner(client).grant(`namespace:${NS.paymentsDev}:read`, `user:${U.dave}`);
        grant.catch(() => {}); // awaited below; the sync may fail first
        await grantWritten;
        const issued = simulator.store.rotateApiKey(K.batonConnector);
        newSecret = issued.secret;
        const noticed = keyChanged();
        secret!.update(`${newSecret}\n`);
        if (noticedBy === "file-changed") await noticed;
        simulator.store.deleteApiKey(K.batonConnector); // from now on the old key gets 401
      };
      // The sync stops after its first page of resources until the rotation is over.
      let rotation: Promise<void> | undefined;
      const api: ConnectorApi = {
        async call(method, request, signal) {
          const response = await client.call(method, request, signal);
          if ((method as DescMethodUnary).name === "ListResources" && !rotation) await (rotation = rotate());
          return response;
        },
      };

      const during = await syncSummary(api);
      const granted = await grant;
      expect(rotation).toBeInstanceOf(Promise);
      expect(granted).toMatchObject({ alreadyExists: false });
      expect(withoutApiKeys(during).resources).toEqual(withoutApiKeys(before).resources);
      expect(during.entitlements).toEqual(before.entitlements);
      const newGrant = `namespace:${NS.paymentsDev}:read:user:${U.dave}`;
      expect(during.grants.filter((g) => g !== newGrant)).toEqual(before.grants);

      expect(changes).toEqual([noticedBy]);
      expect(apiKey.current()).toBe(newSecret);
      const refused = simulator.stats.responsesByStatus.get(401) ?? 0;
      if (noticedBy === "file-changed") expect(refused).toBe(0);
      else expect(refused).toBeGreaterThan(0);
      // The grant took effect, and the connector works with the new key alone.
      expect(simulator.store.users.get(U.dave)!.spec!.access!.namespaceAccesses[NS.paymentsDev]).toMatchObject({ permission: Permission.READ });
      expect(simulator.store.apiKeys.get(K.batonConnector)).toBeUndefined();
      await client.call(ConnectorService.method.validate, {});
      // Neither key is ever written to a log line (the stack's logger scrubs only the old one).
      expect(stack.logs.filter((line) => line.includes(newSecret) || line.includes(DEMO_API_KEY))).toEqual([]);
    });
  }
});
