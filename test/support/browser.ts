import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, which the browser tests drive. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Whether the browser tests run: CI installs Chromium (.ci/run) and must run them; elsewhere
 * they are skipped, saying so, when it is absent.
 */
export function browserTestsRun(suite: string): boolean {
  const present = existsSync(CHROMIUM);
  if (!present && process.env.CI !== 'true') {
    console.warn(`${suite} skipped: ${CHROMIUM} is absent (apt-get install chromium)`);
  }
  return present || process.env.CI === 'true';
}

/** Starts headless Chromium without the background requests it makes of its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
