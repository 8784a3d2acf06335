import { createRequire } from "node:module";
import { pino, type Logger } from "pino";
import type PinoPretty from "pino-pretty";

// pino-pretty and its dependencies are loaded only for console output: a served connector logs JSON.
const require = createRequire(import.meta.url);

/** LoggerOptions configures createLogger. */
export interface LoggerOptions {
  level: string;
  format: "json" | "console";
  /**
   * Values that must never appear in a log line (the API key); replaced by [REDACTED]. Read at
   * every write, so a key added to a Set later (a rotated-in key) is scrubbed from then on.
   */
  secrets?: Iterable<string>;
  /** Where JSON lines go; stderr by default. */
  destination?: { write(line: string): unknown };
}

/**
 * createLogger logs to stderr (stdout is for command output), as JSON lines or for people.
 * Secrets never reach log lines by design; the streamWrite hook is the last line of defence.
 */
export function createLogger(options: LoggerOptions): Logger {
  const secrets = options.secrets ?? [];
  const scrub = (line: string) => {
    for (const secret of secrets) if (secret.length >= 8) line = line.split(secret).join("[REDACTED]");
    return line;
  };
  const config = {
    level: options.level,
    base: undefined,
    redact: { paths: ["apiKey", "*.apiKey", "headers.authorization", "*.headers.authorization"], censor: "[REDACTED]" },
    hooks: { streamWrite: scrub },
  };
  if (options.format === "console") {
    const pretty = require("pino-pretty") as typeof PinoPretty;
    return pino(config, pretty({ destination: 2, sync: true, colorize: false, translateTime: "SYS:HH:MM:ss.l" }));
  }
  return pino(config, options.destination ?? pino.destination({ dest: 2, sync: true }));
}
