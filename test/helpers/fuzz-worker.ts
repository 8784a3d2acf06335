import { parentPort, workerData } from "node:worker_threads";
import { createPrng } from "../../src/simulator/temporal/prng.js";
import { createGrpcClient } from "../../src/sync/grpc-client.js";
import { corpusFromData, createCaseFactory, FUZZ_SERVICES, fuzzMethods, type FuzzCase } from "./fuzz-cases.js";
import { createFuzzClient } from "./fuzz-h2.js";
import { pickClass, runGrpcJs, runRaw } from "./fuzz-run.js";
import type { FuzzWorkerData, FuzzWorkerReply, FuzzWorkerRequest } from "./fuzz-thread.js";

// The client side of the fuzz test, in a thread of its own (started by fuzz-thread.ts): it
// generates the cases, sends them, and judges the answers, while the server under test keeps the
// test's own thread (and heap) to itself.

const data = workerData as FuzzWorkerData;
const methods = fuzzMethods(FUZZ_SERVICES);
const factory = createCaseFactory(methods, corpusFromData(data.corpus, methods));
const raw = createFuzzClient(data.address, { sessions: data.sessions, timeoutMs: data.timeoutMs });
const grpc = createGrpcClient({ address: data.address, deadlineMs: data.timeoutMs });

/** make builds case i from its own PRNG: the same i always gives the same request. */
function make(i: number): FuzzCase {
  const prng = createPrng(data.seed + i);
  const klass = pickClass(prng);
  const pool = factory.methodsFor(klass);
  return factory.make(klass, pool[i % pool.length]!, prng);
}

parentPort!.on("message", (request: FuzzWorkerRequest) => {
  const reply = (r: Omit<FuzzWorkerReply, "id">) => parentPort!.postMessage({ id: request.id, ...r } satisfies FuzzWorkerReply);
  const work =
    request.op === "raw"
      ? runRaw(raw, request.first, request.count, data.concurrency, make)
      : request.op === "grpc-js"
        ? runGrpcJs(grpc, request.first, request.count, Math.min(16, data.concurrency), make)
        : raw.close().then(() => {
            grpc.close();
            return undefined;
          });
  work.then(
    (result) => reply({ result, sessionsLost: raw.sessionsLost }),
    (err: unknown) => reply({ error: err instanceof Error ? (err.stack ?? err.message) : String(err), sessionsLost: raw.sessionsLost }),
  );
});
parentPort!.postMessage({ id: 0, sessionsLost: 0 } satisfies FuzzWorkerReply);
