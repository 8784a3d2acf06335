import { readFileSync, watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";

/**
 * ApiKeySource holds the Temporal Cloud API key. The transport asks it for the key on every
 * attempt, so a key that changes is used from the next request on; requests already sent finish
 * with the key they carry.
 */
export interface ApiKeySource {
  /** current returns the key to send now. */
  current(): string;
  /**
   * refresh is called when Temporal Cloud refused `rejected` (HTTP 401). It resolves to true when
   * a key other than `rejected` is now current (read again, or already swapped in meanwhile), so
   * the request is worth sending once more; false when there is nothing new to try.
   */
  refresh(rejected: string): Promise<boolean>;
  /** close stops watching. */
  close(): void;
}

/** staticApiKey is a key given once (flag or environment variable): it never changes. */
export function staticApiKey(key: string): ApiKeySource {
  return { current: () => key, refresh: async (rejected) => rejected !== key, close() {} };
}

/** ApiKeyChange says why a file's key replaced the previous one. */
export type ApiKeyChangeTrigger = "file-changed" | "unauthenticated";

/** FileApiKeySourceOptions configures createFileApiKeySource. */
export interface FileApiKeySourceOptions {
  /** Watch the file's directory and read the key again when it changes (default true). */
  watch?: boolean;
  /** Called after a new key became current, before any request uses it (e.g. to scrub it from logs). */
  onChange?(key: string, trigger: ApiKeyChangeTrigger): void;
  /** Called when the file changed but could not be used: the previous key stays current. */
  onError?(reason: string): void;
  /** How long a burst of directory events settles before the file is read (default 50 ms). */
  settleMs?: number;
}

/** ApiKeyFileError is a key file that cannot be read or holds no key; the message names the file. */
export class ApiKeyFileError extends Error {
  override readonly name = "ApiKeyFileError";
}

/**
 * readApiKeyFile reads a key file: surrounding whitespace (the trailing newline of `echo` or an
 * editor) is not part of the key; an empty file is an error, not an empty key.
 */
export async function readApiKeyFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw unreadable(path, err);
  }
  return keyIn(path, text);
}

function readApiKeyFileSync(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw unreadable(path, err);
  }
  return keyIn(path, text);
}

function unreadable(path: string, err: unknown): ApiKeyFileError {
  return new ApiKeyFileError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? "error"}`, { cause: err });
}

function keyIn(path: string, text: string): string {
  const key = text.trim();
  if (key === "") throw new ApiKeyFileError(`${path} is empty`);
  return key;
}

/**
 * createFileApiKeySource reads the key from a file and keeps it current without a restart.
 *
 * It watches the file's directory, not the file: Kubernetes updates a mounted Secret by writing a
 * new directory and swapping the `..data` symlink the file points through, so the file's own
 * inode never changes and a watch on it would never fire. Any event in the directory reads the
 * file again (after a short settle, as one swap is several events); a file that is missing or
 * empty for a moment keeps the previous key. When Temporal Cloud refuses the current key (401),
 * refresh reads the file at once, so a rotation the watch has not reported yet (or that no watch
 * can see, e.g. on some network file systems) costs one retry, not a failed call. Concurrent
 * refreshes share one read. The first read is synchronous and throws ApiKeyFileError.
 */
export function createFileApiKeySource(path: string, options: FileApiKeySourceOptions = {}): ApiKeySource {
  let key = readApiKeyFileSync(path);
  let reading: Promise<void> | undefined;
  let closed = false;

  const readAgain = (trigger: ApiKeyChangeTrigger): Promise<void> => {
    reading ??= readApiKeyFile(path)
      .then(
        (next) => {
          if (closed || next === key) return;
          options.onChange?.(next, trigger);
          key = next;
        },
        (err: unknown) => options.onError?.(err instanceof Error ? err.message : String(err)),
      )
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };

  let watcher: FSWatcher | undefined;
  let settle: NodeJS.Timeout | undefined;
  if (options.watch ?? true) {
    const name = basename(path);
    try {
      watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
        // Only the file and Kubernetes' ..data swap concern us; other files may share the folder.
        if (changed !== null && changed !== name && !changed.startsWith("..")) return;
        clearTimeout(settle);
        settle = setTimeout(() => void readAgain("file-changed"), options.settleMs ?? 50);
        settle.unref();
      });
      watcher.on("error", (err) => options.onError?.(`stopped watching ${dirname(path)}: ${err.message}`));
    } catch (err) {
      // e.g. out of inotify watches: a rotated key is still picked up on Temporal Cloud's first 401.
      options.onError?.(`cannot watch ${dirname(path)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }

  return {
    current: () => key,
    async refresh(rejected) {
      if (key === rejected) await readAgain("unauthenticated");
      return key !== rejected;
    },
    close() {
      closed = true;
      clearTimeout(settle);
      watcher?.close();
    },
  };
}
