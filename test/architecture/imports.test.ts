import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The rooms of src/ and whom each may import (docs/architecture.md, "Import directions"). A room
 * is a folder of src/ (src/simulator/<name> counts as its own room); files at the root of src/
 * are rooms of their own. gen and logger may be imported by every room. A change that needs an
 * arrow not listed here is a design change: update docs/architecture.md and this table together.
 */
const ALLOWED: Record<string, readonly string[]> = {
  gen: [],
  logger: [],
  codec: [],
  connector: ["codec"],
  temporal: ["codec"],
  resources: ["connector", "temporal"],
  feed: ["connector", "temporal", "resources"],
  insights: ["connector", "resources"],
  server: ["connector", "codec"],
  metrics: ["connector", "server", "temporal"],
  sync: ["connector", "codec"],
  c1z: ["sync", "connector", "codec"],
  report: ["connector", "resources", "insights"],
  service: ["sync", "c1z", "connector", "codec"],
  app: ["connector", "codec", "temporal", "resources", "feed", "insights"],
  "simulator/temporal": [],
  "simulator/conductorone": ["c1z", "connector", "codec"],
  cli: ["*"],
  main: ["cli", "codec"],
};
const EVERYWHERE = new Set(["gen", "logger"]);

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SRC = join(ROOT, "src");

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? tsFiles(path) : e.name.endsWith(".ts") ? [path] : [];
  });
}

function roomOf(path: string): string {
  const parts = relative(SRC, path).split("/");
  if (parts.length === 1) return parts[0]!.replace(/\.(ts|js)$/, "");
  return parts[0] === "simulator" ? `simulator/${parts[1]}` : parts[0]!;
}

/** Every relative import of a file, static or dynamic, type-only included. */
function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]!);
}

describe("import directions between the rooms of src/", () => {
  const files = tsFiles(SRC).filter((f) => roomOf(f) !== "gen");

  it("knows every room", () => {
    const unknown = [...new Set(files.map(roomOf))].filter((room) => !(room in ALLOWED));
    expect(unknown, "add new rooms to ALLOWED and to docs/architecture.md").toEqual([]);
  });

  it("has no import against the allowed directions", () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = roomOf(file);
      const allowed = ALLOWED[from] ?? [];
      for (const spec of importsOf(readFileSync(file, "utf8"))) {
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(SRC)) {
          violations.push(`${relative(ROOT, file)} imports ${spec}, outside src/`);
          continue;
        }
        const to = roomOf(target);
        if (to === from || EVERYWHERE.has(to) || allowed.includes("*") || allowed.includes(to)) continue;
        violations.push(`${relative(ROOT, file)} (${from}) imports ${spec} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("keeps bench/ and test/ apart: both share harness/; only test/bench/ (tests of the bench's tools) imports bench/", () => {
    const violations: string[] = [];
    for (const [dir, forbidden] of [["bench", "test"], ["test", "bench"], ["harness", "test"], ["harness", "bench"]] as const) {
      for (const file of tsFiles(join(ROOT, dir))) {
        if (dir === "test" && file.startsWith(join(ROOT, "test", "bench") + "/")) continue;
        for (const spec of importsOf(readFileSync(file, "utf8"))) {
          const target = resolve(dirname(file), spec);
          if (target.startsWith(join(ROOT, forbidden) + "/")) violations.push(`${relative(ROOT, file)} imports ${spec}`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it("catches a forbidden import (the check itself can fail)", () => {
    const file = join(SRC, "resources", "example.ts");
    const target = resolve(dirname(file), "../server/server.js");
    expect(ALLOWED[roomOf(file)]).not.toContain(roomOf(target));
  });
});
