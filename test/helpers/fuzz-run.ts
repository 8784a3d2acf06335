import { fromBinary, type DescMessage, type DescMethodUnary } from "@bufbuild/protobuf";
import { status as Code, type ServiceError } from "@grpc/grpc-js";
import type { Prng } from "../../src/simulator/temporal/prng.js";
import type { GrpcClient } from "../../src/sync/grpc-client.js";
import { judge, type FuzzCase, type InputClass } from "./fuzz-cases.js";
import type { FuzzClient, FuzzOutcome } from "./fuzz-h2.js";

/** CLASS_WEIGHTS say how often each input class is drawn (percent). */
export const CLASS_WEIGHTS: readonly [InputClass, number][] = [
  ["bytes", 15],
  ["random", 22],
  ["template", 20],
  ["oversized", 8],
  ["deep", 5],
  ["token", 12],
  ["unknown-type", 6],
  ["framing", 12],
];

/** pickClass draws an input class by CLASS_WEIGHTS. */
export function pickClass(prng: Prng): InputClass {
  let r = prng.int(100);
  for (const [klass, weight] of CLASS_WEIGHTS) {
    if (r < weight) return klass;
    r -= weight;
  }
  return "random";
}

/** Finding groups the violations of one kind: same answer, same broken expectation, same message. */
export interface Finding {
  count: number;
  /** Where it happened: "Service/Method [class]" → requests. */
  where: Map<string, number>;
  sample: string;
}

/** RunResult is what a run saw: answers per method, and the violations. */
export interface RunResult {
  requests: number;
  /** Method → answer (gRPC code name, "HTTP 415", "RESET"…) → count. */
  tally: Map<string, Map<string, number>>;
  findings: Map<string, Finding>;
  ms: number;
}

function emptyResult(): RunResult {
  return { requests: 0, tally: new Map(), findings: new Map(), ms: 0 };
}

/** runRaw sends cases first..first+count-1 over the raw HTTP/2 client, `concurrency` at a time. */
export async function runRaw(client: FuzzClient, first: number, count: number, concurrency: number, make: (i: number) => FuzzCase): Promise<RunResult> {
  const result = emptyResult();
  const started = performance.now();
  let next = first;
  const end = first + count;
  const worker = async () => {
    while (next < end) {
      const i = next++;
      const c = make(i);
      record(result, c, await client.send(c.request), i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  result.ms = performance.now() - started;
  return result;
}

/**
 * runGrpcJs sends `count` decodable unary cases (from case `first` on) through the repository's
 * grpc-js client: another HTTP/2 and gRPC implementation framing the same messages (re-encoded by
 * protobuf-es, unknown fields included).
 */
export async function runGrpcJs(client: GrpcClient, first: number, count: number, concurrency: number, make: (i: number) => FuzzCase): Promise<RunResult> {
  const result = emptyResult();
  const started = performance.now();
  let sent = 0;
  let next = first;
  const worker = async () => {
    while (sent < count) {
      const i = next++;
      const c = make(i);
      if (c.method.desc.methodKind !== "unary" || c.request.contentType || c.request.headers || c.expect.kind === "http") continue;
      const payload = unframe(c.request.body);
      if (!payload || payload.length > 4 * 1024 * 1024 - 64) continue;
      let message: ReturnType<typeof fromBinary>;
      try {
        message = fromBinary(c.method.desc.input, payload);
      } catch {
        continue;
      }
      sent++;
      let outcome: FuzzOutcome;
      try {
        await client.call(c.method.desc as DescMethodUnary<DescMessage, DescMessage>, message as never);
        outcome = { kind: "status", code: 0, messageBytes: 0, responseBytes: 0 };
      } catch (err) {
        const e = err as ServiceError;
        outcome = { kind: "status", code: e.code, message: e.details, messageBytes: e.details?.length ?? 0, responseBytes: 0 };
      }
      record(result, c, outcome, i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  result.ms = performance.now() - started;
  return result;
}

/** unframe returns the payload of a body that is exactly one well-formed uncompressed frame. */
function unframe(body: Uint8Array): Uint8Array | undefined {
  if (body.length < 5 || body[0] !== 0) return undefined;
  const length = Buffer.from(body.buffer, body.byteOffset, body.length).readUInt32BE(1);
  return length === body.length - 5 ? body.subarray(5) : undefined;
}

function outcomeName(o: FuzzOutcome): string {
  if (o.kind === "status") return Code[o.code!] ?? `code ${o.code}`;
  if (o.kind === "http") return `HTTP ${o.httpStatus}`;
  return o.kind.toUpperCase();
}

/** normalize folds the variable parts of a message so that findings group by cause. */
function normalize(message: string | undefined): string {
  return (message ?? "")
    .slice(0, 160)
    .replace(/"[^"]*"/g, '"…"')
    .replace(/[0-9a-f]{16,}/gi, "<id>")
    .replace(/\d+/g, "N");
}

function record(result: RunResult, c: FuzzCase, o: FuzzOutcome, i: number): void {
  result.requests++;
  const counts = result.tally.get(c.method.name) ?? new Map<string, number>();
  const name = outcomeName(o);
  counts.set(name, (counts.get(name) ?? 0) + 1);
  result.tally.set(c.method.name, counts);
  const violation = judge(c, o);
  if (!violation) return;
  const key = `got ${name}: ${violation.replace(/\d+/g, "N")} :: ${normalize(o.message ?? o.error)}`;
  const where = `${c.method.name} [${c.klass}]`;
  let f = result.findings.get(key);
  if (!f) {
    const body = Buffer.from(c.request.body);
    const headers = c.request.headers ? ` ${JSON.stringify(c.request.headers)}` : "";
    f = {
      count: 0,
      where: new Map(),
      sample: `${where} case ${i}, ${c.request.contentType ?? "application/grpc"}${headers}, ${body.length} bytes ${body.subarray(0, 48).toString("hex")}; expected ${c.expect.why}; message "${(o.message ?? o.error ?? "").slice(0, 200)}"`,
    };
    result.findings.set(key, f);
  }
  f.count++;
  f.where.set(where, (f.where.get(where) ?? 0) + 1);
}

/** mergeResults adds runs together. */
export function mergeResults(...runs: RunResult[]): RunResult {
  const out = emptyResult();
  for (const run of runs) {
    out.requests += run.requests;
    out.ms += run.ms;
    for (const [method, counts] of run.tally) {
      const into = out.tally.get(method) ?? new Map<string, number>();
      for (const [k, v] of counts) into.set(k, (into.get(k) ?? 0) + v);
      out.tally.set(method, into);
    }
    for (const [k, f] of run.findings) {
      const into = out.findings.get(k) ?? { count: 0, where: new Map<string, number>(), sample: f.sample };
      into.count += f.count;
      for (const [w, n] of f.where) into.where.set(w, (into.where.get(w) ?? 0) + n);
      out.findings.set(k, into);
    }
  }
  return out;
}

/** describeFinding renders a finding for a report or an assertion: count, kind, where, one sample. */
export function describeFinding([key, f]: [string, Finding]): string {
  const where = [...f.where].sort((a, b) => b[1] - a[1]);
  const places = where.slice(0, 8).map(([w, n]) => `${w}×${n}`).join(", ") + (where.length > 8 ? `, … (${where.length} places)` : "");
  return `${f.count}× ${key}\n      in ${places}\n      e.g. ${f.sample}`;
}
