import { builder } from '../builder.js';
import type { RequestDb } from '../db/request-db.js';
import { ProductRef, StoreRef } from '../catalog/schema.js';
import { userError } from '../errors.js';
import { requireStoreAndProductRefs, storeFilter, storeFilterArgs } from '../catalog/ref-args.js';
import { productOfRow, storeOfRow } from '../catalog/row-refs.js';
import { announceAlertRaised } from './alert-events.js';
import { cursorKey, decodeCursor, encodeCursor, pageSize, toConnection } from '../pagination.js';
import {
  listAlerts,
  lockAlert,
  markAcknowledged,
  markResolved,
  openAlertsByStore,
  upsertAlert,
  type AlertRow,
  type AlertSeverity,
  type AlertStatus,
  type AlertType,
} from './alert-store.js';

const MAX_MESSAGE_LENGTH = 2000;

/** GraphQL enum of alert types. */
export const AlertTypeEnum = builder.enumType('AlertType', {
  description: 'What an alert is about.',
  values: {
    STOCKOUT: { description: 'No stock available.' },
    LOW_STOCK: { description: 'Available stock below the reorder point.' },
    OVERSTOCK: { description: 'More stock than the product sells.' },
    SALES_SPIKE: { description: 'Sales far above the usual.' },
    SALES_DROP: { description: 'Sales far below the usual.' },
    FORECAST_DEVIATION: { description: 'Sales outside the forecast bounds.' },
  } satisfies Record<AlertType, { description: string }>,
});
/** GraphQL enum of alert severities, lowest first. */
export const AlertSeverityEnum = builder.enumType('AlertSeverity', {
  description: 'How urgent an alert is: INFO < WARNING < CRITICAL.',
  values: {
    INFO: { description: 'For information.' },
    WARNING: { description: 'Needs attention soon.' },
    CRITICAL: { description: 'Needs attention now.' },
  } satisfies Record<AlertSeverity, { description: string }>,
});
/** GraphQL enum of alert lifecycle states. */
export const AlertStatusEnum = builder.enumType('AlertStatus', {
  description: 'Lifecycle: OPEN → ACKNOWLEDGED → RESOLVED (OPEN may be resolved directly).',
  values: {
    OPEN: { description: 'Raised, nobody has acknowledged it yet.' },
    ACKNOWLEDGED: { description: 'Someone is on it.' },
    RESOLVED: { description: 'Dealt with; a new raise creates a new alert.' },
  } satisfies Record<AlertStatus, { description: string }>,
});

/** GraphQL type of an alert. */
export const AlertRef = builder.objectRef<AlertRow>('Alert');
AlertRef.implement({
  description: 'A condition of a product in a store that needs attention.',
  fields: (t) => ({
    id: t.expose('id', { type: 'UUID', description: 'Alert id.' }),
    store: t.field({
      type: StoreRef,
      description: 'The store.',
      resolve: (a, _x, ctx) => storeOfRow(ctx, a.storeId),
    }),
    product: t.field({
      type: ProductRef,
      description: 'The product.',
      resolve: (a, _x, ctx) => productOfRow(ctx, a.productId),
    }),
    type: t.expose('type', { type: AlertTypeEnum, description: 'What it is about.' }),
    severity: t.expose('severity', {
      type: AlertSeverityEnum,
      description: 'Highest severity it was raised with.',
    }),
    status: t.expose('status', { type: AlertStatusEnum, description: 'Lifecycle state.' }),
    message: t.exposeString('message', { description: 'Latest message it was raised with.' }),
    occurrences: t.exposeInt('occurrences', {
      description: 'How many times it was raised while unresolved.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'First raised.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last changed.' }),
    acknowledgedAt: t.expose('acknowledgedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was acknowledged; null before.',
    }),
    resolvedAt: t.expose('resolvedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was resolved; null while unresolved.',
    }),
    resolutionNote: t.exposeString('resolutionNote', {
      nullable: true,
      description: 'Note given when resolving.',
    }),
  }),
});

/** Relay connection of alerts. */
export const AlertConnection = builder.connectionObject({
  type: AlertRef,
  name: 'AlertConnection',
});

const alertCursor = cursorKey('instant', 'uuid');

builder.queryField('alerts', (t) =>
  t.field({
    type: AlertConnection,
    description: 'Alerts, newest first (by creation time, then id), filtered by every given list.',
    args: {
      status: t.arg({ type: [AlertStatusEnum], description: 'Only alerts in these states.' }),
      ...storeFilterArgs(t.arg, 'Only alerts of these stores'),
      types: t.arg({ type: [AlertTypeEnum], description: 'Only alerts of these types.' }),
      severity: t.arg({ type: [AlertSeverityEnum], description: 'Only these severities.' }),
      first: t.arg.int({ description: 'Page size (at most 500, default 50).' }),
      after: t.arg.string({ description: 'Cursor of the last alert of the previous page.' }),
    },
    complexity: (args) => ({ field: 1, multiplier: args.first ?? 50 }),
    resolve: async (_root, args, ctx) => {
      const limit = pageSize(args.first);
      const after = decodeCursor('alerts', args.after, alertCursor);
      const rows = await listAlerts(ctx.db, {
        limit,
        after,
        statuses: args.status ?? null,
        types: args.types ?? null,
        severities: args.severity ?? null,
        storeIds: await storeFilter(ctx, args),
      });
      return toConnection(
        rows,
        limit,
        (r) => encodeCursor('alerts', [r.createdAtKey, r.id]),
        after !== null,
      );
    },
  }),
);

