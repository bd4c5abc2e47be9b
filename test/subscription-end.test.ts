import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/tokens.js';
import { updateTenant } from '../src/tenants/tenant-store.js';
import { BACKENDS } from './support/backends.js';
import { openEventStream, type EventStream } from './support/event-stream.js';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { startTestGateway, TEST_SECRET, type TestGateway } from './support/gateway.js';

const SUBSCRIBE = `subscription { alertRaised { id store { id } } }`;
const RAISE = `mutation($i: RaiseAlertInput!) { raiseAlert(input: $i) { alert { id } } }`;
const INTERVAL_MS = 500;
// Slack for the stream's last read of the tenant status and the event's way to the client.
const SLACK_MS = 1000;

/** Waits for the stream to end, failing after `ms`; gives when it ended. */
function endedWithin(stream: EventStream, ms: number): Promise<number> {
  return Promise.race([
    stream.ended,
    new Promise<number>((_, reject) =>
      setTimeout(() => reject(new Error(`the stream was still open after ${ms} ms`)), ms),
    ),
  ]);
}

/** The last two events of an ended stream: a `next` carrying the error, then `complete`. */
function expectEndedWith(stream: EventStream, message: RegExp): void {
  const [next, complete] = stream.events.slice(-2);
  expect(next?.event).toBe('next');
  const payload = next?.data as {
    data?: unknown;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  expect(payload.data ?? null).toBeNull();
  expect(payload.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(payload.errors?.[0]?.message).toMatch(message);
  expect(complete?.event).toBe('complete');
}

describe.each(BACKENDS)('subscriptions end with their right to exist, on %s', (kind) => {
  let gw: TestGateway;
  const [a, b] = twinTenants();

  beforeAll(async () => {
    gw = await startTestGateway(kind, { TENANT_STATUS_INTERVAL_MS: String(INTERVAL_MS) });
    await insertTenant(gw.owner, a);
    await insertTenant(gw.owner, b);
  });
  afterAll(() => gw?.close());

  it('closes the streams of a disabled tenant within the tenant-status interval, with a final error', async () => {
    const stream = await openEventStream(gw, await gw.token(a.customerId), SUBSCRIBE);
    try {
      const raised = await gw.graphql<{ raiseAlert: { alert: { id: string } } }>(
        RAISE,
        {
          i: {
            storeId: uuid(1, 1),
            productId: uuid(2, 1),
            type: 'LOW_STOCK',
            severity: 'WARNING',
            message: 'low',
          },
        },
        await gw.token(a.customerId, 'admin'),
      );
      expect(raised.errors).toBeUndefined();
      // Still open after more than one interval: an active tenant's stream goes on.
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 2));
      expect(stream.events.map((e) => e.event)).toEqual(['next']);
      expect(stream.events[0]?.data).toEqual({
        data: { alertRaised: { id: raised.data?.raiseAlert.alert.id, store: { id: uuid(1, 1) } } },
      });

      // What `npm run tenant -- disable` does.
      await updateTenant(gw.owner, a.customerId, { status: 'disabled' });
      const disabledAt = performance.now();
      const endedAt = await endedWithin(stream, INTERVAL_MS + SLACK_MS);
      expect(endedAt - disabledAt).toBeLessThan(INTERVAL_MS + SLACK_MS);
      expect(stream.events).toHaveLength(3);
      expectEndedWith(stream, /tenant is disabled/);
    } finally {
      stream.close();
      await updateTenant(gw.owner, a.customerId, { status: 'active' });
    }
  });

  it('closes every stream at its token’s exp, with a final error', async () => {
    const token = await mintToken({
      secret: TEST_SECRET,
      issuer: gw.config.jwt.issuer,
      audience: gw.config.jwt.audience,
      customerId: b.customerId,
      role: 'analyst',
      expiresIn: '3s',
    });
    const exp = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      exp: number;
    };
    const stream = await openEventStream(gw, token, SUBSCRIBE);
    try {
      const untilExp = exp.exp * 1000 - Date.now();
      const endedAt = await endedWithin(stream, untilExp + SLACK_MS);
      // Not before: the stream lived as long as its token.
      expect(Date.now() - (performance.now() - endedAt)).toBeGreaterThanOrEqual(
        exp.exp * 1000 - 50,
      );
      expect(stream.events).toHaveLength(2);
      expectEndedWith(stream, /token expired/);
    } finally {
      stream.close();
    }
  });
});
