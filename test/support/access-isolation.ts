import {
  getNamedType,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLObjectType,
  GraphQLScalarType,
  isListType,
  isNonNullType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import type { Pool } from '../../src/db/pool.js';
import { uuid, type TenantFixture } from './fixtures.js';

/** What the arguments of a generated operation name: another tenant's ids, filters, cursor. */
export interface ArgumentValues {
  storeIds: string[];
  productIds: string[];
  alertIds: string[];
  anomalyIds: string[];
  category: string;
  region: string;
  search: string;
  metadataKey: string;
  range: { from: string; to: string };
  /** Cursors by root field name, when the variant uses one. */
  cursors: Record<string, string>;
  /** Page size for connections; undefined leaves `first` out. */
  first?: number;
  /** false: optional filters (storeIds, category, search, …) are left out. */
  filters: boolean;
}

const FILTERS = new Set([
  'storeids',
  'productids',
  'categories',
  'category',
  'region',
  'search',
  'hasmetadatakeys',
  'metadata',
]);

const MAX_OBJECT_DEPTH = 4;

function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k}: ${literal(v)}`)
      .join(', ')} }`;
  }
  return JSON.stringify(value);
}

function enumLiteral(type: GraphQLEnumType, preferred: string[] = []): string {
  const names = type.getValues().map((v) => v.name);
  return preferred.find((p) => names.includes(p)) ?? names[0] ?? 'UNKNOWN';
}

/** A GraphQL literal for an input of `type`, naming the values' ids; null to leave it out. */
export function inputLiteral(
  name: string,
  type: GraphQLInputType,
  owner: string,
  values: ArgumentValues,
  required: boolean,
): string | null {
  const named = getNamedType(type);
  const list = isListType(isNonNullType(type) ? type.ofType : type);
  const lower = name.toLowerCase();
  const byName = (): unknown => {
    if (lower === 'storeids') return values.storeIds;
    if (lower === 'productids') return values.productIds;
    if (lower === 'storeid') return values.storeIds[0];
    if (lower === 'productid') return values.productIds[0];
    if (lower === 'categories') return [values.category];
    if (lower === 'category') return values.category;
    if (lower === 'region') return values.region;
    if (lower === 'search') return values.search;
    if (lower === 'range' || lower === 'window') return values.range;
    if (lower === 'hasmetadatakeys') return [values.metadataKey];
    if (lower === 'metadata' && named.name === 'JSONObject') return { [values.metadataKey]: true };
    if (lower === 'after') return values.cursors[owner];
    if (lower === 'first') return values.first;
    if (lower === 'id' || lower === 'ids') {
      const o = owner.toLowerCase();
      const ids = o.includes('alert')
        ? values.alertIds
        : o.includes('anomal')
          ? values.anomalyIds
          : o.includes('product')
            ? values.productIds
            : values.storeIds;
      return lower === 'ids' ? ids : ids[0];
    }
    return undefined;
  };
  const known = !values.filters && !required && FILTERS.has(lower) ? undefined : byName();
  if (known !== undefined) {
    if (named instanceof GraphQLInputObjectType)
      return inputObjectLiteral(named, owner, values, known);
    return literal(known);
  }
  if (!required) return null;
  let single: string | null;
  if (named instanceof GraphQLEnumType) {
    single = enumLiteral(named, ['DAY', 'UNITS', 'OPEN', 'STOCKOUT', 'WARNING']);
  } else if (named instanceof GraphQLInputObjectType) {
    single = inputObjectLiteral(named, owner, values, undefined);
  } else {
    const defaults: Record<string, unknown> = {
      Int: 1,
      Float: 1,
      Boolean: false,
      String: 'x',
      ID: 'x',
      UUID: values.storeIds[0],
      DateTime: values.range.from,
      Date: values.range.from.slice(0, 10),
      TimeZone: 'UTC',
      Decimal: '1.00',
      BigInt: '1',
      JSONObject: {},
    };
    single = named.name in defaults ? literal(defaults[named.name]) : null;
  }
  if (single === null) return null;
  return list ? `[${single}]` : single;
}

function inputObjectLiteral(
  type: GraphQLInputObjectType,
  owner: string,
  values: ArgumentValues,
  known: unknown,
): string | null {
  if (known !== undefined && (type.name === 'TimeRange' || typeof known !== 'object')) {
    return literal(known);
  }
  const parts: string[] = [];
  for (const field of Object.values(type.getFields())) {
    const required = isNonNullType(field.type) && field.defaultValue === undefined;
    const value = inputLiteral(field.name, field.type, owner, values, required);
    if (value === null) {
      if (required) return null;
      continue;
    }
    parts.push(`${field.name}: ${value}`);
  }
  return `{ ${parts.join(', ')} }`;
}

