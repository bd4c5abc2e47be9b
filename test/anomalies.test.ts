import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { insertTenant, twinTenants, uuid, type TenantFixture } from './support/fixtures.js';
import { startTestGateway, type GraphQLResponse, type TestGateway } from './support/gateway.js';
import { microInstant, newestFirst } from './support/inventory-alerts.js';
import { DAY_MS, FIXTURE_CHUNK, randInt, rng, todayStartMs } from './support/inventory-fixtures.js';

const KINDS = ['SALES_SPIKE', 'SALES_DROP', 'STOCK_MISMATCH', 'PRICE_OUTLIER'] as const;
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface AnomalyFixture {
  customerId: string;
  id: string;
  storeId: string;
  productId: string | null;
  kind: (typeof KINDS)[number];
  createdAt: string; // detected_at with microseconds; named for newestFirst
  score: string;
  metadata: { [key: string]: Json };
}

function generate(tenant: TenantFixture, seed: number, idGroup: number): AnomalyFixture[] {
  const random = rng(seed);
  const today = todayStartMs();
  const detectors = ['zscore', 'iqr', 'prophet'];
  const tags = ['promo', 'weekend', 'holiday', 'weather'];
  return Array.from({ length: 120 }, (_x, n) => {
    const metadata: { [key: string]: Json } = {
      source: {
        detector: detectors[randInt(random, 0, 2)] ?? 'zscore',
        version: randInt(random, 1, 2),
      },
      tags: tags.filter(() => random() < 0.4),
    };
    if (random() < 0.7) metadata.expected = randInt(random, 0, 50);
    if (random() < 0.7) metadata.observed = randInt(random, 0, 200);
    if (random() < 0.3) metadata.note = random() < 0.5 ? 'manual review' : 'auto';
    return {
      customerId: tenant.customerId,
      id: `${idGroup.toString(16).padStart(8, '0')}-0000-4000-8000-${(n + 1).toString(16).padStart(12, '0')}`,
      storeId: tenant.stores[randInt(random, 0, tenant.stores.length - 1)]?.id ?? '',
      productId: random() < 0.2 ? null : (tenant.products[randInt(random, 0, 3)]?.id ?? null),
      kind: KINDS[randInt(random, 0, 3)] ?? 'SALES_SPIKE',
      // Every seventh anomaly shares its detection time with the previous one.
      createdAt: microInstant(
        today - Math.floor(((n - (n % 7 === 0 ? 1 : 0)) * 30 * DAY_MS) / 120),
        n % 7 === 0 ? 0 : randInt(random, 0, 999),
      ),
      score:
        `${randInt(random, -9999, 99999)}.${String(randInt(random, 0, 999)).padStart(3, '0')}`.replace(
          /^(-?)0+(\d)/,
          '$1$2',
        ),
      metadata,
    };
  });
}

/** PostgreSQL jsonb containment (`@>`), written independently for the expected values. */
function contains(target: Json, filter: Json): boolean {
  if (Array.isArray(filter)) {
    return Array.isArray(target) && filter.every((f) => target.some((t) => contains(t, f)));
  }
  if (filter !== null && typeof filter === 'object') {
    if (target === null || typeof target !== 'object' || Array.isArray(target)) return false;
    return Object.entries(filter).every(([k, v]) => k in target && contains(target[k] ?? null, v));
  }
  return target === filter;
}

interface AnomalyPage {
  anomalies: {
    edges: { node: unknown }[];
    pageInfo: { hasNextPage: boolean; endCursor: string };
  };
}

const QUERY = `query($r: TimeRange!, $s: [UUID!], $k: [AnomalyKind!], $m: JSONObject, $keys: [String!], $first: Int, $after: String) {
  anomalies(range: $r, storeIds: $s, kinds: $k, metadata: $m, hasMetadataKeys: $keys, first: $first, after: $after) {
    edges { node { id kind detectedAt score metadata store { id } product { id } } }
    pageInfo { hasNextPage endCursor } } }`;

