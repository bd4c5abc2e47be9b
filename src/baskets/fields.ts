import { builder } from '../builder.js';
import { measureFieldsOf } from '../analytics/fields.js';
import { BASKET_MEASURE_NAMES, type BasketValues } from './measures.js';

/** The receipt measures of a sales bucket, grouped. */
export const BasketMeasuresRef = builder.objectRef<BasketValues>('BasketMeasures').implement({
  description:
    'The receipt measures of a bucket, the same values as its fields of those names: read from the rollups like every measure (each receipt counted once, in the bucket of its first recorded sale line).',
  fields: (t) => measureFieldsOf(t, BASKET_MEASURE_NAMES),
});
