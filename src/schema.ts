import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.js';
import './alerts/schema.js';
import './analytics/data-freshness.js';
import './alerts/subscription.js';
import './anomalies/schema.js';
import './baskets/schema.js';
import './catalog/schema.js';
import './catalog/cost-history.js';
import './catalog/upsert-schema.js';
import './forecasts/schema.js';
import './inventory/schema.js';
import './operator/schema.js';
import './sales/ingest-schema.js';
import './sales/schema.js';
import './sales/product-classes-schema.js';
import './sales/ranking-schema.js';
import './sales/sell-through-schema.js';
import './tenants/schema.js';
import './tenants/calendar-schema.js';
import './viewer/issue-token.js';
import './viewer/schema.js';

/** The executable schema, assembled from every domain module. */
export const schema = builder.toSchema();

/** The SDL kept in `schema.graphql`. */
export function printSchemaSdl(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
