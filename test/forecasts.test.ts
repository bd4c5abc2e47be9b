import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { insertTenant, twinTenants, uuid, type TenantFixture } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { DAY_MS, FIXTURE_CHUNK, randInt, rng, todayStartMs } from './support/inventory-fixtures.js';

interface ForecastFixture {
  customerId: string;
  storeId: string;
  productId: string;
  periodStart: string;
  modelVersion: string;
  units: string;
  unitsLower: string;
  unitsUpper: string;
}

/** Cents as a decimal string with two places. */
const money = (cents: number) =>
  `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

function generate(tenant: TenantFixture, seed: number): ForecastFixture[] {
  const random = rng(seed);
  const today = todayStartMs();
  const rows: ForecastFixture[] = [];
  for (const store of tenant.stores) {
    for (const product of tenant.products.slice(0, 2)) {
      for (let day = -10; day < 20; day += 1) {
        for (const modelVersion of ['v1', 'v2']) {
          if (modelVersion === 'v1' && day > 5) continue;
          const units = randInt(random, 0, 50_000);
          rows.push({
            customerId: tenant.customerId,
            storeId: store.id,
            productId: product.id,
            periodStart: new Date(today + day * DAY_MS).toISOString(),
            modelVersion,
            units: money(units),
            unitsLower: money(Math.max(0, units - randInt(random, 0, 2000))),
            unitsUpper: money(units + randInt(random, 0, 2000)),
          });
        }
      }
    }
  }
  return rows;
}

const QUERY = `query($s: UUID!, $p: UUID!, $r: TimeRange!, $v: String) {
  forecasts(storeId: $s, productId: $p, range: $r, modelVersion: $v) {
    periodStart modelVersion units unitsLower unitsUpper store { id } product { id } } }`;

describe.each(BACKENDS)('forecasts on %s', (kind) => {
  let gw: TestGateway;
  const [a, b] = twinTenants();
  b.stores.push({ id: uuid(1, 99), code: 'S99', name: 'B only' });
  const rows = [...generate(a, 31), ...generate(b, 32)];
  const today = todayStartMs();

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenant(gw.owner, a);
    await insertTenant(gw.owner, b);
    for (let i = 0; i < rows.length; i += FIXTURE_CHUNK) {
      const chunk = rows.slice(i, i + FIXTURE_CHUNK);
      await gw.owner.query(
        `INSERT INTO forecasts (customer_id, store_id, product_id, time, model_version, units, units_lower, units_upper)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::text[], $6::numeric[], $7::numeric[], $8::numeric[])`,
        [
          chunk.map((r) => r.customerId),
          chunk.map((r) => r.storeId),
          chunk.map((r) => r.productId),
          chunk.map((r) => r.periodStart),
          chunk.map((r) => r.modelVersion),
          chunk.map((r) => r.units),
          chunk.map((r) => r.unitsLower),
          chunk.map((r) => r.unitsUpper),
        ],
      );
    }
  });
  afterAll(() => gw?.close());

  const expected = (
    customerId: string,
    storeId: string,
    productId: string,
    from: Date,
    to: Date,
    version: string | null,
  ) =>
    rows
      .filter(
        (r) =>
          r.customerId === customerId &&
          r.storeId === storeId &&
          r.productId === productId &&
          r.periodStart >= from.toISOString() &&
          r.periodStart < to.toISOString() &&
          (version === null || r.modelVersion === version),
      )
      .sort((x, y) =>
        x.periodStart === y.periodStart
          ? x.modelVersion.localeCompare(y.modelVersion)
          : x.periodStart.localeCompare(y.periodStart),
      )
      .map((r) => ({
        periodStart: r.periodStart,
        modelVersion: r.modelVersion,
        units: r.units,
        unitsLower: r.unitsLower,
        unitsUpper: r.unitsUpper,
        store: { id: r.storeId },
        product: { id: r.productId },
      }));

  it('returns the forecasts of the half-open range with exact bounds, per model version', async () => {
    const from = new Date(today - 3 * DAY_MS);
    const to = new Date(today + 8 * DAY_MS); // a period starting exactly at `to` is excluded
    for (const [tenant, version] of [
      [a, null],
      [a, 'v2'],
      [b, 'v1'],
    ] as const) {
      const res = await gw.graphql<{ forecasts: unknown[] }>(
        QUERY,
        {
          s: uuid(1, 2),
          p: uuid(2, 1),
          r: { from: from.toISOString(), to: to.toISOString() },
          v: version,
        },
        await gw.token(tenant.customerId),
      );
      expect(res.errors).toBeUndefined();
      const want = expected(tenant.customerId, uuid(1, 2), uuid(2, 1), from, to, version);
      expect(want.length).toBeGreaterThan(5);
      expect(res.data?.forecasts).toEqual(want);
    }
  });

  it('refuses bad input and other tenants’ ids with typed errors', async () => {
    const token = await gw.token(a.customerId);
    const r = { from: new Date(today).toISOString(), to: new Date(today + DAY_MS).toISOString() };
    const cases: [Record<string, unknown>, string, RegExp, string?][] = [
      [{ s: uuid(1, 99) }, 'NOT_FOUND', /storeId .* is not one of your stores/],
      [{ p: uuid(2, 77) }, 'NOT_FOUND', /productId .* is not one of your products/],
      [{ r: { from: r.to, to: r.from } }, 'BAD_USER_INPUT', /range.from must be before range.to/],
      [
        {},
        'NOT_FOUND',
        /not one of your stores/,
        await gw.token(a.customerId, 'analyst', [uuid(1, 3)]),
      ],
    ];
    for (const [change, code, message, other] of cases) {
      const res = await gw.graphql(
        QUERY,
        { s: uuid(1, 1), p: uuid(2, 1), r, ...change },
        other ?? token,
      );
      expect(res.errors?.[0]?.extensions?.code).toBe(code);
      expect(res.errors?.[0]?.message).toMatch(message);
    }
    const unknownVersion = await gw.graphql<{ forecasts: unknown[] }>(
      QUERY,
      { s: uuid(1, 1), p: uuid(2, 1), r, v: 'v9' },
      token,
    );
    expect(unknownVersion.data?.forecasts).toEqual([]);
  });
});