function argumentList(
  field: GraphQLField<unknown, unknown>,
  owner: string,
  values: ArgumentValues,
): string | null {
  const parts: string[] = [];
  for (const arg of field.args as readonly GraphQLArgument[]) {
    const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
    const value = inputLiteral(arg.name, arg.type, owner, values, required);
    if (value === null) {
      if (required) return null;
      continue;
    }
    parts.push(`${arg.name}: ${value}`);
  }
  return parts.length > 0 ? `(${parts.join(', ')})` : '';
}

/** The selection of every field of `type` (nested objects up to a depth), with arguments. */
export function selectionOf(
  type: GraphQLOutputType,
  values: ArgumentValues,
  depth = 0,
  path: ReadonlySet<string> = new Set(),
): string {
  const named = getNamedType(type);
  if (named instanceof GraphQLScalarType || named instanceof GraphQLEnumType) return '';
  if (!(named instanceof GraphQLObjectType)) return '{ __typename }';
  const parts: string[] = [];
  const inside = new Set(path).add(named.name);
  for (const field of Object.values(named.getFields())) {
    const fieldType = getNamedType(field.type);
    const isObject = fieldType instanceof GraphQLObjectType;
    if (isObject && (depth >= MAX_OBJECT_DEPTH || path.has(fieldType.name))) continue;
    const args = argumentList(field, field.name, values);
    if (args === null) continue;
    parts.push(`${field.name}${args} ${selectionOf(field.type, values, depth + 1, inside)}`.trim());
  }
  return `{ ${parts.length > 0 ? parts.join(' ') : '__typename'} }`;
}

/** A query or mutation document selecting one root field with everything under it. */
export function operationFor(
  schema: GraphQLSchema,
  kind: 'query' | 'mutation',
  fieldName: string,
  values: ArgumentValues,
): string | null {
  const root = kind === 'query' ? schema.getQueryType() : schema.getMutationType();
  const field = root?.getFields()[fieldName];
  if (!field) return null;
  const args = argumentList(field, fieldName, values);
  if (args === null) return null;
  return `${kind} { ${fieldName}${args} ${selectionOf(field.type, values, 1, new Set([root?.name ?? '']))} }`;
}

/** The root field names of the schema's query or mutation type. */
export function rootFields(schema: GraphQLSchema, kind: 'query' | 'mutation'): string[] {
  const root = kind === 'query' ? schema.getQueryType() : schema.getMutationType();
  return Object.keys(root?.getFields() ?? {}).sort();
}

/** Whether a root field is a Relay connection (has `after` and `pageInfo`). */
export function isConnectionField(schema: GraphQLSchema, fieldName: string): boolean {
  const field = schema.getQueryType()?.getFields()[fieldName];
  const type = field && getNamedType(field.type);
  return (
    !!field &&
    field.args.some((a) => a.name === 'after') &&
    type instanceof GraphQLObjectType &&
    'pageInfo' in type.getFields()
  );
}

/** The window every fixture row falls into: the seven whole UTC days before yesterday. */
export function fixtureWindow(): { from: Date; to: Date } {
  const today = Date.UTC(
    new Date().getUTCFullYear(),
    new Date().getUTCMonth(),
    new Date().getUTCDate(),
  );
  return { from: new Date(today - 8 * 86_400_000), to: new Date(today - 86_400_000) };
}

export interface SeriesOptions {
  tenant: TenantFixture;
  /** Stores that get time-series rows. */
  storeIds: string[];
  /** Multiplies quantities and stock, so tenants' numbers differ. */
  factor: number;
  /** Seeds the deterministic ids of alerts, anomalies and reorder points. */
  idGroup: number;
}

/**
 * Sales, stock, forecasts, reorder points, alerts and anomalies for a tenant's stores over the
 * fixture window, inserted by the owner. Ids and timestamps are deterministic, so two tenants
 * given the same options differ only by tenant.
 */
