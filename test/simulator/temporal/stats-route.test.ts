import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemoAccount, DEMO_API_KEY, startSimulator, STATS_PATH, type Simulator } from "../../../src/simulator/temporal/index.js";

describe("the simulator's stats route", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ account: createDemoAccount() });
  });
  afterAll(() => sim.close());

  it("reports the counters without being counted or needing a key", async () => {
    await fetch(`${sim.url}/cloud/users`, { headers: { authorization: `Bearer ${DEMO_API_KEY}` } });
    const stats = (await (await fetch(`${sim.url}${STATS_PATH}`)).json()) as { requests: number; byRoute: Record<string, number> };
    expect(stats.requests).toBe(1);
    expect(stats.byRoute).toEqual({ GetUsers: 1 });
    expect(sim.stats.requests).toBe(1);
  });
});
