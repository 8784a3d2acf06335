/**
 * Configuration is declared once, as data: flags, BATON_* environment variables, --help, the
 * `config` command's JSON schema and validation all derive from FIELDS. Flag names, env names
 * and meanings of the official connector's settings are a contract (docs/compatibility.md, "Configuration").
 */
// Not from transport.js: the CLI reads this file for every command, and undici is heavy to load.
import { DEFAULT_API_VERSION } from "../temporal/api-version.js";

/** Command is a subcommand of the CLI. */
export type Command = "serve" | "demo" | "simulator" | "c1-simulator" | "sync" | "inspect" | "events" | "report" | "health" | "capabilities" | "config";

/** FieldType is a setting's type; "strings" is a list: the flag repeated, or its variable comma-separated. */
type FieldType = "string" | "strings" | "boolean" | "number" | "duration";

/** Field declares one setting. */
export interface Field {
  name: string;
  short?: string;
  type: FieldType;
  description: string;
  default?: string | boolean | number;
  choices?: readonly string[];
  secret?: boolean;
  /** Commands that accept the field. */
  commands: readonly Command[];
}

const CONNECTOR: readonly Command[] = ["serve", "demo", "sync", "report"];
/** PROVISIONING: commands whose connector may write (report --live only reads). */
const PROVISIONING: readonly Command[] = ["serve", "demo", "sync"];
/** UPSTREAM: commands that reach a configured Temporal Cloud account (report only with --live). */
const UPSTREAM: readonly Command[] = ["serve", "sync", "events", "report"];
const LOGGING: readonly Command[] = ["serve", "demo", "simulator", "c1-simulator", "sync", "events", "report"];
const DATASET: readonly Command[] = ["demo", "simulator"];
const ONE_SHOT: readonly Command[] = ["sync"];

