import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ApiKeyFileError, createFileApiKeySource, type ApiKeyChangeTrigger, type ApiKeySource } from "../../src/temporal/api-key-source.js";
import { secretVolume, type SecretVolume } from "../helpers/secret-volume.js";

describe("API key file", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "api-key-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };
  const volume = (content: string): SecretVolume => {
    const v = secretVolume("api-key", content);
    cleanups.push(() => v.remove());
    return v;
  };
  /** changes records each key change and resolves waiters on the next one. */
  const changes = () => {
    const seen: { key: string; trigger: ApiKeyChangeTrigger }[] = [];
    let wake: (() => void) | undefined;
    return {
      seen,
      onChange(key: string, trigger: ApiKeyChangeTrigger) {
        seen.push({ key, trigger });
        wake?.();
      },
      next: () => new Promise<void>((resolve) => (wake = resolve)),
    };
  };
  const open = (path: string, options: Parameters<typeof createFileApiKeySource>[1] = {}): ApiKeySource => {
    const source = createFileApiKeySource(path, options);
    cleanups.push(() => source.close());
    return source;
  };

  it("trims the trailing newline and surrounding whitespace", () => {
    const path = join(tempDir(), "key");
    writeFileSync(path, "  tc-key-0123456789\n");
    expect(open(path).current()).toBe("tc-key-0123456789");
  });

  it("refuses a missing, unreadable or empty file, naming it", () => {
    const dir = tempDir();
    expect(() => createFileApiKeySource(join(dir, "nope"))).toThrow(new ApiKeyFileError(`cannot read ${join(dir, "nope")}: ENOENT`));
    expect(() => createFileApiKeySource(dir)).toThrow(new ApiKeyFileError(`cannot read ${dir}: EISDIR`));
    writeFileSync(join(dir, "empty"), " \n");
    expect(() => createFileApiKeySource(join(dir, "empty"))).toThrow(new ApiKeyFileError(`${join(dir, "empty")} is empty`));
  });

  it("picks up a Kubernetes Secret update (the ..data symlink swap) without touching the file's own link", async () => {
    const secret = volume("tc-key-old-0123456789\n");
    const seen = changes();
    const source = open(secret.path, { onChange: seen.onChange, settleMs: 5 });
    expect(source.current()).toBe("tc-key-old-0123456789");
    const changed = seen.next();
    secret.update("tc-key-new-0123456789\n");
    await changed;
    expect(source.current()).toBe("tc-key-new-0123456789");
    expect(seen.seen).toEqual([{ key: "tc-key-new-0123456789", trigger: "file-changed" }]);
  });

  it("picks up a file replaced by rename, and keeps the key while the file is briefly empty", async () => {
    const dir = tempDir();
    const path = join(dir, "key");
    writeFileSync(path, "tc-key-old-0123456789");
    const seen = changes();
    const errors: string[] = [];
    let errored: (() => void) | undefined;
    const source = open(path, { onChange: seen.onChange, onError: (reason) => (errors.push(reason), errored?.()), settleMs: 5 });
    const failed = new Promise<void>((resolve) => (errored = resolve));
    writeFileSync(path, "");
    await failed;
    expect(errors).toEqual([`${path} is empty`]);
    expect(source.current()).toBe("tc-key-old-0123456789");
    const changed = seen.next();
    writeFileSync(join(dir, "key.tmp"), "tc-key-new-0123456789\n");
    renameSync(join(dir, "key.tmp"), path);
    await changed;
    expect(source.current()).toBe("tc-key-new-0123456789");
  });

  it("reads the file again when the key is refused, once for concurrent refusals", async () => {
    const secret = volume("tc-key-old-0123456789");
    const seen = changes();
    const source = open(secret.path, { watch: false, onChange: seen.onChange });
    expect(await source.refresh("tc-key-old-0123456789")).toBe(false); // nothing new: the 401 stands
    secret.update("tc-key-new-0123456789");
    const refreshed = await Promise.all([source.refresh("tc-key-old-0123456789"), source.refresh("tc-key-old-0123456789")]);
    expect(refreshed).toEqual([true, true]);
    expect(source.current()).toBe("tc-key-new-0123456789");
    expect(seen.seen).toEqual([{ key: "tc-key-new-0123456789", trigger: "unauthenticated" }]);
    // A refusal of a key already replaced needs no read: the request is sent again with the new one.
    expect(await source.refresh("tc-key-old-0123456789")).toBe(true);
    expect(seen.seen).toHaveLength(1);
  });
});