describe.each(BACKENDS)('anomalies on %s', (kind) => {
  let gw: TestGateway;
  const [a, b] = twinTenants();
  b.stores.push({ id: uuid(1, 99), code: 'S99', name: 'B only' });
  const rowsA = generate(a, 11, 0xa1);
  const rowsB = generate(b, 12, 0xb1);
  const today = todayStartMs();
  const range = {
    from: new Date(today - 20 * DAY_MS).toISOString(),
    to: new Date(today + DAY_MS).toISOString(),
  };
  const inRange = (x: AnomalyFixture) =>
    x.createdAt >= range.from.replace('Z', '000Z') && x.createdAt < range.to.replace('Z', '000Z');

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenant(gw.owner, a);
    await insertTenant(gw.owner, b);
    const all = [...rowsA, ...rowsB];
    for (let i = 0; i < all.length; i += FIXTURE_CHUNK) {
      const chunk = all.slice(i, i + FIXTURE_CHUNK);
      await gw.owner.query(
        `INSERT INTO anomalies (customer_id, id, store_id, product_id, kind, detected_at, score, metadata)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::timestamptz[], $7::numeric[], $8::jsonb[])`,
        [
          chunk.map((x) => x.customerId),
          chunk.map((x) => x.id),
          chunk.map((x) => x.storeId),
          chunk.map((x) => x.productId),
          chunk.map((x) => x.kind),
          chunk.map((x) => x.createdAt),
          chunk.map((x) => x.score),
          chunk.map((x) => JSON.stringify(x.metadata)),
        ],
      );
    }
  });
  afterAll(() => gw?.close());

  const view = (x: AnomalyFixture) => ({
    id: x.id,
    kind: x.kind,
    detectedAt: `${x.createdAt.slice(0, 23)}Z`,
    score: x.score,
    metadata: x.metadata,
    store: { id: x.storeId },
    product: x.productId === null ? null : { id: x.productId },
  });

  async function walk(token: string, vars: Record<string, unknown>, first: number) {
    const seen: unknown[] = [];
    let after: string | null = null;
    for (let page = 0; page < 200; page += 1) {
      const res: GraphQLResponse<AnomalyPage> = await gw.graphql<AnomalyPage>(
        QUERY,
        { r: range, ...vars, first, after },
        token,
      );
      expect(res.errors).toBeUndefined();
      seen.push(...(res.data?.anomalies.edges.map((e) => e.node) ?? []));
      if (!res.data?.anomalies.pageInfo.hasNextPage) return seen;
      after = res.data.anomalies.pageInfo.endCursor;
    }
    throw new Error('pagination did not end');
  }

  it('lists anomalies of the range newest first, every page once', async () => {
    const expected = newestFirst(rowsA.filter(inRange)).map(view);
    expect(expected.length).toBeGreaterThan(50);
    expect(expected.length).toBeLessThan(rowsA.length);
    expect(await walk(await gw.token(a.customerId), {}, 9)).toEqual(expected);
    expect(await walk(await gw.token(b.customerId), {}, 500)).toEqual(
      newestFirst(rowsB.filter(inRange)).map(view),
    );
  });

  it('filters by metadata containment, metadata keys, kinds and stores', async () => {
    const token = await gw.token(a.customerId);
    const cases: { m?: { [key: string]: Json }; keys?: string[]; k?: string[]; s?: string[] }[] = [
      { m: { source: { detector: 'zscore' } } },
      { m: { tags: ['promo'] } },
      { m: { tags: ['promo', 'weekend'], source: { version: 2 } } },
      { m: { note: 'auto' }, k: ['SALES_SPIKE', 'SALES_DROP'] },
      { keys: ['expected', 'observed'] },
      { keys: ['note'], s: [uuid(1, 1), uuid(1, 2)] },
      { m: { source: {} }, keys: ['observed'], k: ['PRICE_OUTLIER'] },
    ];
    for (const c of cases) {
      const expected = newestFirst(
        rowsA.filter(
          (x) =>
            inRange(x) &&
            (!c.m || contains(x.metadata, c.m)) &&
            (!c.keys || c.keys.every((key) => key in x.metadata)) &&
            (!c.k || c.k.includes(x.kind)) &&
            (!c.s || c.s.includes(x.storeId)),
        ),
      ).map(view);
      expect(expected.length).toBeGreaterThan(0);
      expect(await walk(token, c, 4)).toEqual(expected);
    }
  });

  it('keeps tenants apart and refuses bad input with typed errors', async () => {
    const token = await gw.token(a.customerId);
    expect(await walk(token, { s: [uuid(1, 99)] }, 50)).toEqual([]);
    const scoped = await walk(await gw.token(a.customerId, 'analyst', [uuid(1, 3)]), {}, 50);
    expect(scoped).toEqual(
      newestFirst(rowsA.filter((x) => inRange(x) && x.storeId === uuid(1, 3))).map(view),
    );
    const inverted = await gw.graphql(QUERY, { r: { from: range.to, to: range.from } }, token);
    expect(inverted.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badKind = await gw.graphql(QUERY, { r: range, k: ['METEOR'] }, token);
    expect(badKind.status).toBe(400);
    const notObject = await gw.graphql(QUERY, { r: range, m: [1, 2] }, token);
    expect(notObject.status).toBe(400);
    const huge = await gw.graphql(QUERY, { r: range, m: { x: 'y'.repeat(5000) } }, token);
    expect(huge.errors?.[0]?.message).toMatch(/at most 4096 bytes/);
    const cursor = Buffer.from(JSON.stringify(['anomalies', '2026-01-01', 'x'])).toString(
      'base64url',
    );
    const forged = await gw.graphql(QUERY, { r: range, after: cursor }, token);
    expect(forged.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('serves metadata containment from the GIN jsonb_path_ops index', async () => {
    const client = await gw.owner.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const plan = async (predicate: string) =>
        (await client.query(`EXPLAIN SELECT id FROM anomalies WHERE ${predicate}`)).rows
          .map((r: Record<string, string>) => Object.values(r)[0])
          .join('\n');
      expect(await plan(`metadata @> '{"tags": ["promo"]}'`)).toMatch(/anomalies_metadata_idx/);
      // jsonb_path_ops has no operator class for key existence: ?& is a filter, never the index.
      expect(await plan(`metadata ?& array['note']`)).not.toMatch(/anomalies_metadata_idx/);
    } finally {
      await client.query('RESET enable_seqscan');
      client.release();
    }
  });
});
