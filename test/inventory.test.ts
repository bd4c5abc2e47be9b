import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WITH_CLUSTER } from './support/backends.js';
import { insertTenant, twinTenants, uuid, type TenantFixture } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import {
  DAY_MS,
  expectedHistory,
  expectedPositions,
  HOUR_MS,
  insertReorderPoints,
  insertSales,
  insertSnapshots,
  randInt,
  rng,
  todayStartMs,
  type ExpectedPosition,
  type ReorderPointFixture,
  type Sale,
  type Snapshot,
} from './support/inventory-fixtures.js';

const POSITION_FIELDS = `store { id } product { id } observedAt onHand allocated available
  reorderPoint reorderQuantity unitsPerDay daysOfCover`;

interface PositionNode {
  store: { id: string };
  product: { id: string };
  observedAt: string;
  onHand: number;
  allocated: number;
  available: number;
  reorderPoint: number | null;
  reorderQuantity: number | null;
  unitsPerDay: string;
  daysOfCover: number | null;
}

const asExpected = (n: PositionNode): ExpectedPosition => ({
  storeId: n.store.id,
  productId: n.product.id,
  observedAt: n.observedAt,
  onHand: n.onHand,
  allocated: n.allocated,
  available: n.available,
  reorderPoint: n.reorderPoint,
  reorderQuantity: n.reorderQuantity,
  unitsPerDay: n.unitsPerDay,
  daysOfCover: n.daysOfCover,
});

/** Snapshots, sales and reorder points of one tenant, generated from a seed. */
function generate(tenant: TenantFixture, seed: number) {
  const random = rng(seed);
  const today = todayStartMs();
  const snapshots: Snapshot[] = [];
  const sales: Sale[] = [];
  const reorderPoints: ReorderPointFixture[] = [];
  let pairIndex = 0;
  for (const store of tenant.stores) {
    for (const product of tenant.products) {
      pairIndex += 1;
      // One pair per tenant without any snapshot (a different one for each seed).
      if (pairIndex === (seed % 12) + 1) continue;
      const times = new Set<number>();
      const count = randInt(random, 3, 14);
      while (times.size < count) {
        times.add(today - randInt(random, 0, 40 * 24) * HOUR_MS + randInt(random, 0, 59) * 60_000);
      }
      for (const time of times) {
        const onHand = randInt(random, 0, 150);
        snapshots.push({
          customerId: tenant.customerId,
          storeId: store.id,
          productId: product.id,
          time: new Date(time),
          onHand,
          allocated: randInt(random, 0, Math.min(onHand, 30)),
        });
      }
      // Product 4 never sells: its days of cover are null.
      if (product.sku !== 'SKU-4') {
        for (let day = 0; day <= 9; day += 1) {
          if (random() < 0.35) continue;
          sales.push({
            customerId: tenant.customerId,
            storeId: store.id,
            productId: product.id,
            time: new Date(today - day * DAY_MS + randInt(random, 0, 23 * 60) * 60_000),
            quantity: randInt(random, 1, 20),
          });
        }
      }
      if (pairIndex % 3 !== 0) {
        reorderPoints.push({
          customerId: tenant.customerId,
          storeId: store.id,
          productId: product.id,
          reorderPoint: randInt(random, 0, 100),
          reorderQuantity: randInt(random, 1, 50),
          validFrom: new Date(today - 30 * DAY_MS),
          validTo: new Date(today - 10 * DAY_MS),
        });
        reorderPoints.push({
          customerId: tenant.customerId,
          storeId: store.id,
          productId: product.id,
          reorderPoint: randInt(random, 0, 100),
          reorderQuantity: randInt(random, 1, 50),
          validFrom: new Date(today - 10 * DAY_MS),
          validTo: null,
        });
      }
    }
  }
  // A reorder point equal to the available stock is not "below" it.
  const boundary = expectedPositions(tenant.customerId, snapshots, [], []).find(
    (p) => p.storeId === tenant.stores[0]?.id && p.productId === tenant.products[1]?.id,
  );
  const current = reorderPoints.find(
    (r) =>
      r.validTo === null && r.storeId === boundary?.storeId && r.productId === boundary?.productId,
  );
  if (boundary && current) current.reorderPoint = boundary.available;
  return { snapshots, sales, reorderPoints };
}

