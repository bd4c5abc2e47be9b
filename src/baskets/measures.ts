import type { MeasureName, MeasureValues } from '../analytics/measures.js';

/**
 * The receipt measures of the model (analytics/measures.ts), grouped as a basket: receipts, the
 * value and units per receipt, and the unit price beside them. A receipt is the pair (store,
 * receiptId); it counts once, in the bucket of its first recorded sale line, so receipts add up
 * over time and stores. Over the lines of a product, receipts are the receipts containing it:
 * a receipt of three products counts once for each, so they do not add up across products.
 */
export const BASKET_MEASURE_NAMES = [
  'receipts',
  'averageReceiptValue',
  'unitsPerReceipt',
  'averageUnitPrice',
] as const satisfies readonly MeasureName[];

export type BasketMeasureName = (typeof BASKET_MEASURE_NAMES)[number];

/** The values of the receipt measures as an answer row carries them. */
export type BasketValues = Pick<MeasureValues, BasketMeasureName>;

/** The receipt measures of a row that carries every measure. */
export function basketOf(row: MeasureValues): BasketValues {
  return {
    receipts: row.receipts,
    averageReceiptValue: row.averageReceiptValue,
    unitsPerReceipt: row.unitsPerReceipt,
    averageUnitPrice: row.averageUnitPrice,
  };
}
