import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WITH_SERVER } from './support/backends.js';
import { uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { insertTenants, salesTenant } from './support/sales-data.js';

const RECORD = 'mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted duplicates } }';
const DAY = 86_400_000;

type Line = Record<string, unknown>;

const line = (n: number, over: Line = {}): Line => ({
  transactionId: uuid(0x3a1e, n),
  time: new Date(Date.parse('2026-06-01T08:00:00Z') + n * 61_000).toISOString(),
  storeCode: `S00${1 + (n % 2)}`,
  sku: `SKU-${1 + (n % 4)}`,
  quantity: 1 + (n % 5),
  unitPrice: `${n % 90}.${String(n % 100).padStart(2, '0')}`,
  ...over,
});

const lines = (from: number, count: number, over: (n: number) => Line = () => ({})) =>
  Array.from({ length: count }, (_, i) => line(from + i, over(from + i)));

const body = (s: unknown, query = RECORD, more: Record<string, unknown> = {}) =>
  JSON.stringify({ query, variables: { s }, ...more });

/**
 * Bodies over SMALL_BODY_BYTES, sent in this order to a gateway reading uploads on a worker and
 * to one reading them on the main thread: every answer and every stored row must be the same.
 */
const corpus: [string, string][] = [
  ['codes', body(lines(0, 300))],
  ['the same again: duplicates', body(lines(0, 300))],
  [
    'ids in upper case, mixed with codes',
    body(
      lines(300, 40, (n) =>
        n % 2
          ? {
              storeCode: null,
              sku: undefined,
              storeId: uuid(1, 1).toUpperCase(),
              productId: uuid(2, 3),
            }
          : {},
      ).map((l) => Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined))),
    ),
  ],
  [
    'receipt ids that need quoting',
    body(
      lines(400, 8, (n) => ({
        receiptId: ['a"b', 'c\\d', 'NULL', '{x,y}', ' ', 'é€😀', "it's", 'r-1'][n % 8],
      })),
    ),
  ],
  [
    'a receipt id too long',
    body(lines(420, 30, (n) => (n === 440 ? { receiptId: 'x'.repeat(65) } : {}))),
  ],
  ['a conflict', body([...lines(500, 20), line(3, { quantity: 5 })])],
  [
    'an unknown SKU before an unknown store',
    body(
      lines(600, 20, (n) => (n === 605 ? { storeCode: 'NOPE' } : n === 603 ? { sku: 'NOPE' } : {})),
    ),
  ],
  [
    'unknown store and SKU on one line',
    body(lines(650, 20, (n) => (n === 652 ? { storeCode: 'NOPE', sku: 'NOPE' } : {}))),
  ],
  [
    'both store id and code',
    body(lines(700, 20, (n) => (n === 710 ? { storeId: uuid(1, 1) } : {}))),
  ],
  ['neither product id nor SKU', body(lines(720, 20, (n) => (n === 725 ? { sku: null } : {})))],
  [
    'a shape problem after a bad quantity',
    body(lines(740, 20, (n) => (n === 750 ? { quantity: 0 } : n === 745 ? { sku: null } : {}))),
  ],
  [
    'a bad price and a zero quantity',
    body(
      lines(760, 20, (n) =>
        n === 769 ? { unitPrice: '1.234' } : n === 771 ? { quantity: 0 } : {},
      ),
    ),
  ],
  ['a negative price', body(lines(780, 20, (n) => (n === 781 ? { unitPrice: '-1.00' } : {})))],
  [
    'a time in the future',
    body(
      lines(800, 20, (n) =>
        n === 811 ? { time: new Date(Date.now() + 30 * DAY).toISOString() } : {},
      ),
    ),
  ],
  [
    'a time before 2000',
    body(lines(820, 20, (n) => (n === 822 ? { time: '1999-12-31T23:59:59.000Z' } : {}))),
  ],
  [
    'a line past retention before a bad line',
    body(
      lines(840, 20, (n) =>
        n === 841 ? { time: '2001-01-01T00:00:00.000Z' } : n === 845 ? { quantity: 0 } : {},
      ),
    ),
  ],
  [
    'a bad line before a line past retention',
    body(
      lines(860, 20, (n) =>
        n === 862 ? { quantity: 0 } : n === 865 ? { time: '2001-01-01T00:00:00.000Z' } : {},
      ),
    ),
  ],
  [
    'a bad line and retention on the same line',
    body(
      lines(880, 20, (n) => (n === 881 ? { quantity: 0, time: '2001-01-01T00:00:00.000Z' } : {})),
    ),
  ],
  ['no lines', body([], RECORD, { padding: 'x'.repeat(400) })],
  ['5 001 lines', body(lines(1000, 5001))],
  [
    'a quantity that is not an Int',
    body(lines(7000, 20, (n) => (n === 7003 ? { quantity: 'x' } : {}))),
  ],
  [
    'a missing transaction id',
    body(lines(7100, 20, (n) => (n === 7101 ? { transactionId: undefined } : {}))),
  ],
  ['an unknown field', body(lines(7200, 20, (n) => (n === 7201 ? { colour: 'red' } : {})))],
  ['a null line', body([...lines(7300, 20), null])],
  ['a bad UUID', body(lines(7400, 20, (n) => (n === 7401 ? { transactionId: 'not-a-uuid' } : {})))],
  [
    'a non-canonical UUID and DateTime',
    body(
      lines(7500, 20, (n) =>
        n === 7501
          ? { transactionId: `{${uuid(0x3a1f, 1)}}`, time: '2026-06-01T10:00:00+02:00' }
          : {},
      ),
    ),
  ],
  [
    'an impossible date',
    body(lines(7600, 20, (n) => (n === 7601 ? { time: '2026-02-30T10:00:00.000Z' } : {}))),
  ],
  ['a price as a number', body(lines(7700, 20, (n) => (n === 7701 ? { unitPrice: 3.5 } : {})))],
  [
    'a NUL in a receipt id',
    body(lines(7800, 20, (n) => (n === 7801 ? { receiptId: 'a\u0000b' } : {}))),
  ],
  [
    'variables nested too deep',
    JSON.stringify({
      query: RECORD,
      variables: { s: lines(7900, 20), deep: JSON.parse(`${'['.repeat(40)}${']'.repeat(40)}`) },
    }),
  ],
  ['one line, not a list', body(line(8000), RECORD, { padding: 'x'.repeat(400) })],
  [
    'aliased, with its operation name',
    body(
      lines(8100, 20),
      'mutation Up($s: [SaleInput!]!) { r: recordSales(sales: $s) { accepted } }',
      { operationName: 'Up' },
    ),
  ],
  [
    'another operation name',
    body(
      lines(8150, 20),
      'mutation Up($s: [SaleInput!]!) { recordSales(sales: $s) { accepted } }',
      { operationName: 'Down' },
    ),
  ],
  [
    'two fields',
    body(
      lines(8200, 20),
      'mutation($s: [SaleInput!]!) { a: recordSales(sales: $s) { accepted } b: recordSales(sales: $s) { duplicates } }',
    ),
  ],
  [
    'a fragment',
    body(
      lines(8300, 20),
      'mutation($s: [SaleInput!]!) { ...F } fragment F on Mutation { recordSales(sales: $s) { accepted } }',
    ),
  ],
  [
    'a directive',
    body(
      lines(8400, 20),
      'mutation($s: [SaleInput!]!, $y: Boolean = true) { recordSales(sales: $s) @include(if: $y) { accepted } }',
    ),
  ],
  [
    'a field that does not exist',
    body(
      lines(8500, 20),
      'mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted bogus } }',
    ),
  ],
  [
    'a nullable list variable',
    body(lines(8600, 20), 'mutation($s: [SaleInput]) { recordSales(sales: $s) { accepted } }'),
  ],
  [
    'a default value and no variable',
    JSON.stringify({
      query: 'mutation($s: [SaleInput!]! = []) { recordSales(sales: $s) { accepted } }',
      variables: { t: lines(8700, 20) },
    }),
  ],
  ['an unknown parameter', body(lines(8800, 20), RECORD, { colour: 'red' })],
  ['invalid JSON', `${body(lines(8900, 20)).slice(0, -1)}`],
  ['a byte-order mark', `\uFEFF${body(lines(9000, 20))}`],
  ['an array', JSON.stringify([{ query: RECORD, variables: { s: lines(9100, 20) } }])],
  [
    'variables as text',
    JSON.stringify({ query: RECORD, variables: JSON.stringify({ s: lines(9200, 20) }) }),
  ],
  [
    'a query that does not parse',
    body(lines(9300, 20), 'mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted }'),
  ],
  ['a line that is a list', body([...lines(9400, 20), [line(9420)]])],
  ['a required field null', body(lines(9500, 20, (n) => (n === 9503 ? { quantity: null } : {})))],
  ['a code as a number', body(lines(9600, 20, (n) => (n === 9601 ? { storeCode: 1 } : {})))],
  [
    'a quantity beyond 32 bits',
    body(lines(9700, 20, (n) => (n === 9702 ? { quantity: 2 ** 31 } : {}))),
  ],
  ['a time as a number', body(lines(9800, 20, (n) => (n === 9804 ? { time: 1e12 } : {})))],
];

