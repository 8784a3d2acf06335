import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** CHROMIUM is Debian's chromium, which .ci/run installs; playwright-core never downloads a browser. */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * browserMissing says why browser tests cannot run here, or undefined when they can. Outside CI
 * a machine without chromium skips them (saying so); in CI a missing browser is a failure.
 */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs it (apt-get install -y chromium)`);
  const reason = `${CHROMIUM} is not installed: browser tests skipped (apt-get install -y chromium to run them)`;
  console.warn(reason);
  return reason;
}

/** launchChromium starts headless chromium with flags that work in a sandboxless container. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