/** FIELDS lists every setting of every command. */
export const FIELDS: readonly Field[] = [
  { name: "api-key", type: "string", secret: true, commands: UPSTREAM, description: "Temporal Cloud API key (of a service account or user with the Account Admin role). Prefer BATON_API_KEY or --api-key-file over the command line." },
  { name: "api-key-file", type: "string", commands: UPSTREAM, description: "File holding the Temporal Cloud API key (surrounding whitespace ignored). Watched: a new key written to it (or a Kubernetes Secret update) is used without a restart." },
  { name: "base-url", type: "string", default: "https://saas-api.tmprl.cloud", commands: UPSTREAM, description: "Temporal Cloud Ops API address (override for testing)." },
  { name: "allow-insecure", type: "boolean", default: false, commands: UPSTREAM, description: "Allow a plain-text http:// base URL (test servers only)." },
  { name: "api-version", type: "string", default: DEFAULT_API_VERSION, commands: UPSTREAM, description: "Value of the temporal-cloud-api-version header." },
  { name: "rate-limit", type: "number", default: 80, commands: [...CONNECTOR, "events"], description: "Most Temporal Cloud API requests per second (Temporal allows 80/s per service account, 160/s per account)." },
  { name: "request-timeout", type: "duration", default: "30s", commands: [...CONNECTOR, "events"], description: "Timeout of one Temporal Cloud API request." },
  { name: "operation-timeout", type: "duration", default: "10m", commands: PROVISIONING, description: "How long provisioning waits for a Temporal Cloud async operation." },
  { name: "provisioning", short: "p", type: "boolean", default: false, commands: ["serve", "demo"], description: "Allow grant, revoke, account creation and deletion." },
  { name: "default-account-role", type: "string", default: "read", choices: ["read", "developer", "admin"], commands: PROVISIONING, description: "Account role given to accounts the connector creates." },
  { name: "listen", type: "string", default: "127.0.0.1:50051", commands: ["serve", "demo", "simulator", "c1-simulator"], description: "Address to serve on (HOST:PORT; port 0 picks a free one). For simulator and c1-simulator: the simulator's address (a free port on 127.0.0.1 when left at the default)." },
  { name: "tls-cert", type: "string", commands: ["serve", "demo"], description: "PEM certificate (chain) to serve TLS with." },
  { name: "tls-key", type: "string", commands: ["serve", "demo"], description: "PEM private key of --tls-cert (RSA, ECDSA or Ed25519)." },
  { name: "tls-client-ca", type: "string", commands: ["serve", "demo"], description: "PEM CA bundle: require client certificates signed by it (mutual TLS)." },
  { name: "drain-timeout", type: "duration", default: "10s", commands: ["serve", "demo"], description: "On SIGTERM/SIGINT, how long in-flight calls may finish before they are cancelled." },
  { name: "health-listen", type: "string", commands: ["serve", "demo"], description: "Also serve grpc.health.v1.Health alone, in plain text, on HOST:PORT (off by default): for Kubernetes' gRPC probes, which cannot reach a loopback address or speak TLS." },
  { name: "metrics-listen", type: "string", commands: ["serve", "demo"], description: "Serve Prometheus metrics at http://HOST:PORT/metrics (off by default)." },
  // Hardening of the served ports (docs/security.md): plain text off loopback, client certificates, connection limits.
  { name: "listen-insecure", type: "boolean", default: false, commands: ["serve", "demo"], description: "Allow serving plain-text gRPC on an address that is not loopback (--listen without --tls-cert). Anyone who can connect then reads the access graph, and provisions with --provisioning: only behind a network that admits nobody else." },
  { name: "tls-client-san", type: "strings", commands: ["serve", "demo"], description: "With --tls-client-ca: accept only client certificates that name this DNS name or URI (e.g. a SPIFFE id; an entry with \":\" is a URI) in their subject alternative names; calls over other certificates get UNAUTHENTICATED. Repeat the flag (or comma-separate the variable) to accept several." },
  { name: "handshake-timeout", type: "duration", default: "10s", commands: ["serve", "demo"], description: "Close a connection to --listen or --health-listen that has not completed its TLS handshake, and then sent the HTTP/2 preface, within this long (each)." },
  { name: "idle-timeout", type: "duration", default: "5m", commands: ["serve", "demo"], description: "Close a connection to --listen or --health-listen that has had no call in progress for this long (GOAWAY; the client reconnects for its next call). Keep-alive PINGs are answered but do not count as activity (0s: never)." },
  { name: "max-connections", type: "number", default: 1024, commands: ["serve", "demo"], description: "Most connections open at once on --listen, and on each of --health-listen and --metrics-listen; more are closed on arrival (on the gRPC ports counted in a metric and logged)." },
  { name: "request-read-timeout", type: "duration", default: "30s", commands: ["serve", "demo"], description: "Reset a served call whose request has not fully arrived this long after its headers (not to be confused with --request-timeout, the Temporal Cloud requests' timeout)." },
  // The health command: a gRPC health check client, for exec probes, Docker HEALTHCHECK and people.
  { name: "address", type: "string", default: "127.0.0.1:50051", commands: ["health"], description: "Health check: the connector's HOST:PORT." },
  { name: "tls", type: "boolean", default: false, commands: ["health"], description: "Health check: connect with TLS (implied by the other --tls-* flags of health)." },
  { name: "tls-ca", type: "string", commands: ["health"], description: "Health check: PEM CA bundle that signed the server's certificate (default: Node.js' public roots)." },
  { name: "tls-client-cert", type: "string", commands: ["health"], description: "Health check: PEM client certificate, for a server that requires mutual TLS." },
  { name: "tls-client-key", type: "string", commands: ["health"], description: "Health check: PEM private key of --tls-client-cert." },
  { name: "tls-server-name", type: "string", commands: ["health"], description: "Health check: the name the server's certificate must hold (default: the host of --address)." },
  { name: "timeout", type: "duration", default: "5s", commands: ["health"], description: "Health check: give up (exit 1) after this long." },
  { name: "file", short: "f", type: "string", default: "sync.c1z", commands: ["sync", "inspect", "report"], description: "The .c1z sync file to write (sync) or read (inspect, report, one-shot provisioning)." },
  { name: "json", type: "boolean", default: false, commands: ["inspect", "events"], description: "inspect: print resources, entitlements and grants as JSON. events: print each event as a line of JSON (the protocol's Event)." },
  { name: "since", type: "duration", default: "24h", commands: ["events"], description: "events: list the events of this long ago until now (the audit log keeps 30 days: at most 720h)." },
  { name: "output", short: "o", type: "string", default: "access-report.html", commands: ["report"], description: "The HTML file the access report is written to." },
  { name: "live", type: "boolean", default: false, commands: ["report"], description: "Report on the configured account as it is now (a sync through the connector's own server) instead of --file." },
  // Thresholds of the security-insight findings (src/insights/insight-rules.ts).
  { name: "insight-api-key-max-days", type: "number", default: 90, commands: CONNECTOR, description: "Security insight api-key-long-lived: most days an enabled API key may be valid after its creation." },
  { name: "insight-admins-min", type: "number", default: 3, commands: CONNECTOR, description: "Security insight admin-count: owners plus admins (users and service accounts) allowed in any account; more than max(this, --insight-admins-percent of the users) is a finding." },
  { name: "insight-admins-percent", type: "number", default: 5, commands: CONNECTOR, description: "Security insight admin-count: owners plus admins allowed, in percent of the users." },
  // What a sync covers: the Go SDK's scoping flags (docs/grant-expansion.md, "What a sync stores").
  { name: "skip-expand-grants", type: "boolean", default: false, commands: ONE_SHOT, description: "Store only the grants the connector lists, not the grants expansion derives from them (group members, inherited roles)." },
  { name: "sync-resource-types", type: "string", commands: ONE_SHOT, description: "Sync only these resource types (comma-separated ids, e.g. user,group); grants to or on other types are left out." },
  { name: "sync-resources", type: "string", commands: ONE_SHOT, description: "A partial sync of these resources only (comma-separated, each bid:r:<type>/<id> as baton writes them, or <type>/<id>): each read with GetResource, with its own entitlements and grants; no expansion." },
  { name: "skip-entitlements-and-grants", type: "boolean", default: false, commands: ONE_SHOT, description: "Sync resource types and resources only (a resources_only sync)." },
  { name: "skip-grants", type: "boolean", default: false, commands: ONE_SHOT, description: "Sync no grants (with --sync-resources only, as in the SDK)." },
  // baton's one-shot provisioning flags: each performs one action with what --file holds, instead of a sync.
  { name: "grant-entitlement", type: "string", commands: ONE_SHOT, description: "One-shot grant: the entitlement id (from --file) to grant to --grant-principal; no sync is run." },
  { name: "grant-principal", type: "string", commands: ONE_SHOT, description: "One-shot grant: the principal's resource id (from --file)." },
  { name: "grant-principal-type", type: "string", commands: ONE_SHOT, description: "One-shot grant: the principal's resource type (user, service-account or group)." },
  { name: "revoke-grant", type: "string", commands: ONE_SHOT, description: "One-shot revoke: the grant id (from --file) to revoke; no sync is run." },
  { name: "create-account-email", type: "string", commands: ONE_SHOT, description: "One-shot account creation: invite a user with this email address; no sync is run." },
  { name: "create-account-login", type: "string", commands: ONE_SHOT, description: "One-shot account creation: the account's login." },
  { name: "create-account-profile", type: "string", commands: ONE_SHOT, description: "One-shot account creation: profile fields as a JSON object." },
  { name: "create-account-resource-type", type: "string", commands: ONE_SHOT, description: "One-shot account creation: the resource type of the account (default: the connector's account type, user)." },
  { name: "delete-resource", type: "string", commands: ONE_SHOT, description: "One-shot deletion: the resource id (from --file) to delete; no sync is run." },
  { name: "delete-resource-type", type: "string", commands: ONE_SHOT, description: "One-shot deletion: the resource's type." },
  // Service mode (src/service, src/cli/service-mode.ts): with a ConductorOne client credential the
  // connector dials ConductorOne and takes tasks instead of serving gRPC; and its simulator.
  { name: "client-id", type: "string", commands: ["serve"], description: "Service mode: the ConductorOne client id (<name>@<host>/<path>). With --client-secret, the connector connects to ConductorOne and runs the tasks it hands out (syncs, grants, revokes…) instead of serving gRPC." },
  { name: "client-secret", type: "string", secret: true, commands: ["serve"], description: "Service mode: the ConductorOne client secret (secret-token:…), shown once when the credential is created. Prefer BATON_CLIENT_SECRET over the command line." },
  { name: "task-concurrency", type: "number", default: 3, commands: ["serve", "demo"], description: "Service mode: most tasks run at once (1-100)." },
  { name: "service-mode", type: "boolean", default: false, commands: ["demo"], description: "Demo: also start a ConductorOne simulator, run the connector in service mode against it and hand it a few tasks (hello, sync, event feed, grant, an unsupported one)." },
  { name: "ca-file", type: "string", commands: ["c1-simulator"], description: "ConductorOne simulator: write the PEM of its test CA here (default: a new temporary file); point NODE_EXTRA_CA_CERTS (or Go's SSL_CERT_FILE) at it." },
  { name: "next-poll", type: "duration", default: "1s", commands: ["c1-simulator"], description: "ConductorOne simulator: next_poll of its GetTask answers." },
  { name: "next-heartbeat", type: "duration", default: "5s", commands: ["c1-simulator"], description: "ConductorOne simulator: next_heartbeat of its GetTask and Heartbeat answers." },
  { name: "token-lifetime", type: "duration", default: "1h", commands: ["c1-simulator"], description: "ConductorOne simulator: lifetime (expires_in) of the access tokens it issues." },
  { name: "log-level", type: "string", default: "info", choices: ["debug", "info", "warn", "error"], commands: LOGGING, description: "Log level." },
  { name: "log-format", type: "string", default: "json", choices: ["json", "console"], commands: LOGGING, description: "Log format: JSON lines or human-readable console output." },
  { name: "users", type: "number", commands: DATASET, description: "Serve a generated account with this many users instead of the demo account." },
  { name: "service-accounts", type: "number", default: 100, commands: DATASET, description: "Generated account: service accounts." },
  { name: "namespaces", type: "number", default: 20, commands: DATASET, description: "Generated account: namespaces." },
  { name: "groups", type: "number", default: 30, commands: DATASET, description: "Generated account: user groups." },
  { name: "members-per-group", type: "number", default: 20, commands: DATASET, description: "Generated account: average members per group." },
  { name: "custom-roles", type: "number", default: 10, commands: DATASET, description: "Generated account: custom roles." },
  { name: "api-keys", type: "number", default: 500, commands: DATASET, description: "Generated account: API keys." },
  { name: "projects", type: "number", default: 0, commands: DATASET, description: "Generated account: projects (API v0.18.0), with project roles and two project-scoped service accounts each (0: none)." },
  { name: "seed", type: "number", default: 1, commands: DATASET, description: "Generated account: random seed." },
  { name: "latency", type: "duration", default: "0s", commands: DATASET, description: "Simulator: time every response takes at least (its own work included)." },
  { name: "operation-delay", type: "duration", default: "0s", commands: DATASET, description: "Simulator: how long async operations take." },
  { name: "chaos", type: "duration", default: "0s", commands: DATASET, description: "Simulator: every this long, change the account behind the connector's back, as a person in the web UI would, and log it in the audit log (0s: never)." },
  { name: "audit-history-days", type: "number", default: 7, commands: DATASET, description: "Simulator: days of audit log the account starts with (a plausible history of its current state; 0: none)." },
  { name: "cache-reads", type: "boolean", default: false, commands: ["simulator"], description: "Simulator: answer a repeated list read from the body sent before, until the next write (benchmarks)." },
];

