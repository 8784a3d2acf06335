import type { Reporter, TestModule } from "vitest/node";

/** SLOWEST is how many test files the summary names. */
const SLOWEST = 10;

/**
 * SlowestFilesReporter prints, after every run, the ten test files that took longest (collect,
 * setup and tests; per vitest project), so that a slowdown shows the day it lands. The time is
 * the file's own, measured by vitest in its worker: on two workers, the wall time of a run is
 * about half the sum of these.
 */
export default class SlowestFilesReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const files = testModules.map((module) => {
      const d = module.diagnostic();
      return { name: `${module.relativeModuleId} [${module.project.name}]`, ms: d.collectDuration + d.setupDuration + d.duration };
    });
    if (files.length === 0) return;
    const total = files.reduce((sum, f) => sum + f.ms, 0);
    const lines = files
      .sort((a, b) => b.ms - a.ms)
      .slice(0, SLOWEST)
      .map((f) => `  ${(f.ms / 1000).toFixed(1).padStart(6)} s  ${f.name}`);
    process.stdout.write(`\nSlowest test files (of ${files.length}; ${(total / 1000).toFixed(0)} s of test time in all):\n${lines.join("\n")}\n`);
  }
}
