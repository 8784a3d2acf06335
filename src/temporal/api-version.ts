/**
 * DEFAULT_API_VERSION is the temporal-cloud-api-version the connector sends unless configured
 * otherwise: the newest public cloud-api release (docs/temporal-cloud-api.md, "Version header").
 */
export const DEFAULT_API_VERSION = "v0.19.1";

/** PROJECTS_API_VERSION is the first API version with projects and project access (v0.18.0). */
export const PROJECTS_API_VERSION = "v0.18.0";

/**
 * apiVersionAtLeast tells whether `version` is a cloud-api release at or after `min` (both
 * `v<major>.<minor>.<patch>`). The older dated values (`2024-10-01-00`) and anything else that
 * is not a release count as older: how the server maps them is unknown, so nothing newer is assumed.
 */
export function apiVersionAtLeast(version: string, min: string): boolean {
  const have = release(version);
  const want = release(min);
  if (!have || !want) return false;
  for (let i = 0; i < 3; i++) if (have[i] !== want[i]) return have[i]! > want[i]!;
  return true;
}

function release(version: string): number[] | undefined {
  const match = /^v(\d+)\.(\d+)\.(\d+)$/.exec(version);
  return match ? match.slice(1).map(Number) : undefined;
}