/** Values holds parsed settings by field name ("strings" fields hold a list). */
export type Values = Record<string, string | boolean | number | string[]>;

/** ParseResult is what parseArgs returns: never an exception for bad user input. */
export type ParseResult = { ok: true; command: Command; values: Values; help: boolean } | { ok: false; error: string };

const COMMANDS: readonly Command[] = ["serve", "demo", "simulator", "c1-simulator", "sync", "inspect", "events", "report", "health", "capabilities", "config"];

/** envName is the conventional BATON_* variable of a flag: upper-cased, '-' → '_'. */
export function envName(field: Field): string {
  return `BATON_${field.name.toUpperCase().replace(/-/g, "_")}`;
}

/**
 * parseArgs reads a command line and the environment. Flags win over BATON_* variables, which
 * win over defaults. The command is the first argument (serve when omitted).
 */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ParseResult {
  let args = [...argv];
  let command: Command = "serve";
  if (args[0] && !args[0].startsWith("-")) {
    if (!COMMANDS.includes(args[0] as Command)) return { ok: false, error: `unknown command "${args[0]}"; commands: ${COMMANDS.join(", ")}` };
    command = args[0] as Command;
    args = args.slice(1);
  }
  const fields = FIELDS.filter((f) => f.commands.includes(command));
  const values: Values = {};
  for (const field of fields) {
    const raw = env[envName(field)];
    if (raw !== undefined && raw !== "") {
      if (field.type === "strings") {
        values[field.name] = raw.split(",").map((item) => item.trim()).filter(Boolean);
        continue;
      }
      const parsed = convert(field, raw, envName(field));
      if (typeof parsed === "object") return parsed;
      values[field.name] = parsed;
    }
  }
  let help = false;
  const given = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-h" || arg === "--help") {
      help = true;
      continue;
    }
    const match = /^(?:--([a-z0-9-]+)|-([a-zA-Z]))(?:=(.*))?$/s.exec(arg);
    if (!match) return { ok: false, error: `unexpected argument "${arg}"` };
    const [, long, short, inline] = match;
    const field = fields.find((f) => (long ? f.name === long : f.short === short));
    if (!field) return { ok: false, error: `unknown flag "${arg.split("=")[0]}" for ${command}; see ${command} --help` };
    let raw = inline;
    if (raw === undefined) {
      if (field.type === "boolean") raw = "true";
      else if (i + 1 < args.length) raw = args[++i];
      else return { ok: false, error: `flag --${field.name} needs a value` };
    }
    const parsed = convert(field, raw!, `--${field.name}`);
    if (typeof parsed === "object") return parsed;
    // A repeated list flag adds to the list; the first replaces what the variable said.
    if (field.type === "strings") values[field.name] = [...(given.has(field.name) ? (values[field.name] as string[]) : []), parsed as string];
    else values[field.name] = parsed;
    given.add(field.name);
  }
  for (const field of fields) if (values[field.name] === undefined && field.default !== undefined) values[field.name] = field.default;
  for (const field of fields) {
    if (field.type === "duration" && typeof values[field.name] === "string") values[field.name] = parseDuration(values[field.name] as string)!;
  }
  return { ok: true, command, values, help };
}

