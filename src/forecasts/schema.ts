import { builder } from '../builder.js';
import { ProductRef, StoreRef } from '../catalog/schema.js';
import { userError } from '../errors.js';
import { requireStoreAndProductRefs, storeAndProductArgs } from '../catalog/ref-args.js';
import { productOfRow, requireStoreAndProduct, storeOfRow } from '../catalog/row-refs.js';
import { TimeRangeInput, validateRange } from '../time-range.js';
import { listForecasts, type ForecastRow } from './forecast-store.js';

/** The most forecast rows one forecasts call returns. */
export const MAX_FORECAST_ROWS = 5000;

const ForecastRef = builder.objectRef<ForecastRow>('Forecast');
ForecastRef.implement({
  description: 'Units a model predicts a store to sell of a product in one period.',
  fields: (t) => ({
    store: t.field({
      type: StoreRef,
      description: 'The store.',
      resolve: (f, _a, ctx) => storeOfRow(ctx, f.storeId),
    }),
    product: t.field({
      type: ProductRef,
      description: 'The product.',
      resolve: (f, _a, ctx) => productOfRow(ctx, f.productId),
    }),
    periodStart: t.expose('periodStart', {
      type: 'DateTime',
      description: 'Start of the forecast period.',
    }),
    modelVersion: t.exposeString('modelVersion', { description: 'Model that made it.' }),
    units: t.expose('units', { type: 'Decimal', description: 'Predicted units.' }),
    unitsLower: t.expose('unitsLower', {
      type: 'Decimal',
      description: 'Lower bound of the prediction interval.',
    }),
    unitsUpper: t.expose('unitsUpper', {
      type: 'Decimal',
      description: 'Upper bound of the prediction interval.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was stored.' }),
  }),
});

builder.queryField('forecasts', (t) =>
  t.field({
    type: [ForecastRef],
    description: `Forecasts of one store/product for periods starting in the half-open range, by period then model version (every model version unless one is given; at most ${MAX_FORECAST_ROWS} rows).`,
    args: {
      ...storeAndProductArgs(t.arg),
      range: t.arg({ type: TimeRangeInput, required: true, description: 'Half-open [from, to).' }),
      modelVersion: t.arg.string({ description: 'Only this model version.' }),
    },
    complexity: 20,
    resolve: async (_root, args, ctx) => {
      const range = validateRange(args.range);
      const { storeId, productId } = await requireStoreAndProductRefs(ctx, args);
      await requireStoreAndProduct(ctx, storeId, productId);
      const rows = await listForecasts(ctx.db, {
        storeId,
        productId,
        ...range,
        modelVersion: args.modelVersion ?? null,
        limit: MAX_FORECAST_ROWS + 1,
      });
      if (rows.length > MAX_FORECAST_ROWS) {
        throw userError(
          `more than ${MAX_FORECAST_ROWS} forecasts match; narrow the range or give a modelVersion`,
          'BAD_USER_INPUT',
          { argument: 'range' },
        );
      }
      return rows;
    },
  }),
);
