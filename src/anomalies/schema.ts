import { builder } from '../builder.js';
import { ProductRef, StoreRef } from '../catalog/schema.js';
import { userError } from '../errors.js';
import { storeFilter, storeFilterArgs } from '../catalog/ref-args.js';
import { optionalProductOfRow, storeOfRow } from '../catalog/row-refs.js';
import { TimeRangeInput, validateRange } from '../time-range.js';
import { cursorKey, decodeCursor, encodeCursor, pageSize, toConnection } from '../pagination.js';
import { listAnomalies, type AnomalyKind, type AnomalyRow } from './anomaly-store.js';

const MAX_METADATA_FILTER_BYTES = 4096;
const MAX_METADATA_KEYS = 50;

/** GraphQL enum of anomaly kinds. */
export const AnomalyKindEnum = builder.enumType('AnomalyKind', {
  description: 'What kind of deviation was detected.',
  values: {
    SALES_SPIKE: { description: 'Sales far above the usual.' },
    SALES_DROP: { description: 'Sales far below the usual.' },
    STOCK_MISMATCH: { description: 'Counted stock disagrees with stock implied by sales.' },
    PRICE_OUTLIER: { description: 'A sale at an unusual price.' },
  } satisfies Record<AnomalyKind, { description: string }>,
});

const AnomalyRef = builder.objectRef<AnomalyRow>('Anomaly');
AnomalyRef.implement({
  description: 'A deviation detected in a store’s sales or stock.',
  fields: (t) => ({
    id: t.expose('id', { type: 'UUID', description: 'Anomaly id.' }),
    store: t.field({
      type: StoreRef,
      description: 'The store.',
      resolve: (n, _a, ctx) => storeOfRow(ctx, n.storeId),
    }),
    product: t.field({
      type: ProductRef,
      nullable: true,
      description: 'The product; null when the anomaly concerns the whole store.',
      resolve: (n, _a, ctx) => optionalProductOfRow(ctx, n.productId),
    }),
    kind: t.expose('kind', { type: AnomalyKindEnum, description: 'Kind of deviation.' }),
    detectedAt: t.expose('detectedAt', { type: 'DateTime', description: 'When it was detected.' }),
    score: t.expose('score', {
      type: 'Decimal',
      description: 'Detector score (3 decimal places); higher is more unusual.',
    }),
    metadata: t.expose('metadata', {
      type: 'JSONObject',
      description: 'Detector details (expected and observed values, thresholds, …).',
    }),
  }),
});

/** Relay connection of anomalies. */
export const AnomalyConnection = builder.connectionObject({
  type: AnomalyRef,
  name: 'AnomalyConnection',
});

const anomalyCursor = cursorKey('instant', 'uuid');

function metadataFilter(metadata: Record<string, unknown> | null | undefined): string | null {
  if (metadata === null || metadata === undefined) return null;
  const json = JSON.stringify(metadata);
  if (Buffer.byteLength(json) > MAX_METADATA_FILTER_BYTES) {
    throw userError(
      `metadata must be at most ${MAX_METADATA_FILTER_BYTES} bytes of JSON`,
      'BAD_USER_INPUT',
      {
        argument: 'metadata',
      },
    );
  }
  return json;
}

function metadataKeys(keys: readonly string[] | null | undefined): readonly string[] | null {
  if (keys === null || keys === undefined || keys.length === 0) return null;
  if (keys.length > MAX_METADATA_KEYS || keys.some((k) => k.length === 0 || k.length > 200)) {
    throw userError(
      `hasMetadataKeys takes at most ${MAX_METADATA_KEYS} non-empty keys of at most 200 characters`,
      'BAD_USER_INPUT',
      { argument: 'hasMetadataKeys' },
    );
  }
  return keys;
}

builder.queryField('anomalies', (t) =>
  t.field({
    type: AnomalyConnection,
    description:
      'Anomalies detected in the half-open range, newest first (by detection time, then id).',
    args: {
      range: t.arg({ type: TimeRangeInput, required: true, description: 'Half-open [from, to).' }),
      ...storeFilterArgs(t.arg, 'Only anomalies of these stores'),
      kinds: t.arg({ type: [AnomalyKindEnum], description: 'Only these kinds.' }),
      metadata: t.arg({
        type: 'JSONObject',
        description:
          'Only anomalies whose metadata contains this JSON object (PostgreSQL @> containment: nested objects match partially, arrays by inclusion).',
      }),
      hasMetadataKeys: t.arg({
        type: ['String'],
        description: 'Only anomalies whose metadata has every one of these top-level keys.',
      }),
      first: t.arg.int({ description: 'Page size (at most 500, default 50).' }),
      after: t.arg.string({ description: 'Cursor of the last anomaly of the previous page.' }),
    },
    complexity: (args) => ({ field: 1, multiplier: args.first ?? 50 }),
    resolve: async (_root, args, ctx) => {
      const range = validateRange(args.range);
      const limit = pageSize(args.first);
      const after = decodeCursor('anomalies', args.after, anomalyCursor);
      const rows = await listAnomalies(ctx.db, {
        limit,
        after,
        ...range,
        storeIds: await storeFilter(ctx, args),
        kinds: args.kinds ?? null,
        metadata: metadataFilter(args.metadata),
        metadataKeys: metadataKeys(args.hasMetadataKeys),
      });
      return toConnection(
        rows,
        limit,
        (r) => encodeCursor('anomalies', [r.detectedAtKey, r.id]),
        after !== null,
      );
    },
  }),
);