/** An answer with the instants that depend on the clock (limits of now) blanked. */
function comparable(answer: { status: number; text: string }) {
  return {
    status: answer.status,
    text: answer.text
      .replace(/(retention horizon )\d{4}-[\d:.T-]+Z/g, '$1<horizon>')
      .replace(/(clock plus \d+ s \()[^)]*\)/g, '$1<latest>)'),
  };
}

describe.each(WITH_SERVER)('upload bodies read on a worker thread, on %s', (kind) => {
  const tenant = salesTenant(0x3a, 'Uploads', 2);
  let onWorker: TestGateway;
  let onMain: TestGateway;
  const tokens = new Map<TestGateway, string>();

  const send = async (gw: TestGateway, text: string) => {
    const response = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(gw)}` },
      body: text,
    });
    return { status: response.status, text: await response.text() };
  };
  const readers = async (gw: TestGateway) => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const count = (reader: string) =>
      Number(
        new RegExp(`^shelfops_upload_bodies_total\\{reader="${reader}"\\} (\\d+)`, 'm').exec(
          text,
        )?.[1] ?? 0,
      );
    return { worker: count('worker'), main: count('main') };
  };
  const stored = async (gw: TestGateway) =>
    (
      await gw.owner.query<Record<string, unknown>>(
        `SELECT t.transaction_id, t.time, t.store_id, t.product_id, t.quantity, t.unit_price::text,
                t.revenue::text, t.receipt_id, k.content
         FROM transactions t JOIN sale_keys k USING (customer_id, transaction_id)
         WHERE t.customer_id = $1 ORDER BY t.transaction_id`,
        [tenant.customerId],
      )
    ).rows;

  beforeAll(async () => {
    const env = { SMALL_BODY_BYTES: '256', RETENTION: '20 years' };
    onWorker = await startTestGateway(kind, { ...env, UPLOAD_WORKERS: '1' });
    onMain = await startTestGateway(kind, { ...env, UPLOAD_WORKERS: '0' });
    for (const gw of [onWorker, onMain]) {
      await insertTenants(gw.owner, [tenant]);
      tokens.set(gw, await gw.token(tenant.customerId, 'admin'));
    }
    // The worker starts with the first upload; until it has loaded, bodies are read here.
    const refused = body(lines(0, 20, () => ({ storeCode: 'NOPE' })));
    for (let tries = 0; (await readers(onWorker)).worker === 0 && tries < 120; tries += 1) {
      await send(onWorker, refused);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }, 180_000);
  afterAll(async () => {
    await onWorker?.close();
    await onMain?.close();
  });

  it('answers every body as the main thread does, and stores the same rows', async () => {
    const before = await readers(onWorker);
    expect(before.worker).toBeGreaterThan(0);
    for (const [name, text] of corpus) {
      const [worker, main] = [await send(onWorker, text), await send(onMain, text)];
      expect({ name, ...comparable(worker) }).toEqual({ name, ...comparable(main) });
    }
    const after = await readers(onWorker);
    // Every recordSales body whose lines coerce was read on the worker.
    expect(after.worker - before.worker).toBeGreaterThanOrEqual(25);
    expect((await readers(onMain)).worker).toBe(0);
    const rows = await stored(onWorker);
    expect(rows.length).toBeGreaterThan(300);
    expect(rows).toEqual(await stored(onMain));
  }, 240_000);

  it('refuses a body as the main thread does when its lines arrive in chunks', async () => {
    const text = body(lines(9500, 50, (n) => (n === 9520 ? { quantity: 0 } : {})));
    const chunked = (gw: TestGateway) =>
      fetch(`${gw.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(gw)}` },
        body: new ReadableStream({
          start(controller) {
            const bytes = new TextEncoder().encode(text);
            for (let at = 0; at < bytes.length; at += 1000)
              controller.enqueue(bytes.slice(at, at + 1000));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit).then(async (r) => ({ status: r.status, text: await r.text() }));
    const worker = await chunked(onWorker);
    expect(worker.text).toContain('sales[20].quantity');
    expect(comparable(worker)).toEqual(comparable(await chunked(onMain)));
  });
});
