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

/**
 * Reads each queued alert in a transaction of its own under the subscriber's tenant and store
 * scope, so row-level security decides what it may see. The context's db and loaders are
 * replaced per event (the subscription's own request transaction ended when the stream began);
 * an event's transaction ends before the next event is awaited.
 */
async function* readRaisedAlerts(
  ctx: GraphQLContext,
  queue: EventQueue,
  unsubscribe: () => void,
): AsyncGenerator<AlertRow> {
  let db: RequestDb | null = null;
  try {
    for (;;) {
      await db?.finish('commit');
      db = null;
      const event = queue.events.shift();
      if (!event) {
        await new Promise<void>((resolve) => {
          queue.wake = resolve;
        });
        queue.wake = null;
        continue;
      }
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
): Promise<AsyncIterableIterator<AlertRow>> {
  const queue: EventQueue = { events: [], wake: null };
  const unsubscribe = await ctx.alertEvents.subscribe((event) => {
    if (event.customerId !== ctx.viewer.customerId) return;
    if (storeIds && !storeIds.includes(event.storeId)) return;
    queue.events.push(event);
    queue.wake?.();
  });
  const alerts = readRaisedAlerts(ctx, queue, unsubscribe);
  const iterator: AsyncIterableIterator<AlertRow> = {
    [Symbol.asyncIterator]: () => iterator,
    next: () => alerts.next(),
    // A stream cancelled before its first event never entered the generator's finally.
    return: (value?: AlertRow) => {
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
    resolve: (alert) => alert,
  }),
);
