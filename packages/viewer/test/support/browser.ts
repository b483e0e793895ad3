// Debian's headless Chromium, driven by playwright-core (a test tool's own browser download cannot
// work here). Screenshots go to test-artifacts/viewer/ at the repository root.
import { existsSync, mkdirSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../../../../test-artifacts/viewer/', import.meta.url));

/** A browser, or undefined with the test skipped when Chromium is missing (a failure under SIGHTLINE_REQUIRE_SERVICES=1). */
export async function launch(t: TestContext): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.SIGHTLINE_REQUIRE_SERVICES === '1')
      throw new Error(`Chromium is not installed at ${CHROMIUM} and SIGHTLINE_REQUIRE_SERVICES=1`);
    t.skip(`Chromium is not installed at ${CHROMIUM} (apt-get install chromium)`);
    return undefined;
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    // Without these, Chromium tries to reach Google's services, which this network refuses.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
