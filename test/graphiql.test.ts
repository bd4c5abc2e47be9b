import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/tokens.js';
import { insertTenant, twinTenants } from './support/fixtures.js';
import { browserTestsRun, launchChromium } from './support/browser.js';
import { startTestGateway, TEST_SECRET, type TestGateway } from './support/gateway.js';

describe.runIf(browserTestsRun('GraphiQL browser test'))('GraphiQL in a browser', () => {
  let gw: TestGateway;
  let browser: Browser;
  const [a] = twinTenants();

  beforeAll(async () => {
    const token = await mintToken({
      secret: TEST_SECRET,
      issuer: 'shelfops-dev',
      audience: 'shelfops-gateway',
      customerId: a.customerId,
      role: 'analyst',
    });
    gw = await startTestGateway('postgres', {}, { graphiqlToken: token });
    await insertTenant(gw.owner, a);
    // Sales of each store over the last days, for the trend the first tab runs.
    await gw.owner.query(
      `INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue)
       SELECT $1, gen_random_uuid(), date_trunc('day', now()) - make_interval(days => d, hours => 10),
              s.id, $2, d, 2.50, d * 2.50
       FROM stores s, generate_series(1, 5) d WHERE s.customer_id = $1`,
      [a.customerId, a.products[0]?.id],
    );
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('renders from the gateway alone, opens on this API’s examples and runs one', async () => {
    const page = await browser.newPage();
    const origin = new URL(gw.url).origin;
    const blocked: string[] = [];
    const served: string[] = [];
    await page.route('**/*', async (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith('blob:') || url.startsWith('data:')) {
        served.push(url);
        await route.continue();
      } else {
        blocked.push(url);
        await route.abort();
      }
    });
    await page.goto(`${gw.url}/graphql`);
    await page.waitForSelector('.graphiql-container', { timeout: 60_000 });
    // The three example tabs, the first one open with the token header.
    const tabs = await page.locator('.graphiql-tab').allTextContents();
    expect(tabs.join(' ')).toMatch(/SalesTrend.*BelowReorderPoint.*OpenAlerts/);
    await page.locator('.graphiql-execute-button').click();
    await page.waitForFunction(
      () => document.querySelector('.result-window')?.textContent?.includes('"units"'),
      undefined,
      { timeout: 60_000 },
    );
    // Monaco renders spaces as no-break spaces.
    const result = ((await page.locator('.result-window').textContent()) ?? '').replace(
      /\s+/g,
      ' ',
    );
    expect(result).toContain('"salesTrend"');
    expect(result).toContain('"code": "S1"');
    expect(blocked).toEqual([]);
    expect(served.some((u) => u.includes('/graphiql/assets/yoga-graphiql.umd.js'))).toBe(true);
    await page.close();
  }, 120_000);
});
