import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateAccount, type GeneratedAccount } from "../../../src/simulator/temporal/generate-account.js";
import { startSimulator, type Simulator } from "../../../src/simulator/temporal/simulator.js";
import { createApi, type Api } from "./simulator-helper.js";

describe("paging", () => {
  let sim: Simulator;
  let api: Api;
  let account: GeneratedAccount;
  beforeAll(async () => {
    account = generateAccount({ users: 2500, serviceAccounts: 120, namespaces: 12, groups: 150, apiKeys: 300, seed: 7 });
    sim = await startSimulator({ account });
    api = createApi(sim.url, account.apiKey);
  });
  afterAll(() => sim.close());

  async function walk(path: string, key: string, pageSize?: number): Promise<{ items: { id: string }[]; pages: number }> {
    const items: { id: string }[] = [];
    let token = "";
    let pages = 0;
    const sep = path.includes("?") ? "&" : "?";
    do {
      const query = [pageSize === undefined ? "" : `pageSize=${pageSize}`, token === "" ? "" : `pageToken=${token}`]
        .filter(Boolean)
        .join("&");
      const reply = await api.get(query === "" ? path : `${path}${sep}${query}`);
      expect(reply.status).toBe(200);
      items.push(...(reply.body[key] ?? []));
      token = reply.body.nextPageToken ?? "";
      pages++;
    } while (token !== "");
    return { items, pages };
  }

  it("defaults to 100 items per page", async () => {
    const reply = await api.get("/cloud/users");
    expect(reply.body.users).toHaveLength(100);
    expect(typeof reply.body.nextPageToken).toBe("string");
  });

  it("serves up to 1000 items and refuses larger or negative page sizes", async () => {
    expect((await api.get("/cloud/users?pageSize=1000")).body.users).toHaveLength(1000);
    for (const size of ["1001", "-1", "abc"]) {
      const reply = await api.get(`/cloud/users?pageSize=${size}`);
      expect(reply.status, size).toBe(400);
      expect(reply.body.code).toBe(3);
    }
  });

  it("refuses malformed tokens and tokens of another list", async () => {
    expect((await api.get("/cloud/users?pageToken=%%%garbage")).status).toBe(400);
    expect((await api.get("/cloud/users?pageToken=bm90LWpzb24")).status).toBe(400);
    const groupsToken = (await api.get("/cloud/user-groups?pageSize=5")).body.nextPageToken;
    const reply = await api.get(`/cloud/users?pageToken=${groupsToken}`);
    expect(reply.status).toBe(400);
    expect(reply.body.message).toMatch(/page token/);
    const nsA = (await api.get("/cloud/namespaces/ns-0001.gen42/user-assignments?pageSize=2")).body.nextPageToken;
    expect((await api.get(`/cloud/namespaces/ns-0002.gen42/user-assignments?pageToken=${nsA}`)).status).toBe(400);
  });

  it("walks every user exactly once, in ascending id order, omitting the token on the last page", async () => {
    const { items, pages } = await walk("/cloud/users", "users", 1000);
    expect(pages).toBe(3);
    const ids = items.map((u) => u.id);
    expect(new Set(ids).size).toBe(2500);
    expect(ids).toEqual([...ids].sort());
    const exact = await walk("/cloud/users", "users", 500);
    expect(exact.pages).toBe(5);
  });

  it("orders every list as documented", async () => {
    const sas = (await walk("/cloud/service-accounts", "serviceAccount", 50)).items.map((s) => s.id);
    expect(sas).toHaveLength(120);
    expect(sas).toEqual([...sas].sort());
    const keys = (await walk("/cloud/api-keys", "apiKeys", 64)).items.map((k) => k.id);
    expect(keys).toHaveLength(300);
    expect(keys).toEqual([...keys].sort());
    const groups = (await walk("/cloud/user-groups", "groups", 40)).items as unknown as { spec: { displayName: string } }[];
    const names = groups.map((g) => g.spec.displayName);
    expect(names).toHaveLength(150);
    expect(names).toEqual([...names].sort());
    const namespaces = (await walk("/cloud/namespaces", "namespaces", 5)).items as unknown as { namespace: string }[];
    expect(namespaces.map((n) => n.namespace)).toEqual(
      Array.from({ length: 12 }, (_, i) => `ns-${String(i + 1).padStart(4, "0")}.gen42`),
    );
  });

  it("pages namespace assignments and group members by id", async () => {
    const rows = (await walk("/cloud/namespaces/ns-0003.gen42/user-assignments", "users", 100)).items;
    const ids = rows.map((r) => r.id);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
    const expected = account.users.filter((u) => {
      const access = u.spec?.access;
      const role = access?.accountAccess?.role ?? 0;
      return role === 1 || role === 2 || access?.namespaceAccesses["ns-0003.gen42"] !== undefined;
    });
    expect(ids).toHaveLength(expected.length);

    const group = account.groups.find((g) => (account.groupMembers.get(g.id)?.length ?? 0) > 5);
    if (!group) throw new Error("the generated account has no group of more than 5 members to page through");
    const members = (await walk(`/cloud/user-groups/${group.id}/members`, "members", 2)).items as unknown as {
      memberId: { userId: string };
    }[];
    const memberIds = members.map((m) => m.memberId.userId);
    expect(memberIds).toEqual([...account.groupMembers.get(group.id)!].sort());
  });

  it("keeps a walk consistent when items are inserted and removed between pages", async () => {
    const first = await api.get("/cloud/users?pageSize=10");
    const lastSeen = first.body.users[9].id as string;
    // Remove an item not yet seen and add one that sorts before the cursor: neither disturbs the walk.
    const later = sim.store.users.sorted()[20]?.id as string;
    sim.store.deleteUser(later);
    sim.store.addUser({ id: "0".repeat(32), spec: { email: "early@gen42.example" } });
    const second = await api.get(`/cloud/users?pageSize=10&pageToken=${first.body.nextPageToken}`);
    const ids = second.body.users.map((u: { id: string }) => u.id);
    expect(ids[0] > lastSeen).toBe(true);
    expect(ids).not.toContain(later);
  });

  it("serves 1000-user pages quickly", async () => {
    const started = performance.now();
    await walk("/cloud/users", "users", 1000);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
