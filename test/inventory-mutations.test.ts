import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, CLUSTER } from './support/backends.js';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { countRows, DAY_MS, todayStartMs } from './support/inventory-fixtures.js';
import { runTrusted, writeTrustedDocuments } from './support/inventory-trusted.js';

const RECORD = `mutation($s: [InventorySnapshotInput!]!) {
  recordInventory(snapshots: $s) { accepted duplicates } }`;
const SET_REORDER_POINT = `mutation($s: UUID!, $p: UUID!, $rp: Int!, $rq: Int!) {
  setReorderPoint(storeId: $s, productId: $p, reorderPoint: $rp, reorderQuantity: $rq) {
    id store { id } product { id } reorderPoint reorderQuantity validFrom validTo } }`;

describe.each([...BACKENDS, ...CLUSTER])('inventory mutations on %s', (kind) => {
  let gw: TestGateway;
  let trusted = '';
  const [a, b] = twinTenants();
  b.stores.push({ id: uuid(1, 99), code: 'S99', name: 'B only' });
  const base = todayStartMs() - 2 * DAY_MS;
  const at = (minutes: number) => new Date(base + minutes * 60_000).toISOString();

  beforeAll(async () => {
    // Partners run only trusted documents.
    trusted = await writeTrustedDocuments('inventory', [RECORD, SET_REORDER_POINT]);
    gw = await startTestGateway(kind, { TRUSTED_DOCUMENTS_FILE: trusted });
    await insertTenant(gw.owner, a);
    await insertTenant(gw.owner, b);
  });
  afterAll(async () => {
    await gw?.close();
    await rm(trusted, { force: true });
  });

  async function snapshotsOf(customerId: string) {
    const { rows } = await gw.owner.query<{
      storeId: string;
      productId: string;
      time: Date;
      onHand: number;
      allocated: number;
    }>(
      `SELECT store_id AS "storeId", product_id AS "productId", time, on_hand AS "onHand", allocated
       FROM inventory_levels WHERE customer_id = $1 ORDER BY store_id, product_id, time`,
      [customerId],
    );
    return rows.map((r) => ({ ...r, time: r.time.toISOString() }));
  }

  it('records snapshots idempotently for partners and admins', async () => {
    const partner = await gw.token(a.customerId, 'partner');
    const batch = [
      { storeId: uuid(1, 1), productId: uuid(2, 1), time: at(0), onHand: 10, allocated: 2 },
      { storeId: uuid(1, 1), productId: uuid(2, 1), time: at(60), onHand: 7 },
      { storeId: uuid(1, 2), productId: uuid(2, 3), time: at(0), onHand: 0, allocated: 0 },
      // The same instant twice in one batch: the first wins.
      { storeId: uuid(1, 2), productId: uuid(2, 3), time: at(0), onHand: 99 },
    ];
    const first = await runTrusted(gw, RECORD, { s: batch }, partner);
    expect(first.errors).toBeUndefined();
    expect(first.data).toEqual({ recordInventory: { accepted: 3, duplicates: 1 } });
    const again = await gw.graphql(RECORD, { s: batch }, await gw.token(a.customerId, 'admin'));
    expect(again.data).toEqual({ recordInventory: { accepted: 0, duplicates: 4 } });
    expect(await snapshotsOf(a.customerId)).toEqual([
      { storeId: uuid(1, 1), productId: uuid(2, 1), time: at(0), onHand: 10, allocated: 2 },
      { storeId: uuid(1, 1), productId: uuid(2, 1), time: at(60), onHand: 7, allocated: 0 },
      { storeId: uuid(1, 2), productId: uuid(2, 3), time: at(0), onHand: 0, allocated: 0 },
    ]);
    expect(await countRows(gw.owner, 'inventory_levels', b.customerId)).toBe(0);
    // The new snapshots are what latestInventory answers.
    const latest = await gw.graphql<{
      latestInventory: { edges: { node: { onHand: number; observedAt: string } }[] };
    }>(
      `{ latestInventory { edges { node { onHand observedAt } } } }`,
      {},
      await gw.token(a.customerId),
    );
    expect(latest.data?.latestInventory.edges.map((e) => e.node)).toEqual([
      { onHand: 7, observedAt: at(60) },
      { onHand: 0, observedAt: at(0) },
    ]);
  });

  it('rejects a whole batch with a typed error on any bad snapshot', async () => {
    const admin = await gw.token(a.customerId, 'admin');
    const before = await snapshotsOf(a.customerId);
    const good = { storeId: uuid(1, 3), productId: uuid(2, 2), time: at(5), onHand: 4 };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [
        { ...good, time: at(6), onHand: -1 },
        'CONSTRAINT_VIOLATION',
        /snapshots\[1\]: onHand must not be negative/,
      ],
      [
        { ...good, time: at(6), allocated: 5 },
        'CONSTRAINT_VIOLATION',
        /snapshots\[1\]: allocated must not exceed onHand/,
      ],
      [
        { ...good, time: at(6), allocated: -2 },
        'CONSTRAINT_VIOLATION',
        /snapshots\[1\]: allocated must not be negative/,
      ],
      // Tenant B's store does not exist for tenant A.
      [
        { ...good, time: at(6), storeId: uuid(1, 99) },
        'NOT_FOUND',
        /store or product does not exist/,
      ],
      [
        { ...good, time: new Date(Date.now() + 3 * DAY_MS).toISOString() },
        'BAD_USER_INPUT',
        /snapshots\[1\].time is in the future/,
      ],
    ];
    for (const [bad, code, message] of cases) {
      const res = await gw.graphql(RECORD, { s: [good, bad] }, admin);
      expect(res.status).toBe(200);
      expect(res.errors?.[0]?.extensions?.code).toBe(code);
      expect(res.errors?.[0]?.message).toMatch(message);
      expect(res.errors?.[0]?.message).not.toMatch(/inventory_levels|violates|SQL/);
    }
    const oversized = await gw.graphql(
      RECORD,
      {
        s: Array.from({ length: 5001 }, (_x, i) => ({ ...good, time: at(-i) })),
      },
      admin,
    );
    expect(oversized.errors?.[0]?.message).toMatch(/at most 5000/);
    const empty = await gw.graphql(RECORD, { s: [] }, admin);
    expect(empty.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const tooLarge = await gw.graphql(RECORD, { s: [{ ...good, onHand: 2 ** 31 }] }, admin);
    expect(tooLarge.status).toBe(400);
    expect(tooLarge.errors?.[0]?.message).toMatch(/Int/);
    expect(await snapshotsOf(a.customerId)).toEqual(before);
  });

  it('lets the database refuse writers outside their role or store scope', async () => {
    const before = await snapshotsOf(a.customerId);
    const snapshot = { storeId: uuid(1, 3), productId: uuid(2, 2), time: at(30), onHand: 4 };
    const analyst = await gw.graphql(RECORD, { s: [snapshot] }, await gw.token(a.customerId));
    expect(analyst.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const scoped = await runTrusted(
      gw,
      RECORD,
      { s: [snapshot] },
      await gw.token(a.customerId, 'partner', [uuid(1, 1)]),
    );
    expect(scoped.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(scoped.errors?.[0]?.message).toMatch(/store scope/);
    expect(await snapshotsOf(a.customerId)).toEqual(before);
  });

  // About 600 KB of parameters in one statement: the largest batch the API takes.
  it('stores a full batch of 5000 snapshots at once', async () => {
    const before = await countRows(gw.owner, 'inventory_levels', b.customerId);
    const batch = Array.from({ length: 5000 }, (_x, i) => ({
      storeId: uuid(1, (i % 3) + 1),
      productId: uuid(2, (Math.floor(i / 3) % 4) + 1),
      time: at(-1 - Math.floor(i / 12)),
      onHand: i % 100,
      allocated: i % 7 <= i % 100 ? i % 7 : 0,
    }));
    const res = await gw.graphql(RECORD, { s: batch }, await gw.token(b.customerId, 'admin'));
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ recordInventory: { accepted: 5000, duplicates: 0 } });
    expect(res.extensions?.sqlStatements).toBe(1);
    expect(await countRows(gw.owner, 'inventory_levels', b.customerId)).toBe(before + 5000);
  });

  async function reorderPointsOf(customerId: string) {
    const { rows } = await gw.owner.query<{
      id: string;
      reorderPoint: number;
      validFrom: Date;
      validTo: Date | null;
    }>(
      `SELECT id, reorder_point AS "reorderPoint", valid_from AS "validFrom", valid_to AS "validTo"
       FROM reorder_points WHERE customer_id = $1 AND store_id = $2 AND product_id = $3
       ORDER BY valid_from, valid_to NULLS LAST`,
      [customerId, uuid(1, 1), uuid(2, 1)],
    );
    return rows;
  }

  it('replaces the current reorder point in one transaction', async () => {
    const admin = await gw.token(a.customerId, 'admin');
    const vars = { s: uuid(1, 1), p: uuid(2, 1) };
    const first = await gw.graphql<{ setReorderPoint: { id: string; validTo: null } }>(
      SET_REORDER_POINT,
      { ...vars, rp: 5, rq: 20 },
      admin,
    );
    expect(first.errors).toBeUndefined();
    const second = await gw.graphql<{
      setReorderPoint: {
        id: string;
        validFrom: string;
        reorderPoint: number;
        store: { id: string };
      };
    }>(SET_REORDER_POINT, { ...vars, rp: 8, rq: 24 }, admin);
    expect(second.data?.setReorderPoint).toMatchObject({
      reorderPoint: 8,
      reorderQuantity: 24,
      store: { id: uuid(1, 1) },
      product: { id: uuid(2, 1) },
      validTo: null,
    });
    const rows = await reorderPointsOf(a.customerId);
    expect(rows.map((r) => [r.id, r.reorderPoint, r.validTo === null])).toEqual([
      [first.data?.setReorderPoint.id, 5, false],
      [second.data?.setReorderPoint.id, 8, true],
    ]);
    expect(rows[0]?.validTo?.toISOString()).toBe(second.data?.setReorderPoint.validFrom);
    // Tenant B's identical ids are untouched.
    expect(await reorderPointsOf(b.customerId)).toEqual([]);
    const position = await gw.graphql<{
      latestInventory: { edges: { node: { reorderPoint: number; reorderQuantity: number } }[] };
    }>(
      `{ latestInventory(storeIds: ["${uuid(1, 1)}"]) { edges { node { reorderPoint reorderQuantity } } } }`,
      {},
      admin,
    );
    expect(position.data?.latestInventory.edges[0]?.node).toEqual({
      reorderPoint: 8,
      reorderQuantity: 24,
    });
  });

  it('refuses bad reorder points with typed errors and changes nothing', async () => {
    const before = await reorderPointsOf(a.customerId);
    const admin = await gw.token(a.customerId, 'admin');
    const vars = { s: uuid(1, 1), p: uuid(2, 1), rp: 3, rq: 3 };
    const cases: [Record<string, unknown>, string, string, RegExp][] = [
      [{ rp: -1 }, admin, 'CONSTRAINT_VIOLATION', /reorderPoint must not be negative/],
      [{ rq: 0 }, admin, 'CONSTRAINT_VIOLATION', /reorderQuantity must be positive/],
      [{ s: uuid(1, 99) }, admin, 'NOT_FOUND', /does not exist/],
      [{}, await gw.token(a.customerId, 'partner'), 'FORBIDDEN', /setReorderPoint/],
      [{}, await gw.token(a.customerId), 'FORBIDDEN', /setReorderPoint/],
      [{}, await gw.token(a.customerId, 'admin', [uuid(1, 2)]), 'FORBIDDEN', /store scope/],
    ];
    for (const [change, token, code, message] of cases) {
      const res = await runTrusted(gw, SET_REORDER_POINT, { ...vars, ...change }, token);
      expect(res.errors?.[0]?.extensions?.code).toBe(code);
      expect(res.errors?.[0]?.message).toMatch(message);
    }
    expect(await reorderPointsOf(a.customerId)).toEqual(before);
    expect(await countRows(gw.owner, 'reorder_points', b.customerId)).toBe(0);
  });
});