export async function insertSeries(owner: Pool, options: SeriesOptions): Promise<void> {
  const { tenant, factor } = options;
  const window = fixtureWindow();
  const customer = tenant.customerId;
  const products = tenant.products.map((p) => p.id);
  let n = 0;
  for (const [s, storeId] of options.storeIds.entries()) {
    for (const [p, productId] of products.entries()) {
      for (let day = 0; day < 7; day += 1) {
        for (const hour of [9, 13, 18]) {
          n += 1;
          const time = new Date(window.from.getTime() + day * 86_400_000 + hour * 3_600_000);
          const quantity = ((day + hour + s + p) % 4) + 1;
          await owner.query(
            `INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $6::integer * $7::numeric)`,
            [
              customer,
              uuid(0x7000 + options.idGroup, n),
              time,
              storeId,
              productId,
              quantity * factor,
              `${p + 1}.25`,
            ],
          );
        }
        const time = new Date(window.from.getTime() + day * 86_400_000 + 20 * 3_600_000);
        await owner.query(
          `INSERT INTO inventory_levels (customer_id, store_id, product_id, time, on_hand, allocated)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [customer, storeId, productId, time, (50 - day * 5) * factor, day % 3],
        );
        await owner.query(
          `INSERT INTO forecasts (customer_id, store_id, product_id, time, model_version, units, units_lower, units_upper, created_at)
           VALUES ($1, $2, $3, $4, 'v1', $5::numeric, $5::numeric - 1, $5::numeric + 1, $4)`,
          [customer, storeId, productId, new Date(time.getTime() + 3_600_000), 3 * factor + day],
        );
      }
      const key = s * 100 + p;
      await owner.query(
        `INSERT INTO reorder_points (customer_id, id, store_id, product_id, reorder_point, reorder_quantity, valid_from)
         VALUES ($1, $2, $3, $4, $5, 10, $6)`,
        [
          customer,
          uuid(0x8000 + options.idGroup, key),
          storeId,
          productId,
          20 * factor,
          window.from,
        ],
      );
      await owner.query(
        `INSERT INTO alerts (customer_id, id, store_id, product_id, type, severity, message, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'LOW_STOCK', 'WARNING', $5, $6, $6)`,
        [
          customer,
          uuid(0x9000 + options.idGroup, key),
          storeId,
          productId,
          `Low stock ${factor}`,
          new Date(window.from.getTime() + key * 60_000),
        ],
      );
      await owner.query(
        `INSERT INTO anomalies (customer_id, id, store_id, product_id, kind, detected_at, score, metadata)
         VALUES ($1, $2, $3, $4, 'SALES_SPIKE', $5, $6, $7)`,
        [
          customer,
          uuid(0xa000 + options.idGroup, key),
          storeId,
          productId,
          new Date(window.from.getTime() + 86_400_000 + key * 60_000),
          factor,
          JSON.stringify({ source: 'pos', [`factor${factor}`]: true }),
        ],
      );
    }
  }
}

/** Tables of the public schema with a customer_id column (every tenant table). */
export async function tenantTables(owner: Pool): Promise<string[]> {
  const { rows } = await owner.query<{ table: string }>(
    `SELECT c.relname AS table FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'customer_id' AND NOT a.attisdropped
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`,
  );
  return rows.map((r) => r.table);
}

/**
 * The relation through which the gateway reads a tenant table: the hypertables only through
 * their views (it holds no grant on them, so none on their chunks).
 */
export function gatewayRelation(table: string): string {
  const views: Record<string, string> = {
    transactions: 'sale_lines',
    inventory_levels: 'gateway.inventory_levels',
    forecasts: 'gateway.forecasts',
  };
  return views[table] ?? table;
}

/** A digest of every row a tenant has, table by table (owner connection). */
export async function tenantDigest(
  owner: Pool,
  customerId: string,
): Promise<Record<string, string>> {
  const digest: Record<string, string> = {};
  for (const table of await tenantTables(owner)) {
    const { rows } = await owner.query<{ digest: string | null }>(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM ${table} t WHERE customer_id = $1`,
      [customerId],
    );
    digest[table] = rows[0]?.digest ?? 'empty';
  }
  return digest;
}

/**
 * Deletes every row of a tenant, referencing tables before the tables they reference (owner
 * connection). The order comes from the foreign keys, so no statement fails on the way.
 */
export async function deleteTenant(owner: Pool, customerId: string): Promise<void> {
  const tables = await tenantTables(owner);
  const { rows } = await owner.query<{ from: string; to: string }>(
    `SELECT c.conrelid::regclass::text AS "from", c.confrelid::regclass::text AS "to"
     FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid <> c.confrelid`,
  );
  const ordered: string[] = [];
  const remaining = new Set([...tables, 'customers']);
  while (remaining.size > 0) {
    // A table is next when no remaining table still references it.
    const next = [...remaining].filter(
      (table) => !rows.some((fk) => fk.to === table && remaining.has(fk.from)),
    );
    if (next.length === 0) throw new Error(`foreign keys form a cycle among ${[...remaining]}`);
    for (const table of next.sort()) {
      ordered.push(table);
      remaining.delete(table);
    }
  }
  for (const table of ordered) {
    const column = table === 'customers' ? 'id' : 'customer_id';
    await owner.query(`DELETE FROM ${table} WHERE ${column} = $1`, [customerId]);
  }
}
