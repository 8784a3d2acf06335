import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { findAnnotation } from "../../src/connector/annotations.js";
import { ConnectorService, SecretTrait_CredentialType, SecretTraitSchema } from "../../src/connector/c1.js";
import { DEMO_API_KEYS, DEMO_IDS } from "../../src/simulator/temporal/index.js";
import { expectCode } from "../helpers/grpc.js";
import { startStack, type Stack } from "../helpers/stack.js";

const DAY = 24 * 60 * 60 * 1000;
const KEY = DEMO_IDS.apiKeys.batonConnector;

/** The connector's view of its own key, against the simulator serving that key with any expiry. */
describe("API key expiry", () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  /** A stack whose connector clock the test moves; the key expires `expiresInMs` after the start. */
  const start = async (expiresInMs: number) => {
    let now = Date.now();
    stack = await startStack({ connector: { now: () => now } });
    const expiresAt = Math.floor((now + expiresInMs) / 1000) * 1000;
    stack.simulator.store.updateApiKey(KEY, (spec) => (spec.expiryTime = timestampFromMs(expiresAt)));
    const validate = () => stack!.client.call(ConnectorService.method.validate, {});
    const warnings = () => stack!.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.level === 40 && l.apiKeyId === KEY);
    return { validate, warnings, expiresAt, advance: (ms: number) => (now += ms) };
  };

  it("says nothing while more than 14 days are left", async () => {
    const { validate, warnings } = await start(15 * DAY);
    expect((await validate()).annotations).toEqual([]);
    expect(warnings()).toEqual([]);
  });

  it("warns from 14 days before expiry: a log line a day naming the key and the date, and a SecretTrait on Validate", async () => {
    const { validate, warnings, expiresAt, advance } = await start(14 * DAY - 60_000);
    const date = new Date(expiresAt).toISOString();
    const response = await validate();
    expect(response.sdkVersion).toBe("v0.25.0");
    const trait = findAnnotation(response.annotations, SecretTraitSchema);
    expect(trait && timestampDate(trait.expiresAt!).getTime()).toBe(expiresAt);
    expect(trait).toMatchObject({
      identityId: { resourceType: "service-account", resource: DEMO_IDS.serviceAccounts.batonConnector },
      credentialType: SecretTrait_CredentialType.STATIC_SECRET,
      credentialDetail: "temporal_cloud_api_key",
    });
    expect(warnings()).toEqual([
      expect.objectContaining({ apiKeyId: KEY, expiresAt: date, daysLeft: 13, msg: expect.stringContaining(`the Temporal Cloud API key ${KEY} expires on ${date} (in 13 days): create a new API key`) }),
    ]);
    // Once a day: syncs validate far more often than that.
    await validate();
    advance(DAY - 1000);
    await validate();
    expect(warnings()).toHaveLength(1);
    advance(1000);
    expect(findAnnotation((await validate()).annotations, SecretTraitSchema)?.expiresAt).toEqual(trait!.expiresAt);
    expect(warnings().map((w) => w.daysLeft)).toEqual([13, 12]);
    // The key never appears in what the connector says.
    expect(stack!.logs.join("\n")).not.toContain(DEMO_API_KEYS.batonConnector);
  });

  it("refuses an expired key with UNAUTHENTICATED, saying so and how to fix it", async () => {
    const { validate, expiresAt, advance } = await start(2 * DAY);
    await validate();
    // Past the expiry by the connector's clock: Temporal Cloud's answer still shows the key.
    advance(2 * DAY);
    const date = new Date(expiresAt).toISOString();
    expect(await expectCode(validate(), status.UNAUTHENTICATED)).toBe(
      `the Temporal Cloud API key ${KEY} expired on ${date}: create a new API key for the same service account in Temporal Cloud ` +
        "(an expiry of 90 days at most is good practice), put it in the connector's secret (--api-key-file) and delete the old key; " +
        "the connector picks up the new key without a restart",
    );
    // Expired by Temporal Cloud's clock too: it refuses the key (401), and the connector knows why.
    stack!.simulator.store.updateApiKey(KEY, (spec) => (spec.expiryTime = timestampFromMs(Date.now() - 1000)));
    expect(await expectCode(validate(), status.UNAUTHENTICATED)).toMatch(
      new RegExp(`^Temporal Cloud refused the API key ${KEY}: it expired on ${date.replace(/\./g, "\\.")}; create a new API key .* without a restart$`),
    );
  });

  it("refuses a disabled key, and a key it never saw, with UNAUTHENTICATED and how to fix it", async () => {
    const { validate } = await start(30 * DAY);
    stack!.simulator.store.updateApiKey(KEY, (spec) => (spec.disabled = true));
    expect(await expectCode(validate(), status.UNAUTHENTICATED)).toMatch(
      new RegExp(`^Temporal Cloud refused the API key \\(HTTP 401\\): it is unknown, expired, disabled or deleted; create a new API key .* without a restart$`),
    );
  });
});