describe.each(WITH_CLUSTER)('inventory queries on %s', (kind) => {
  let gw: TestGateway;
  const [a, b] = twinTenants();
  // A store that exists for tenant B only.
  b.stores.push({ id: uuid(1, 99), code: 'S99', name: 'B only' });
  const dataA = generate(a, 7);
  const dataB = generate(b, 20);
  const snapshots = [...dataA.snapshots, ...dataB.snapshots];
  const sales = [...dataA.sales, ...dataB.sales];
  const reorderPoints = [...dataA.reorderPoints, ...dataB.reorderPoints];
  const expectedA = () => expectedPositions(a.customerId, snapshots, reorderPoints, sales);
  const expectedB = () => expectedPositions(b.customerId, snapshots, reorderPoints, sales);

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenant(gw.owner, a);
    await insertTenant(gw.owner, b);
    await insertSnapshots(gw.owner, snapshots);
    await insertSales(gw.owner, sales);
    await insertReorderPoints(gw.owner, reorderPoints);
  });
  afterAll(() => gw?.close());

  async function latest(
    token: string,
    args: Record<string, unknown> = {},
  ): Promise<{
    nodes: PositionNode[];
    errors: unknown;
    endCursor: string | null;
    hasNext: boolean;
  }> {
    const res = await gw.graphql<{
      latestInventory: {
        edges: { node: PositionNode }[];
        pageInfo: { endCursor: string | null; hasNextPage: boolean };
      };
    }>(
      `query($s: [UUID!], $p: [UUID!], $below: Boolean, $first: Int, $after: String) {
        latestInventory(storeIds: $s, productIds: $p, belowReorderPoint: $below, first: $first, after: $after) {
          edges { node { ${POSITION_FIELDS} } } pageInfo { endCursor hasNextPage } } }`,
      args,
      token,
    );
    return {
      nodes: res.data?.latestInventory.edges.map((e) => e.node) ?? [],
      errors: res.errors,
      endCursor: res.data?.latestInventory.pageInfo.endCursor ?? null,
      hasNext: res.data?.latestInventory.pageInfo.hasNextPage ?? false,
    };
  }

  it('returns the latest snapshot per store/product with reorder point and days of cover', async () => {
    for (const [tenant, expected] of [
      [a, expectedA()],
      [b, expectedB()],
    ] as const) {
      const res = await latest(await gw.token(tenant.customerId), { first: 500 });
      expect(res.errors).toBeUndefined();
      expect(res.nodes.map(asExpected)).toEqual(expected);
    }
    // The fixtures cover every case: no reorder point, no sales, at the reorder point.
    const all = expectedA();
    expect(all.some((p) => p.reorderPoint === null)).toBe(true);
    expect(all.some((p) => p.daysOfCover === null)).toBe(true);
    expect(all.some((p) => p.reorderPoint !== null && p.available === p.reorderPoint)).toBe(true);
    expect(expectedA()).not.toEqual(expectedB());
  });

  it('walks every position exactly once through cursors', async () => {
    const token = await gw.token(a.customerId);
    for (const below of [null, true]) {
      const seen: PositionNode[] = [];
      let after: string | null = null;
      for (let page = 0; page < 20; page += 1) {
        const res = await latest(token, { first: 2, after, below });
        expect(res.errors).toBeUndefined();
        seen.push(...res.nodes);
        if (!res.hasNext) break;
        after = res.endCursor;
      }
      const expected = expectedA().filter(
        (p) => below === null || (p.reorderPoint !== null && p.available < p.reorderPoint),
      );
      expect(seen.map(asExpected)).toEqual(expected);
    }
  });

  it('filters by stores, products and reorder point', async () => {
    const token = await gw.token(a.customerId);
    const storeIds = [uuid(1, 1), uuid(1, 3)];
    const productIds = [uuid(2, 2), uuid(2, 4)];
    const res = await latest(token, { s: storeIds, p: productIds, first: 500 });
    expect(res.nodes.map(asExpected)).toEqual(
      expectedA().filter((p) => storeIds.includes(p.storeId) && productIds.includes(p.productId)),
    );
    const below = await latest(token, { below: true, first: 500 });
    const notBelow = await latest(token, { below: false, first: 500 });
    const isBelow = (p: ExpectedPosition) =>
      p.reorderPoint !== null && p.available < p.reorderPoint;
    expect(below.nodes.map(asExpected)).toEqual(expectedA().filter(isBelow));
    expect(notBelow.nodes.map(asExpected)).toEqual(expectedA().filter((p) => !isBelow(p)));
    expect(below.nodes.length).toBeGreaterThan(0);
    expect(notBelow.nodes.length).toBeGreaterThan(0);
  });

  it('keeps tenants and store scopes apart', async () => {
    const scoped = await latest(await gw.token(a.customerId, 'analyst', [uuid(1, 2)]), {
      first: 500,
    });
    expect(scoped.nodes.map(asExpected)).toEqual(
      expectedA().filter((p) => p.storeId === uuid(1, 2)),
    );
    // Asking for another tenant's store finds nothing instead of leaking it.
    const foreign = await latest(await gw.token(a.customerId), { s: [uuid(1, 99)] });
    expect(foreign.errors).toBeUndefined();
    expect(foreign.nodes).toEqual([]);
  });

  it('rejects bad cursors and page sizes with typed errors', async () => {
    const token = await gw.token(a.customerId);
    const forged = await latest(token, { after: 'bm9wZQ' });
    expect((forged.errors as { extensions: { code: string } }[])[0]?.extensions.code).toBe(
      'BAD_USER_INPUT',
    );
    const otherList = Buffer.from(JSON.stringify(['alerts', 'x', 'y'])).toString('base64url');
    const wrongKind = await latest(token, { after: otherList });
    expect((wrongKind.errors as { message: string }[])[0]?.message).toMatch(/latestInventory/);
    const big = await latest(token, { first: 501 });
    expect((big.errors as { message: string }[])[0]?.message).toMatch(/first must be between/);
  });

  it('buckets inventory history per granularity from the raw snapshots', async () => {
    const token = await gw.token(b.customerId);
    const pair = dataB.snapshots[0];
    if (!pair) throw new Error('no snapshot generated');
    const today = todayStartMs();
    const ranges = [
      { from: new Date(today - 45 * DAY_MS), to: new Date(today + DAY_MS) },
      // Unaligned edges: snapshots outside [from, to) must not count.
      {
        from: new Date(today - 20 * DAY_MS + 7 * HOUR_MS + 1),
        to: new Date(today - 3 * DAY_MS - 1),
      },
    ];
    for (const range of ranges) {
      for (const granularity of ['HOUR', 'DAY', 'WEEK', 'MONTH'] as const) {
        const res = await gw.graphql<{ inventoryHistory: unknown[] }>(
          `query($s: UUID!, $p: UUID!, $r: TimeRange!, $g: Granularity!) {
            inventoryHistory(storeId: $s, productId: $p, range: $r, granularity: $g) {
              bucket observedAt onHand allocated available minAvailable maxAvailable snapshots } }`,
          {
            s: pair.storeId,
            p: pair.productId,
            r: { from: range.from.toISOString(), to: range.to.toISOString() },
            g: granularity,
          },
          token,
        );
        expect(res.errors).toBeUndefined();
        const expected = expectedHistory(snapshots, pair, range, granularity);
        expect(res.data?.inventoryHistory).toEqual(expected);
        expect(expected.length).toBeGreaterThan(0);
      }
    }
  });

  it('refuses bad inventory history requests with typed errors', async () => {
    const token = await gw.token(a.customerId);
    const query = `query($s: UUID!, $p: UUID!, $r: TimeRange!, $g: Granularity!) {
      inventoryHistory(storeId: $s, productId: $p, range: $r, granularity: $g) { bucket } }`;
    const today = todayStartMs();
    const ok = { s: uuid(1, 1), p: uuid(2, 1), g: 'DAY' };
    const inverted = await gw.graphql(
      query,
      {
        ...ok,
        r: { from: new Date(today).toISOString(), to: new Date(today - DAY_MS).toISOString() },
      },
      token,
    );
    expect(inverted.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(inverted.errors?.[0]?.message).toMatch(/range.from must be before range.to/);
    const huge = await gw.graphql(
      query,
      {
        ...ok,
        g: 'HOUR',
        r: {
          from: new Date(today - 400 * DAY_MS).toISOString(),
          to: new Date(today).toISOString(),
        },
      },
      token,
    );
    expect(huge.errors?.[0]?.message).toMatch(/at most 2000/);
    const foreign = await gw.graphql(
      query,
      {
        ...ok,
        s: uuid(1, 99),
        r: { from: new Date(today - DAY_MS).toISOString(), to: new Date(today).toISOString() },
      },
      token,
    );
    expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const badEnum = await gw.graphql(
      query,
      {
        ...ok,
        g: 'FORTNIGHT',
        r: { from: new Date(today - DAY_MS).toISOString(), to: new Date(today).toISOString() },
      },
      token,
    );
    expect(badEnum.status).toBe(400);
    expect(badEnum.errors?.[0]?.message).toMatch(/Granularity/);
  });

  it('serves Store.inventory, Product.inventory and Product.reorderPoints', async () => {
    const token = await gw.token(a.customerId);
    const res = await gw.graphql<{
      stores: { edges: { node: { id: string; inventory: PositionNode[] } }[] };
      products: {
        edges: {
          node: {
            id: string;
            inventory: PositionNode[];
            reorderPoints: {
              store: { id: string };
              product: { id: string };
              reorderPoint: number;
              reorderQuantity: number;
              validTo: string | null;
            }[];
          };
        }[];
      };
    }>(
      `{ stores { edges { node { id inventory(first: 2, belowReorderPoint: false) { ${POSITION_FIELDS} } } } }
         products { edges { node { id inventory(storeIds: ["${uuid(1, 1)}", "${uuid(1, 2)}"]) { ${POSITION_FIELDS} }
           reorderPoints { store { id } product { id } reorderPoint reorderQuantity validTo } } } } }`,
      {},
      token,
    );
    expect(res.errors).toBeUndefined();
    const all = expectedA();
    for (const { node } of res.data?.stores.edges ?? []) {
      expect(node.inventory.map(asExpected)).toEqual(
        all
          .filter(
            (p) =>
              p.storeId === node.id && !(p.reorderPoint !== null && p.available < p.reorderPoint),
          )
          .slice(0, 2),
      );
    }
    for (const { node } of res.data?.products.edges ?? []) {
      expect(node.inventory.map(asExpected)).toEqual(
        all.filter((p) => p.productId === node.id && [uuid(1, 1), uuid(1, 2)].includes(p.storeId)),
      );
      expect(node.reorderPoints).toEqual(
        dataA.reorderPoints
          .filter((r) => r.productId === node.id && r.validTo === null)
          .sort((x, y) => (x.storeId < y.storeId ? -1 : 1))
          .map((r) => ({
            store: { id: r.storeId },
            product: { id: r.productId },
            reorderPoint: r.reorderPoint,
            reorderQuantity: r.reorderQuantity,
            validTo: null,
          })),
      );
    }
    expect(res.data?.products.edges.length).toBe(4);
  });
});
