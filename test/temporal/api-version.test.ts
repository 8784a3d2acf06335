import { describe, expect, it } from "vitest";
import { apiVersionAtLeast, DEFAULT_API_VERSION, PROJECTS_API_VERSION } from "../../src/temporal/api-version.js";

describe("apiVersionAtLeast", () => {
  it.each([
    ["v0.19.1", true],
    ["v0.18.0", true],
    ["v0.17.1", false],
    ["v0.9.0", false],
    ["v1.0.0", true],
    ["v0.100.0", true],
    // Dated values and anything else are older than every release: nothing newer is assumed.
    ["2024-10-01-00", false],
    ["latest", false],
    ["", false],
    ["v0.18", false],
  ])("%s has projects: %s", (version, expected) => {
    expect(apiVersionAtLeast(version, PROJECTS_API_VERSION)).toBe(expected);
  });

  it("defaults to the newest release, which has projects", () => {
    expect(DEFAULT_API_VERSION).toBe("v0.19.1");
    expect(apiVersionAtLeast(DEFAULT_API_VERSION, PROJECTS_API_VERSION)).toBe(true);
  });
});
