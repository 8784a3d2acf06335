import { codecMode, useCodecs } from "../../src/codec/codecs.js";
import { createDemoAccount, DEMO_API_KEY, generateAccount, type AccountData } from "../../src/simulator/temporal/index.js";
import { createMemoryStore, runSync, type MemoryStore } from "../../src/sync/syncer.js";
import { startStack } from "./stack.js";

/** syncOf runs a full sync of an account through the real stack and keeps everything it found. */
export async function syncOf(account: AccountData, apiKey: string): Promise<MemoryStore> {
  const stack = await startStack({ account, apiKey });
  try {
    const store = createMemoryStore();
    await runSync({ api: stack.client, store });
    return store;
  } finally {
    await stack.close();
  }
}

/**
 * demoAndGeneratedSyncs: the objects of full syncs of the demo account and of a generated one,
 * the corpus the compiled codecs are checked against protobuf-es on. The syncs run with
 * protobuf-es's own codecs, so the corpus owes nothing to the codecs under test.
 */
export async function demoAndGeneratedSyncs(generated: { users: number; seed: number }): Promise<MemoryStore[]> {
  const mode = codecMode();
  useCodecs("library");
  try {
    const account = generateAccount(generated);
    return [await syncOf(createDemoAccount(), DEMO_API_KEY), await syncOf(account, account.apiKey)];
  } finally {
    useCodecs(mode);
  }
}
