import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generate } from '@graphql-codegen/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dailyTrend, dashboardClient } from '../examples/dashboard.js';
import { documentIdOf, runTrusted, syncCatalogAndSales } from '../examples/partner.js';
import { subscribeToAlerts, type RaisedAlert } from '../examples/subscriber.js';
import { BACKENDS } from './support/backends.js';
import { insertTenant, twinTenants } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const exec = promisify(execFile);

/**
 * Runs an example as its header's `// Run:` line says, the gateway's address and a token of
 * the role it names put in for the placeholders (`…`, `<partner token>`); returns its output.
 */
async function runAsDocumented(
  file: string,
  url: string,
  token: (role: string) => Promise<string>,
) {
  const header = /^\/\/ Run: (.+)$/m.exec(await readFile(file, 'utf8'))?.[1] ?? '';
  const words = header.replace(/<(\w+) token>/g, '<$1-token>').split(' ');
  const command = words.findIndex((w) => !/^[A-Z_]+=/.test(w));
  const env: Record<string, string> = {};
  for (const assignment of words.slice(0, command)) {
    const [name = '', value = ''] = assignment.split('=');
    const role = /^<(\w+)-token>$/.exec(value)?.[1];
    env[name] = value === '…' ? url : role ? await token(role) : value;
  }
  const [program = '', ...args] = words.slice(command);
  const { stdout } = await exec(program, args, { env: { ...process.env, ...env } });
  return { header, stdout };
}

