import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { envName, FIELDS, parseArgs } from "../../src/cli/config.js";

const run = promisify(execFile);
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, ["dist/src/main.js", ...args], { env: { PATH: process.env.PATH, ...env }, timeout: 20_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe("command line", () => {
  it("serve refuses to start without an API key, saying how to provide one", async () => {
    const res = await cli(["serve", "--listen", "127.0.0.1:0"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("no Temporal Cloud API key: set BATON_API_KEY, or pass --api-key-file");
    expect(res.stderr).toContain("temporalcloud-connector demo");
  });

  it("rejects unknown flags and bad values with a one-line error and exit code 2", async () => {
    expect(await cli(["serve", "--no-such-flag"])).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown flag "--no-such-flag"') });
    expect(await cli(["serve", "--default-account-role", "owner"])).toMatchObject({ code: 2, stderr: expect.stringContaining("must be one of read, developer, admin") });
    expect(await cli(["serve"], { BATON_RATE_LIMIT: "fast" })).toMatchObject({ code: 2, stderr: expect.stringContaining("BATON_RATE_LIMIT must be a number") });
    expect(await cli(["frobnicate"])).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "frobnicate"') });
  });

  it("refuses a plain-text base URL unless --allow-insecure is set", async () => {
    const res = await cli(["serve", "--listen", "127.0.0.1:0", "--base-url", "http://127.0.0.1:9"], { BATON_API_KEY: "k-0123456789" });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("--allow-insecure");
  });

  it("prints help derived from the declared flags, with their BATON_* variables", async () => {
    const res = await cli(["serve", "--help"]);
    expect(res.code).toBe(0);
    for (const field of FIELDS.filter((f) => f.commands.includes("serve"))) {
      expect(res.stdout).toContain(`--${field.name}`);
      expect(res.stdout).toContain(`$${envName(field)}`);
    }
  });

  it("keeps baton_capabilities.json and config_schema.json in sync with the code", async () => {
    expect(JSON.parse((await cli(["capabilities"])).stdout)).toEqual(JSON.parse(readFileSync("baton_capabilities.json", "utf8")));
    expect(JSON.parse((await cli(["config"])).stdout)).toEqual(JSON.parse(readFileSync("config_schema.json", "utf8")));
  });

  it("marks the API key secret in the configuration schema", async () => {
    const schema = JSON.parse((await cli(["config"])).stdout) as { fields: { name: string; secret: boolean; env: string }[] };
    expect(schema.fields.find((f) => f.name === "api-key")).toMatchObject({ secret: true, env: "BATON_API_KEY" });
  });
});

describe("configuration parsing", () => {
  it("reads BATON_* variables and lets flags win over them", () => {
    const env = { BATON_PROVISIONING: "true", BATON_DEFAULT_ACCOUNT_ROLE: "developer", BATON_LISTEN: "127.0.0.1:7000" };
    const parsed = parseArgs(["serve", "--listen=127.0.0.1:7001"], env);
    expect(parsed).toMatchObject({ ok: true, command: "serve", values: { provisioning: true, "default-account-role": "developer", listen: "127.0.0.1:7001" } });
  });

  it("defaults to serve on loopback with the official defaults", () => {
    const parsed = parseArgs([], {});
    expect(parsed).toMatchObject({ ok: true, command: "serve", values: { listen: "127.0.0.1:50051", "base-url": "https://saas-api.tmprl.cloud", "default-account-role": "read", provisioning: false, "rate-limit": 80 } });
  });

  it("collects a repeated list flag, or its comma-separated variable, which the flag replaces", () => {
    expect(parseArgs(["serve", "--tls-client-san", "a.example", "--tls-client-san=spiffe://c/agent"], {})).toMatchObject({ ok: true, values: { "tls-client-san": ["a.example", "spiffe://c/agent"] } });
    expect(parseArgs(["serve"], { BATON_TLS_CLIENT_SAN: "a.example, b.example" })).toMatchObject({ ok: true, values: { "tls-client-san": ["a.example", "b.example"] } });
    expect(parseArgs(["serve", "--tls-client-san", "c.example"], { BATON_TLS_CLIENT_SAN: "a.example" })).toMatchObject({ ok: true, values: { "tls-client-san": ["c.example"] } });
  });

  it("defaults the served ports' limits: 10s handshake, 5m idle, 1,024 connections, 30s to read a request", () => {
    expect(parseArgs(["serve"], {})).toMatchObject({ ok: true, values: { "handshake-timeout": 10_000, "idle-timeout": 300_000, "max-connections": 1024, "request-read-timeout": 30_000, "listen-insecure": false } });
  });

  it("accepts -p and durations", () => {
    expect(parseArgs(["serve", "-p", "--operation-timeout", "90s"], {})).toMatchObject({ ok: true, values: { provisioning: true, "operation-timeout": 90_000 } });
  });
});
