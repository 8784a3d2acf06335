import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { apiKeySourceOf } from "../../src/cli/api-key-option.js";
import { createLogger } from "../../src/logger.js";

describe("--api-key-file keys are scrubbed from logs, rotated-in ones too", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("adds every key it reads to the logger's secrets before it is used", async () => {
    const dir = mkdtempSync(join(tmpdir(), "api-key-option-"));
    dirs.push(dir);
    const path = join(dir, "api-key");
    writeFileSync(path, "tc-first-key-0123456789\n");
    const lines: string[] = [];
    const secrets = new Set<string>();
    const log = createLogger({ level: "info", format: "json", secrets, destination: { write: (line: string) => lines.push(line) } });
    let changed: (trigger: string) => void = () => {};
    const rotated = new Promise<string>((resolve) => (changed = resolve));
    const source = apiKeySourceOf({ "api-key-file": path }, log, secrets, (trigger) => changed(trigger));
    try {
      expect([...secrets]).toEqual(["tc-first-key-0123456789"]);
      writeFileSync(join(dir, "next"), "tc-second-key-0123456789");
      renameSync(join(dir, "next"), path);
      expect(await rotated).toBe("file-changed");
      expect(source.current()).toBe("tc-second-key-0123456789");
      log.info({ echoed: "upstream said tc-second-key-0123456789" }, "a line that should never hold tc-first-key-0123456789");
      const written = lines.join("");
      expect(written).not.toContain("tc-second-key-0123456789");
      expect(written).not.toContain("tc-first-key-0123456789");
      expect(written).toContain("upstream said [REDACTED]");
      expect(written).toContain('"msg":"using the new API key from --api-key-file"');
    } finally {
      source.close();
    }
  });
});
