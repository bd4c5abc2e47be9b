import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, CLUSTER } from './support/backends.js';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { startTestGateway, type GraphQLResponse, type TestGateway } from './support/gateway.js';
import { runTrusted, writeTrustedDocuments } from './support/inventory-trusted.js';
import {
  generateAlerts,
  insertAlerts,
  newestFirst,
  type AlertFixture,
} from './support/inventory-alerts.js';

const ALERTS = `query($status: [AlertStatus!], $s: [UUID!], $t: [AlertType!], $sv: [AlertSeverity!], $first: Int, $after: String) {
  alerts(status: $status, storeIds: $s, types: $t, severity: $sv, first: $first, after: $after) {
    edges { cursor node { id type severity status store { id } product { id } } }
    pageInfo { hasNextPage endCursor } } }`;
const RAISE = `mutation($i: RaiseAlertInput!) { raiseAlert(input: $i) { created alert {
  id type severity status message occurrences createdAt updatedAt acknowledgedAt resolvedAt resolutionNote
  store { id } product { id } } } }`;
const ACK = `mutation($id: UUID!) { acknowledgeAlert(id: $id) { id status acknowledgedAt resolvedAt } }`;
const RESOLVE = `mutation($id: UUID!, $note: String) { resolveAlert(id: $id, note: $note) {
  id status acknowledgedAt resolvedAt resolutionNote } }`;

interface AlertPage {
  alerts: {
    edges: { node: AlertNode }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

interface AlertNode {
  id: string;
  type: string;
  severity: string;
  status: string;
  store: { id: string };
  product: { id: string };
}

describe.each([...BACKENDS, ...CLUSTER])('alerts on %s', (kind) => {
  let gw: TestGateway;
  const [a, b] = twinTenants();
  b.stores.push({ id: uuid(1, 99), code: 'S99', name: 'B only' });
  const alertsA = generateAlerts(a, 3, 0xaa);
  const alertsB = generateAlerts(b, 4, 0xbb);
  const view = (x: AlertFixture): AlertNode => ({
    id: x.id,
    type: x.type,
    severity: x.severity,
    status: x.status,
    store: { id: x.storeId },
    product: { id: x.productId },
  });

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenant(gw.owner, a);
    await insertTenant(gw.owner, b);
    await insertAlerts(gw.owner, [...alertsA, ...alertsB]);
  });
  afterAll(() => gw?.close());

  async function walk(token: string, vars: Record<string, unknown>, first: number) {
    const seen: AlertNode[] = [];
    let after: string | null = null;
    for (let page = 0; page < 500; page += 1) {
      const res: GraphQLResponse<AlertPage> = await gw.graphql<AlertPage>(
        ALERTS,
        { ...vars, first, after },
        token,
      );
      expect(res.errors).toBeUndefined();
      seen.push(...(res.data?.alerts.edges.map((e) => e.node) ?? []));
      if (!res.data?.alerts.pageInfo.hasNextPage) return seen;
      after = res.data.alerts.pageInfo.endCursor;
    }
    throw new Error('pagination did not end');
  }

  it('lists alerts newest first, ties broken by id, walking every page once', async () => {
    expect(alertsA.length).toBeGreaterThan(40);
    expect(new Set(alertsA.map((x) => x.createdAt)).size).toBeLessThan(alertsA.length);
    const token = await gw.token(a.customerId);
    expect(await walk(token, {}, 500)).toEqual(newestFirst(alertsA).map(view));
    expect(await walk(token, {}, 7)).toEqual(newestFirst(alertsA).map(view));
    expect(await walk(await gw.token(b.customerId), {}, 11)).toEqual(
      newestFirst(alertsB).map(view),
    );
  });

  it('filters by status, store, type and severity', async () => {
    const token = await gw.token(a.customerId);
    const filters = [
      { status: ['OPEN', 'ACKNOWLEDGED'] },
      { status: ['RESOLVED'], s: [uuid(1, 2)] },
      { t: ['STOCKOUT', 'SALES_DROP'], sv: ['CRITICAL'] },
      {
        status: ['OPEN'],
        s: [uuid(1, 1), uuid(1, 3)],
        t: ['LOW_STOCK', 'OVERSTOCK'],
        sv: ['INFO', 'WARNING'],
      },
    ];
    for (const f of filters) {
      const expected = newestFirst(
        alertsA.filter(
          (x) =>
            (!f.status || f.status.includes(x.status)) &&
            (!f.s || f.s.includes(x.storeId)) &&
            (!f.t || f.t.includes(x.type)) &&
            (!f.sv || f.sv.includes(x.severity)),
        ),
      ).map(view);
      expect(expected.length).toBeGreaterThan(0);
      expect(await walk(token, f, 3)).toEqual(expected);
    }
  });

  it('keeps tenants and store scopes apart', async () => {
    const scoped = await walk(await gw.token(b.customerId, 'analyst', [uuid(1, 3)]), {}, 50);
    expect(scoped).toEqual(newestFirst(alertsB.filter((x) => x.storeId === uuid(1, 3))).map(view));
    const foreign = await walk(await gw.token(a.customerId), { s: [uuid(1, 99)] }, 50);
    expect(foreign).toEqual([]);
  });

  it('refuses wrong enums and forged cursors with typed errors', async () => {
    const token = await gw.token(a.customerId);
    const badEnum = await gw.graphql(ALERTS, { status: ['CLOSED'] }, token);
    expect(badEnum.status).toBe(400);
    expect(badEnum.errors?.[0]?.message).toMatch(/AlertStatus/);
    for (const after of [
      'bm9wZQ',
      Buffer.from(JSON.stringify(['alerts', 'yesterday', uuid(1, 1)])).toString('base64url'),
      Buffer.from(JSON.stringify(['latestInventory', uuid(1, 1), uuid(2, 1)])).toString(
        'base64url',
      ),
    ]) {
      const res = await gw.graphql(ALERTS, { after }, token);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toMatch(/after is not a cursor of this alerts list/);
    }
  });

  it('serves Store.openAlerts newest first', async () => {
    const res = await gw.graphql<{
      stores: { edges: { node: { id: string; openAlerts: AlertNode[] } }[] };
    }>(
      `{ stores { edges { node { id openAlerts(first: 4) { id type severity status store { id } product { id } } } } } }`,
      {},
      await gw.token(a.customerId),
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.stores.edges.length).toBe(3);
    for (const { node } of res.data?.stores.edges ?? []) {
      expect(node.openAlerts).toEqual(
        newestFirst(alertsA.filter((x) => x.storeId === node.id && x.status !== 'RESOLVED'))
          .slice(0, 4)
          .map(view),
      );
    }
  });
});