builder.objectField(StoreRef, 'openAlerts', (t) =>
  t.field({
    type: [AlertRef],
    description: 'Unresolved (open or acknowledged) alerts of the store, newest first.',
    args: { first: t.arg.int({ description: 'At most this many (at most 500, default 50).' }) },
    complexity: (args) => ({ field: 1, multiplier: args.first ?? 50 }),
    resolve: (store, args, ctx) =>
      openAlertsByStore(ctx).load({ storeId: store.id, limit: pageSize(args.first) }),
  }),
);

const RaiseAlertInputRef = builder.inputType('RaiseAlertInput', {
  description: 'An alert to raise.',
  fields: (t) => ({
    storeId: t.field({ type: 'UUID', description: 'The store (or storeCode).' }),
    storeCode: t.string({ description: 'The store’s code (or storeId).' }),
    productId: t.field({ type: 'UUID', description: 'The product (or sku).' }),
    sku: t.string({ description: 'The product’s SKU (or productId).' }),
    type: t.field({ type: AlertTypeEnum, required: true, description: 'What it is about.' }),
    severity: t.field({ type: AlertSeverityEnum, required: true, description: 'How urgent.' }),
    message: t.string({
      required: true,
      description: `What happened, 1 to ${MAX_MESSAGE_LENGTH} characters.`,
    }),
  }),
});

const RaiseAlertPayload = builder
  .objectRef<{ alert: AlertRow; created: boolean }>('RaiseAlertPayload')
  .implement({
    description: 'Outcome of raiseAlert.',
    fields: (t) => ({
      alert: t.field({ type: AlertRef, description: 'The alert.', resolve: (p) => p.alert }),
      created: t.exposeBoolean('created', {
        description: 'true when a new alert was created, false when an unresolved one was updated.',
      }),
    }),
  });

function checkText(value: string, argument: string): string {
  const text = value.trim();
  if (text.length < 1 || text.length > MAX_MESSAGE_LENGTH) {
    throw userError(`${argument} must be 1 to ${MAX_MESSAGE_LENGTH} characters`, 'BAD_USER_INPUT', {
      argument,
    });
  }
  return text;
}

async function existingAlert(db: RequestDb, id: string) {
  const alert = await lockAlert(db, id);
  if (alert === null) {
    throw userError(`alert ${id} does not exist or is not one of your alerts`, 'NOT_FOUND', {
      argument: 'id',
    });
  }
  return alert;
}

builder.mutationFields((t) => ({
  raiseAlert: t.field({
    type: RaiseAlertPayload,
    description:
      'Creates an alert, or updates the one unresolved alert of the same store, product and type: one more occurrence, the higher severity, the new message. Its status is kept.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: RaiseAlertInputRef, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const alert = await upsertAlert(ctx.db, {
        ...(await requireStoreAndProductRefs(ctx, input, 'input.')),
        type: input.type,
        severity: input.severity,
        message: checkText(input.message, 'input.message'),
      });
      await announceAlertRaised(ctx.db, ctx.alertEvents, {
        customerId: ctx.viewer.customerId,
        storeId: alert.storeId,
        alertId: alert.id,
      });
      return { alert, created: alert.occurrences === 1 };
    },
  }),
  acknowledgeAlert: t.field({
    type: AlertRef,
    description:
      'Acknowledges an open alert; acknowledging an acknowledged alert returns it unchanged, a resolved one is a CONFLICT.',
    authScopes: { admin: true },
    args: { id: t.arg({ type: 'UUID', required: true, description: 'The alert.' }) },
    resolve: async (_root, args, ctx) => {
      const id = args.id.toLowerCase();
      const alert = await existingAlert(ctx.db, id);
      if (alert.status === 'ACKNOWLEDGED') return alert;
      if (alert.status === 'RESOLVED') {
        throw userError(`alert ${id} is already resolved; it cannot be acknowledged`, 'CONFLICT', {
          status: alert.status,
        });
      }
      const updated = await markAcknowledged(ctx.db, id);
      if (updated === null) throw new Error('acknowledging a locked open alert changed nothing');
      return updated;
    },
  }),
  resolveAlert: t.field({
    type: AlertRef,
    description:
      'Resolves an open or acknowledged alert with an optional note; resolving a resolved alert is a CONFLICT. A later raise of the same store/product/type creates a new alert.',
    authScopes: { admin: true },
    args: {
      id: t.arg({ type: 'UUID', required: true, description: 'The alert.' }),
      note: t.arg.string({
        description: `Resolution note, at most ${MAX_MESSAGE_LENGTH} characters.`,
      }),
    },
    resolve: async (_root, args, ctx) => {
      const id = args.id.toLowerCase();
      const note =
        args.note === null || args.note === undefined ? null : checkText(args.note, 'note');
      const alert = await existingAlert(ctx.db, id);
      if (alert.status === 'RESOLVED') {
        throw userError(`alert ${id} is already resolved`, 'CONFLICT', { status: alert.status });
      }
      const updated = await markResolved(ctx.db, id, note);
      if (updated === null) throw new Error('resolving a locked unresolved alert changed nothing');
      return updated;
    },
  }),
}));
