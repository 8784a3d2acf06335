import type { Logger } from "pino";
import { createLogger } from "../logger.js";
import { ApiKeyFileError, createFileApiKeySource, staticApiKey, type ApiKeyChangeTrigger, type ApiKeySource } from "../temporal/api-key-source.js";
import { CommandError } from "./command-error.js";
import type { Values } from "./config.js";

// The settings a connector command reads before anything starts, in a module light to load: a bad
// key file is reported at once.

/**
 * apiKeySourceOf reads the API key from --api-key-file, watched so that a new key is used without
 * a restart, or from --api-key / BATON_API_KEY. Every key it reads is added to `secrets`, which
 * the logger scrubs, before any request carries it.
 */
export function apiKeySourceOf(values: Values, log: Logger, secrets: Set<string>, changed?: (trigger: ApiKeyChangeTrigger) => void): ApiKeySource {
  const file = values["api-key-file"] as string | undefined;
  if (file) {
    let source: ApiKeySource;
    try {
      source = createFileApiKeySource(file, {
        onChange(key, trigger) {
          secrets.add(key);
          changed?.(trigger);
          log.info({ file, trigger }, "using the new API key from --api-key-file");
        },
        onError: (reason) => log.warn({ reason }, "--api-key-file changed but cannot be used: keeping the current key"),
      });
    } catch (err) {
      if (err instanceof ApiKeyFileError) throw new CommandError(`--api-key-file: ${err.message}`);
      throw err;
    }
    secrets.add(source.current());
    return source;
  }
  const key = (values["api-key"] as string | undefined)?.trim();
  if (!key) {
    throw new CommandError(
      "no Temporal Cloud API key: set BATON_API_KEY, or pass --api-key-file (or --api-key); " +
        "to try the connector without credentials, run `temporalcloud-connector demo`",
    );
  }
  secrets.add(key);
  return staticApiKey(key);
}

/** logger logs as --log-level and --log-format say, scrubbing `secrets`. */
export function logger(values: Values, secrets: Iterable<string>): Logger {
  return createLogger({ level: values["log-level"] as string, format: values["log-format"] as "json" | "console", secrets });
}

