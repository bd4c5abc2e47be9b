import type { GraphQLError } from 'graphql';
import { unauthenticated } from '../auth/tokens.js';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import type { RequestDb } from '../db/request-db.js';
import { storeFilter, storeFilterArgs } from '../catalog/ref-args.js';
import { LoaderCache } from '../loaders.js';
import type { AlertRaisedEvent } from './alert-events.js';
import { findAlert, type AlertRow } from './alert-store.js';
import { AlertRef } from './schema.js';

// Statement timeout of the short transaction that reads one raised alert for a subscriber.
const EVENT_STATEMENT_TIMEOUT_MS = 5000;

interface EventQueue {
  events: AlertRaisedEvent[];
  wake: (() => void) | null;
}

/** The last item of a stream whose right to exist ended: the error its client reads. */
interface StreamEnd {
  ended: GraphQLError;
}

/**
 * Waits for the next event, or until the stream must check whether it may go on: once per
 * `admission.intervalMs` (busy or idle), and at the token's expiry. Gives why it must end, or
 * null. A status that cannot be read (the database unavailable) ends nothing: it is read again
 * at the next interval.
 */
async function nextWake(
  ctx: GraphQLContext,
  queue: EventQueue,
  admitted: { at: number },
): Promise<GraphQLError | null> {
  const { viewer, admission } = ctx;
  const untilExpiry = viewer.expiresAt - Date.now();
  const untilCheck = admitted.at + admission.intervalMs - Date.now();
  if (queue.events.length === 0 && untilExpiry > 0 && untilCheck > 0) {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      queue.wake = resolve;
      timer = setTimeout(resolve, Math.min(untilExpiry, untilCheck));
    });
    clearTimeout(timer);
    queue.wake = null;
  }
  if (Date.now() >= viewer.expiresAt) {
    return unauthenticated('the token expired: the stream ends; subscribe again with a new token');
  }
  if (Date.now() - admitted.at < admission.intervalMs) return null;
  admitted.at = Date.now();
  return admission.refusal().catch(() => null);
}

/**
 * Reads each queued alert in a transaction of its own under the subscriber's tenant and store
 * scope, so row-level security decides what it may see. The context's db and loaders are
 * replaced per event (the subscription's own request transaction ended when the stream began);
 * an event's transaction ends before the next event is awaited. The stream checks every
 * tenant-status interval that its tenant is still active, and ends at its token's expiry: its last item is then the reason, which the client reads as an error before the
 * stream completes.
 */
async function* readRaisedAlerts(
  ctx: GraphQLContext,
  queue: EventQueue,
  unsubscribe: () => void,
): AsyncGenerator<AlertRow | StreamEnd> {
  let db: RequestDb | null = null;
  // The request that opened the stream passed the tenant gate.
  const admitted = { at: Date.now() };
  try {
    for (;;) {
      await db?.finish('commit');
      db = null;
      const ended = await nextWake(ctx, queue, admitted);
      if (ended) {
        yield { ended };
        return;
      }
      const event = queue.events.shift();
      if (!event) continue;
      db = ctx.openTransaction(EVENT_STATEMENT_TIMEOUT_MS);
      ctx.db = db;
      ctx.loaders = new LoaderCache();
      const alert = await findAlert(db, event.alertId);
      if (alert) yield alert;
    }
  } finally {
    unsubscribe();
    await db?.finish('rollback');
  }
}

/**
 * Subscribes before the stream is returned, so every alert raised once the response has begun
 * is delivered; events of other tenants never enter the queue.
 */
async function alertsRaisedFor(
  ctx: GraphQLContext,
  storeIds: readonly string[] | null,
): Promise<AsyncIterableIterator<AlertRow | StreamEnd>> {
  const queue: EventQueue = { events: [], wake: null };
  const unsubscribe = await ctx.alertEvents.subscribe((event) => {
    if (event.customerId !== ctx.viewer.customerId) return;
    if (storeIds && !storeIds.includes(event.storeId)) return;
    queue.events.push(event);
    queue.wake?.();
  });
  const alerts = readRaisedAlerts(ctx, queue, unsubscribe);
  const iterator: AsyncIterableIterator<AlertRow | StreamEnd> = {
    [Symbol.asyncIterator]: () => iterator,
    next: () => alerts.next(),
    // A stream cancelled before its first event never entered the generator's finally.
    return: (value?: AlertRow | StreamEnd) => {
      unsubscribe();
      return alerts.return(value);
    },
  };
  return iterator;
}

builder.subscriptionType({ description: 'Live events, over Server-Sent Events.' });

builder.subscriptionField('alertRaised', (t) =>
  t.field({
    type: AlertRef,
    description:
      'Every alert raised (created or raised again) from now on in the caller’s stores, fed by PostgreSQL LISTEN/NOTIFY; optionally only for some stores.',
    args: storeFilterArgs(t.arg, 'Only alerts of these stores'),
    subscribe: async (_root, args, ctx) => alertsRaisedFor(ctx, await storeFilter(ctx, args)),
    resolve: (item) => {
      if ('ended' in item) throw item.ended;
      return item;
    },
  }),
);