describe.each([...BACKENDS, ...CLUSTER])('alert mutations on %s', (kind) => {
  let gw: TestGateway;
  let trusted = '';
  const [a, b] = twinTenants();
  b.stores.push({ id: uuid(1, 99), code: 'S99', name: 'B only' });

  beforeAll(async () => {
    // Partners run only trusted documents.
    trusted = await writeTrustedDocuments('alerts', [RAISE, ACK, RESOLVE]);
    gw = await startTestGateway(kind, { TRUSTED_DOCUMENTS_FILE: trusted });
    await insertTenant(gw.owner, a);
    await insertTenant(gw.owner, b);
  });
  afterAll(async () => {
    await gw?.close();
    await rm(trusted, { force: true });
  });

  const tableOf = async (customerId: string) =>
    (
      await gw.owner.query(
        `SELECT id, store_id, product_id, type, severity, status, message, occurrences,
                created_at, updated_at, acknowledged_at, resolved_at, resolution_note
         FROM alerts WHERE customer_id = $1 ORDER BY created_at, id`,
        [customerId],
      )
    ).rows;

  const input = {
    storeId: uuid(1, 1),
    productId: uuid(2, 2),
    type: 'LOW_STOCK',
    severity: 'WARNING',
    message: 'stock below 5',
  };

  it('creates an alert once and updates the unresolved one on every raise', async () => {
    const admin = await gw.token(a.customerId, 'admin');
    const first = await gw.graphql<{
      raiseAlert: { created: boolean; alert: Record<string, unknown> };
    }>(RAISE, { i: input }, admin);
    expect(first.errors).toBeUndefined();
    expect(first.data?.raiseAlert).toMatchObject({
      created: true,
      alert: {
        type: 'LOW_STOCK',
        severity: 'WARNING',
        status: 'OPEN',
        occurrences: 1,
        message: 'stock below 5',
        store: { id: uuid(1, 1) },
        product: { id: uuid(2, 2) },
        acknowledgedAt: null,
        resolvedAt: null,
      },
    });
    const id = first.data?.raiseAlert.alert.id;
    const lower = await gw.graphql<{
      raiseAlert: { created: boolean; alert: Record<string, unknown> };
    }>(RAISE, { i: { ...input, severity: 'INFO', message: 'stock below 4' } }, admin);
    expect(lower.data?.raiseAlert).toMatchObject({
      created: false,
      alert: { id, severity: 'WARNING', occurrences: 2, message: 'stock below 4' },
    });
    const higher = await gw.graphql<{ raiseAlert: { alert: Record<string, unknown> } }>(
      RAISE,
      { i: { ...input, severity: 'CRITICAL', message: 'stock out' } },
      admin,
    );
    expect(higher.data?.raiseAlert.alert).toMatchObject({
      id,
      severity: 'CRITICAL',
      occurrences: 3,
    });
    // Another type of the same store/product is another alert; tenant B is untouched.
    const other = await gw.graphql<{ raiseAlert: { created: boolean } }>(
      RAISE,
      { i: { ...input, type: 'OVERSTOCK' } },
      admin,
    );
    expect(other.data?.raiseAlert.created).toBe(true);
    const rows = await tableOf(a.customerId);
    expect(rows.map((r) => [r.type, r.occurrences, r.severity])).toEqual(
      expect.arrayContaining([
        ['LOW_STOCK', 3, 'CRITICAL'],
        ['OVERSTOCK', 1, 'WARNING'],
      ]),
    );
    expect(rows).toHaveLength(2);
    expect(await tableOf(b.customerId)).toEqual([]);
  });

  it('never duplicates an alert raised concurrently', async () => {
    const admin = await gw.token(a.customerId, 'admin');
    const raise = { ...input, type: 'SALES_SPIKE', productId: uuid(2, 4) };
    const results = await Promise.all(
      Array.from({ length: 6 }, () => gw.graphql(RAISE, { i: raise }, admin)),
    );
    expect(results.map((r) => r.errors)).toEqual(results.map(() => undefined));
    const rows = (await tableOf(a.customerId)).filter((r) => r.type === 'SALES_SPIKE');
    expect(rows.map((r) => r.occurrences)).toEqual([6]);
  });

  it('moves alerts through their lifecycle and refuses invalid transitions', async () => {
    const admin = await gw.token(a.customerId, 'admin');
    const raised = await gw.graphql<{ raiseAlert: { alert: { id: string } } }>(
      RAISE,
      { i: { ...input, type: 'STOCKOUT' } },
      admin,
    );
    const id = raised.data?.raiseAlert.alert.id;
    const ack = await gw.graphql<{ acknowledgeAlert: { status: string; acknowledgedAt: string } }>(
      ACK,
      { id },
      admin,
    );
    expect(ack.data?.acknowledgeAlert).toMatchObject({ status: 'ACKNOWLEDGED', resolvedAt: null });
    expect(ack.data?.acknowledgeAlert.acknowledgedAt).toEqual(expect.any(String));
    const ackAgain = await gw.graphql<{ acknowledgeAlert: unknown }>(ACK, { id }, admin);
    expect(ackAgain.data?.acknowledgeAlert).toEqual(ack.data?.acknowledgeAlert);
    // Raising again while acknowledged updates the same alert and keeps its status.
    const again = await gw.graphql<{
      raiseAlert: { created: boolean; alert: { id: string; status: string } };
    }>(RAISE, { i: { ...input, type: 'STOCKOUT' } }, admin);
    expect(again.data?.raiseAlert).toMatchObject({
      created: false,
      alert: { id, status: 'ACKNOWLEDGED' },
    });
    const resolved = await gw.graphql<{ resolveAlert: Record<string, unknown> }>(
      RESOLVE,
      { id, note: 'restocked' },
      admin,
    );
    expect(resolved.data?.resolveAlert).toMatchObject({
      id,
      status: 'RESOLVED',
      resolutionNote: 'restocked',
      resolvedAt: expect.any(String),
    });
    const before = await tableOf(a.customerId);
    const resolveAgain = await gw.graphql(RESOLVE, { id, note: 'again' }, admin);
    expect(resolveAgain.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(resolveAgain.errors?.[0]?.message).toMatch(/already resolved/);
    const ackResolved = await gw.graphql(ACK, { id }, admin);
    expect(ackResolved.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(ackResolved.errors?.[0]?.message).toMatch(/already resolved; it cannot be acknowledged/);
    expect(await tableOf(a.customerId)).toEqual(before);
    // After resolution the same store/product/type starts a new alert.
    const fresh = await gw.graphql<{ raiseAlert: { created: boolean; alert: { id: string } } }>(
      RAISE,
      { i: { ...input, type: 'STOCKOUT' } },
      admin,
    );
    expect(fresh.data?.raiseAlert.created).toBe(true);
    expect(fresh.data?.raiseAlert.alert.id).not.toBe(id);
    // Resolving an open alert directly is allowed, without a note.
    const direct = await gw.graphql<{ resolveAlert: { status: string; resolutionNote: null } }>(
      RESOLVE,
      { id: fresh.data?.raiseAlert.alert.id },
      admin,
    );
    expect(direct.data?.resolveAlert).toMatchObject({ status: 'RESOLVED', resolutionNote: null });
  });

  it('refuses other tenants, other roles and bad input with typed errors, changing nothing', async () => {
    const adminA = await gw.token(a.customerId, 'admin');
    const raised = await gw.graphql<{ raiseAlert: { alert: { id: string } } }>(
      RAISE,
      { i: { ...input, type: 'FORECAST_DEVIATION' } },
      adminA,
    );
    const id = raised.data?.raiseAlert.alert.id;
    const beforeA = await tableOf(a.customerId);
    const beforeB = await tableOf(b.customerId);
    const adminB = await gw.token(b.customerId, 'admin');
    const cases: [string, Record<string, unknown>, string, string, RegExp][] = [
      [ACK, { id }, adminB, 'NOT_FOUND', /not one of your alerts/],
      [RESOLVE, { id }, adminB, 'NOT_FOUND', /not one of your alerts/],
      [ACK, { id: uuid(9, 9) }, adminA, 'NOT_FOUND', /not one of your alerts/],
      [ACK, { id }, await gw.token(a.customerId, 'admin', [uuid(1, 2)]), 'NOT_FOUND', /not one/],
      [ACK, { id }, await gw.token(a.customerId), 'FORBIDDEN', /acknowledgeAlert/],
      [RESOLVE, { id }, await gw.token(a.customerId, 'partner'), 'FORBIDDEN', /resolveAlert/],
      [RAISE, { i: input }, await gw.token(a.customerId, 'partner'), 'FORBIDDEN', /raiseAlert/],
      [RAISE, { i: { ...input, storeId: uuid(1, 99) } }, adminA, 'NOT_FOUND', /does not exist/],
      [
        RAISE,
        { i: { ...input, message: '   ' } },
        adminA,
        'BAD_USER_INPUT',
        /input.message must be 1 to 2000/,
      ],
      [
        RAISE,
        { i: { ...input, message: 'x'.repeat(2001) } },
        adminA,
        'BAD_USER_INPUT',
        /1 to 2000/,
      ],
      [
        RAISE,
        { i: input },
        await gw.token(a.customerId, 'admin', [uuid(1, 3)]),
        'FORBIDDEN',
        /store scope/,
      ],
      [RESOLVE, { id, note: '' }, adminA, 'BAD_USER_INPUT', /note must be 1 to 2000/],
    ];
    for (const [query, vars, token, code, message] of cases) {
      const res = await runTrusted(gw, query, vars, token);
      expect(res.errors?.[0]?.extensions?.code).toBe(code);
      expect(res.errors?.[0]?.message).toMatch(message);
    }
    const badType = await gw.graphql(RAISE, { i: { ...input, type: 'FIRE' } }, adminA);
    expect(badType.status).toBe(400);
    expect(badType.errors?.[0]?.message).toMatch(/AlertType/);
    expect(await tableOf(a.customerId)).toEqual(beforeA);
    expect(await tableOf(b.customerId)).toEqual(beforeB);
  });
});
