import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { CorpusData } from "./fuzz-cases.js";
import type { RunResult } from "./fuzz-run.js";

/** FuzzWorkerData configures the client thread. */
export interface FuzzWorkerData {
  address: string;
  corpus: CorpusData;
  /** Case i is generated from createPrng(seed + i). */
  seed: number;
  /** Calls in flight at once. */
  concurrency: number;
  /** HTTP/2 connections shared by the calls. */
  sessions: number;
  /** Per-call deadline: an answer later than this is a hang. */
  timeoutMs: number;
}

/** FuzzWorkerRequest asks the client thread to run cases (or to close its connections). */
export type FuzzWorkerRequest = { id: number; op: "raw" | "grpc-js"; first: number; count: number } | { id: number; op: "close" };

/** FuzzWorkerReply answers a request (id 0 means "ready"). */
export interface FuzzWorkerReply {
  id: number;
  result?: RunResult;
  error?: string;
  sessionsLost: number;
}

/** FuzzThread drives the client thread. */
export interface FuzzThread {
  /** run sends cases first..first+count-1 over raw HTTP/2, or count decodable ones over grpc-js. */
  run(op: "raw" | "grpc-js", first: number, count: number): Promise<{ result: RunResult; sessionsLost: number }>;
  close(): Promise<void>;
}

/**
 * TS_HOOKS are module customization hooks that let a worker thread import the repository's
 * TypeScript directly, the way vitest does for the tests: `./x.js` imports resolve to `./x.ts`,
 * and `.ts` files are transpiled (types erased) with the project's own TypeScript compiler.
 */
function tsHooks(typescript: string): string {
  return `
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
const ts = createRequire(${JSON.stringify(typescript)})(${JSON.stringify(typescript)});
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    if (/^\\.\\.?\\//.test(specifier) && specifier.endsWith(".js") && context.parentURL?.endsWith(".ts")) return next(specifier.slice(0, -3) + ".ts", context);
    throw err;
  }
}
export async function load(url, context, next) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return next(url, context);
  const fileName = fileURLToPath(url);
  const { outputText } = ts.transpileModule(readFileSync(fileName, "utf8"), {
    fileName,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  });
  return { format: "module", source: outputText, shortCircuit: true };
}`;
}

/**
 * startFuzzThread runs the fuzz client (test/helpers/fuzz-worker.ts) in a worker thread, so that
 * generating, sending and judging requests uses the second core instead of competing with the
 * server under test, and so that the server's heap is measured without the client's garbage.
 */
export async function startFuzzThread(data: FuzzWorkerData): Promise<FuzzThread> {
  const typescript = createRequire(import.meta.url).resolve("typescript");
  const entry = new URL("./fuzz-worker.ts", import.meta.url).href;
  const boot = `
const { register } = require("node:module");
register("data:text/javascript," + encodeURIComponent(${JSON.stringify(tsHooks(typescript))}));
import(${JSON.stringify(entry)}).catch((err) => { throw err; });`;
  const worker = new Worker(boot, { eval: true, workerData: data });
  const pending = new Map<number, { resolve: (reply: FuzzWorkerReply) => void; reject: (err: Error) => void }>();
  let failed: Error | undefined;
  const fail = (err: Error) => {
    failed ??= err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on("message", (reply: FuzzWorkerReply) => {
    const p = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.error) p?.reject(new Error(`fuzz worker: ${reply.error}`));
    else p?.resolve(reply);
  });
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`fuzz worker exited (${code})`)));
  let nextId = 1;
  const ask = (request: FuzzWorkerRequest extends infer R ? (R extends unknown ? Omit<R, "id"> : never) : never) =>
    new Promise<FuzzWorkerReply>((resolve, reject) => {
      if (failed) return reject(failed);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  await new Promise<FuzzWorkerReply>((resolve, reject) => pending.set(0, { resolve, reject }));
  return {
    async run(op, first, count) {
      const reply = await ask({ op, first, count });
      return { result: reply.result!, sessionsLost: reply.sessionsLost };
    },
    async close() {
      await ask({ op: "close" }).catch(() => {});
      await worker.terminate();
    },
  };
}
