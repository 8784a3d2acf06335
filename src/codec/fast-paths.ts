import { useCodecs } from "./codecs.js";

/**
 * FAST_PATHS_ENV turns the fast paths off when set to "off": every codec falls back to
 * protobuf-es's own (src/codec/codecs.ts) and the connector builds no list page ahead of its call
 * (src/connector/read-ahead.ts). What a client receives is the same either way; the switch is for
 * proving that (npm test runs the end-to-end suite both ways) and for ruling the fast paths out
 * when chasing a bug. It is not a user-facing setting.
 */
export const FAST_PATHS_ENV = "TEMPORALCLOUD_CONNECTOR_FAST_PATHS";

let on = true;

/** fastPathsFromEnv reads FAST_PATHS_ENV: on unless it says "off". */
export function fastPathsFromEnv(env: NodeJS.ProcessEnv): boolean {
  return env[FAST_PATHS_ENV] !== "off";
}

/** useFastPaths turns the fast paths of the whole process on or off; called once, at startup. */
export function useFastPaths(enabled: boolean): void {
  on = enabled;
  useCodecs(enabled ? "compiled" : "library");
}

/** fastPathsOn tells what useFastPaths chose (on until it is called). */
export function fastPathsOn(): boolean {
  return on;
}