const RAISE = `mutation($i: RaiseAlertInput!) { raiseAlert(input: $i) { alert { id } } }`;

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(BACKENDS)('examples against a real gateway on %s', (kind) => {
  let gw: TestGateway;
  let dir: string;
  let manifest: string;
  const [a] = twinTenants();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shelfops-examples-'));
    // The partner's build: Code Generator's client preset over the repository's operations.
    await generate(
      {
        schema: 'schema.graphql',
        documents: ['persisted/documents/*.graphql'],
        generates: {
          [`${dir}/`]: {
            preset: 'client',
            presetConfig: { persistedDocuments: { hashAlgorithm: 'sha256' } },
          },
        },
        silent: true,
      },
      true,
    );
    manifest = join(dir, 'persisted-documents.json');
    gw = await startTestGateway(kind, { TRUSTED_DOCUMENTS_FILE: manifest });
    await insertTenant(gw.owner, a);
  }, 120_000);
  afterAll(async () => {
    await gw?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('dashboard: Apollo Client sends the hash alone once the gateway knows the query', async () => {
    const day = 86_400_000;
    const to = new Date(Math.floor(Date.now() / day) * day);
    const from = new Date(to.getTime() - 7 * day);
    await gw.owner.query(
      `INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue)
       SELECT $1, gen_random_uuid(), $2::timestamptz + make_interval(days => d, hours => 9), s.id, $3, d, 1.25, d * 1.25
       FROM stores s, generate_series(1, 5) d WHERE s.customer_id = $1`,
      [a.customerId, from.toISOString(), a.products[0]?.id],
    );
    const { rows: expected } = await gw.owner.query<{ units: string }>(
      `SELECT sum(quantity)::text AS units FROM transactions WHERE customer_id = $1 AND time >= $2 AND time < $3`,
      [a.customerId, from.toISOString(), to.toISOString()],
    );
    const token = await gw.token(a.customerId, 'analyst');
    const sent: { hashOnly: boolean }[] = [];
    const watching: typeof fetch = (input, init) => {
      const body = JSON.parse(String(init?.body)) as { query?: string };
      sent.push({ hashOnly: body.query === undefined });
      return fetch(input, init);
    };
    const first = await dailyTrend(dashboardClient(gw.url, token, watching), from, to);
    const again = await dailyTrend(dashboardClient(gw.url, token, watching), from, to);
    // Miss (hash alone), then the text with its hash; the second client: the hash alone.
    expect(sent).toEqual([{ hashOnly: true }, { hashOnly: false }, { hashOnly: true }]);
    expect(again).toEqual(first);
    expect(first.reduce((sum, p) => sum + Number(p.units), 0)).toBe(Number(expected[0]?.units));
  });

  it('partner: runs a Code Generator trusted document by its id', async () => {
    const id = await documentIdOf(manifest, 'PartnerStores');
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const data = await runTrusted<{ stores: { edges: { node: { code: string } }[] } }>(
      gw.url,
      await gw.token(a.customerId, 'partner'),
      id,
      { first: 2 },
    );
    expect(data.stores.edges.map((e) => e.node.code)).toEqual(['S1', 'S2']);
  });

  it('partner: syncs its catalog by code and records sales by code, through trusted documents', async () => {
    const partner = await gw.token(a.customerId, 'partner');
    const catalog = {
      stores: [{ code: 'POS-7', name: 'Kiosk 7', region: 'East', timeZone: 'Europe/Paris' }],
      products: [{ sku: 'TEA-1', name: 'Green tea', category: 'Drinks', unitPrice: '3.20' }],
    };
    const time = new Date(Date.now() - 3_600_000).toISOString();
    const sales = [
      {
        transactionId: randomUUID(),
        time,
        storeCode: 'POS-7',
        sku: 'TEA-1',
        quantity: 2,
        unitPrice: '3.20',
      },
      {
        transactionId: randomUUID(),
        time,
        storeCode: 'S1',
        sku: 'TEA-1',
        quantity: -1,
        unitPrice: '3.20',
      },
    ];
    const first = await syncCatalogAndSales(gw.url, partner, manifest, catalog, sales);
    expect(first).toEqual({
      stores: { created: 1, updated: 0 },
      products: { created: 1, updated: 0 },
      sales: { accepted: 2, duplicates: 0 },
    });
    const again = await syncCatalogAndSales(gw.url, partner, manifest, catalog, sales);
    expect(again).toEqual({
      stores: { created: 0, updated: 0 },
      products: { created: 0, updated: 0 },
      sales: { accepted: 0, duplicates: 2 },
    });
    const { rows } = await gw.owner.query<{ code: string; sku: string; quantity: number }>(
      `SELECT s.code, p.sku, t.quantity FROM transactions t
       JOIN stores s ON s.id = t.store_id JOIN products p ON p.id = t.product_id
       WHERE t.transaction_id = ANY($1::uuid[]) ORDER BY t.quantity`,
      [sales.map((s) => s.transactionId)],
    );
    expect(rows).toEqual([
      { code: 'S1', sku: 'TEA-1', quantity: -1 },
      { code: 'POS-7', sku: 'TEA-1', quantity: 2 },
    ]);
  });

  it('subscriber: receives a raised alert over graphql-sse', async () => {
    const received: RaisedAlert[] = [];
    const errors: unknown[] = [];
    const stop = subscribeToAlerts(
      gw.url,
      await gw.token(a.customerId, 'analyst'),
      (alert) => received.push(alert),
      (error) => errors.push(error),
    );
    try {
      const admin = await gw.token(a.customerId, 'admin');
      const input = {
        storeId: a.stores[0]?.id,
        productId: a.products[0]?.id,
        type: 'LOW_STOCK',
        severity: 'CRITICAL',
        message: 'Milk below reorder point',
      };
      // The subscription may still be connecting: raise (every half second) until it sees one.
      let last = 0;
      await until(() => {
        if (received.length === 0 && Date.now() - last > 500) {
          last = Date.now();
          void gw.graphql(RAISE, { i: input }, admin);
        }
        return received.length > 0 || errors.length > 0;
      }, 30_000);
      expect(errors).toEqual([]);
      expect(received[0]).toMatchObject({
        type: 'LOW_STOCK',
        severity: 'CRITICAL',
        message: 'Milk below reorder point',
      });
    } finally {
      stop();
    }
  });
  it('partner and dashboard: run as their header comments say', async () => {
    const token = (role: string) => gw.token(a.customerId, role as 'partner' | 'analyst');
    const partner = await runAsDocumented('examples/partner.ts', gw.url, token);
    expect(partner.header).toContain('MANIFEST=persisted/trusted-documents.json');
    const [synced = '', ...listing] = partner.stdout.split('\n');
    expect(JSON.parse(synced)).toEqual({
      stores: { created: 1, updated: 0 },
      products: { created: 1, updated: 0 },
      sales: { accepted: 1, duplicates: 0 },
    });
    const stores = JSON.parse(listing.join('\n')) as {
      stores: { edges: { node: { code: string } }[] };
    };
    expect(stores.stores.edges.map((e) => e.node.code)).toContain('KIOSK-1');
    const { rows } = await gw.owner.query<{ units: number }>(
      `SELECT sum(t.quantity)::int AS units FROM transactions t JOIN stores s
         ON s.customer_id = t.customer_id AND s.id = t.store_id
       WHERE t.customer_id = $1 AND s.code = 'KIOSK-1'`,
      [a.customerId],
    );
    expect(rows).toEqual([{ units: 1 }]);
    const dashboard = await runAsDocumented('examples/dashboard.ts', gw.url, token);
    expect(Array.isArray(JSON.parse(dashboard.stdout))).toBe(true);
  });
});