function convert(field: Field, raw: string, where: string): string | boolean | number | { ok: false; error: string } {
  switch (field.type) {
    case "boolean":
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      return { ok: false, error: `${where} must be true or false, got "${raw}"` };
    case "number": {
      const n = Number(raw);
      return Number.isFinite(n) && raw.trim() !== "" ? n : { ok: false, error: `${where} must be a number, got "${raw}"` };
    }
    case "duration":
      return parseDuration(raw) === undefined ? { ok: false, error: `${where} must be a duration such as 500ms, 30s or 10m, got "${raw}"` } : raw;
    default:
      if (field.choices && !field.choices.includes(raw)) return { ok: false, error: `${where} must be one of ${field.choices.join(", ")}, got "${raw}"` };
      return raw;
  }
}

/** parseDuration reads 500ms, 30s, 10m, 1h (or plain seconds) into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"]!;
  return Number(m[1]) * unit;
}

/** usage renders --help for a command from FIELDS. */
export function usage(command: Command): string {
  const lines = [`Usage: temporalcloud-connector ${command} [flags]`, "", "Flags (each also settable as an environment variable):"];
  for (const f of FIELDS.filter((x) => x.commands.includes(command))) {
    const flag = `${f.short ? `-${f.short}, ` : ""}--${f.name}${f.type === "boolean" ? "" : ` <${f.type === "strings" ? "string" : f.type}>`}`;
    const extra = [f.default !== undefined ? `default ${JSON.stringify(f.default)}` : "", f.secret ? "secret" : "", f.type === "strings" ? "repeatable" : "", `$${envName(f)}`].filter(Boolean).join("; ");
    lines.push(`  ${flag}`, `      ${f.description} (${extra})`);
  }
  return lines.join("\n");
}

/** configSchema is the `config` command's output: every field with its type and defaults. */
export function configSchema(): unknown {
  return {
    displayName: "Temporal Cloud",
    fields: FIELDS.map((f) => ({
      name: f.name,
      env: envName(f),
      ...(f.short ? { shortFlag: f.short } : {}),
      description: f.description,
      type: f.type,
      ...(f.choices ? { choices: f.choices } : {}),
      ...(f.default !== undefined ? { default: f.default } : {}),
      required: f.name === "api-key" ? "for serve, sync, events and report --live (or --api-key-file)" : false,
      secret: f.secret ?? false,
      commands: f.commands,
    })),
  };
}
