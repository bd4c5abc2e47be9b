import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, CLUSTER } from './support/backends.js';
import { openEventStream } from './support/event-stream.js';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const SUBSCRIBE = `subscription($s: [UUID!], $sc: [String!]) { alertRaised(storeIds: $s, storeCodes: $sc) {
  id type severity occurrences store { id } product { sku } } }`;
const RAISE = `mutation($i: RaiseAlertInput!) { raiseAlert(input: $i) { alert { id } } }`;

interface RaisedEvent {
  id: string;
  type: string;
  severity: string;
  occurrences: number;
  store: { id: string };
  product: { sku: string };
}

/** An open Server-Sent Events subscription, collecting the `next` events it receives. */
interface Stream {
  readonly events: RaisedEvent[];
  close(): void;
}

async function subscribe(
  gw: TestGateway,
  token: string,
  variables: Record<string, unknown>,
): Promise<Stream> {
  const stream = await openEventStream(gw, token, SUBSCRIBE, variables);
  return {
    get events() {
      return stream.events.flatMap((e) => {
        const payload = e.data as { data?: { alertRaised: RaisedEvent } } | null;
        return e.event === 'next' && payload?.data ? [payload.data.alertRaised] : [];
      });
    },
    close: stream.close,
  };
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for events');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.each([...BACKENDS, ...CLUSTER])('alertRaised subscription on %s', (kind) => {
  let gw: TestGateway;
  const [a, b] = twinTenants();

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenant(gw.owner, a);
    await insertTenant(gw.owner, b);
  });
  afterAll(() => gw?.close());

  const input = (store: number, type = 'LOW_STOCK') => ({
    storeId: uuid(1, store),
    productId: uuid(2, 1),
    type,
    severity: 'WARNING',
    message: 'low',
  });

  it('streams each tenant its own raised alerts, within its store scope and filter (by id or code)', async () => {
    const all = await subscribe(gw, await gw.token(a.customerId), {});
    const scoped = await subscribe(gw, await gw.token(a.customerId, 'analyst', [uuid(1, 1)]), {});
    const filtered = await subscribe(gw, await gw.token(a.customerId), { s: [uuid(1, 2)] });
    const byCode = await subscribe(gw, await gw.token(a.customerId), { sc: ['S2'] });
    const tenantB = await subscribe(gw, await gw.token(b.customerId), {});
    try {
      const adminA = await gw.token(a.customerId, 'admin');
      const adminB = await gw.token(b.customerId, 'admin');
      const raised: string[] = [];
      for (const [token, vars] of [
        [adminA, input(1)],
        [adminB, input(1)],
        [adminA, input(2)],
        [adminA, input(1)],
      ] as const) {
        const res = await gw.graphql<{ raiseAlert: { alert: { id: string } } }>(
          RAISE,
          { i: vars },
          token,
        );
        expect(res.errors).toBeUndefined();
        raised.push(res.data?.raiseAlert.alert.id ?? '');
      }
      // A raise that fails (store of no tenant) is rolled back and announces nothing.
      const failed = await gw.graphql(RAISE, { i: input(77) }, adminA);
      expect(failed.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      await until(() => all.events.length >= 3 && tenantB.events.length >= 1);
      await until(
        () => scoped.events.length >= 2 && filtered.events.length >= 1 && byCode.events.length >= 1,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(all.events.map((e) => [e.id, e.store.id, e.occurrences])).toEqual([
        [raised[0], uuid(1, 1), 1],
        [raised[2], uuid(1, 2), 1],
        [raised[0], uuid(1, 1), 2],
      ]);
      expect(scoped.events.map((e) => e.id)).toEqual([raised[0], raised[0]]);
      expect(filtered.events.map((e) => e.id)).toEqual([raised[2]]);
      expect(byCode.events.map((e) => e.id)).toEqual([raised[2]]);
      expect(tenantB.events.map((e) => [e.id, e.product.sku])).toEqual([[raised[1], 'SKU-1']]);
    } finally {
      for (const stream of [all, scoped, filtered, byCode, tenantB]) stream.close();
    }
  });
});
