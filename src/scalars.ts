import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { DateTimeResolver, UUIDResolver } from 'graphql-scalars';

const DECIMAL = /^-?\d{1,18}(\.\d{1,6})?$/;

function decimalFrom(value: unknown): string {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string' || !DECIMAL.test(text)) {
    throw new GraphQLError('Decimal must be a string such as "1234.50"');
  }
  return text;
}

/** Exact decimal, serialized as a string ("1234.50"); never a binary float. */
export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'An exact decimal number, serialized as a string such as "1234.50".',
  serialize: (value) => decimalFrom(value),
  parseValue: (value) => decimalFrom(value),
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING && ast.kind !== Kind.INT && ast.kind !== Kind.FLOAT) {
      throw new GraphQLError('Decimal must be a string such as "1234.50"');
    }
    return decimalFrom(ast.value);
  },
});

const SAFE_DIGITS = /^-?\d{1,15}$/;

function bigIntFrom(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw new GraphQLError('BigInt must be a whole number');
}

/**
 * An exact integer. Serialized as a JSON number while it is a safe integer (|n| < 2^53) and as
 * a string of digits beyond, so no client ever receives a rounded value.
 */
export const BigIntScalar = new GraphQLScalarType<bigint, number | string>({
  name: 'BigInt',
  description: 'An exact integer: a JSON number up to 2^53 - 1, a string of digits beyond.',
  serialize: (value) => {
    // Sums arrive from PostgreSQL as text; up to 15 digits is always a safe integer, read
    // without a BigInt for each of a large answer's rows.
    if (typeof value === 'string' && value.length <= 15 && SAFE_DIGITS.test(value)) {
      return Number(value);
    }
    const n = bigIntFrom(value);
    return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(n)
      : n.toString();
  },
  parseValue: (value) => bigIntFrom(value),
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.INT && ast.kind !== Kind.STRING) {
      throw new GraphQLError('BigInt must be a whole number');
    }
    return bigIntFrom(ast.value);
  },
});

// The canonical spellings clients send (what JSON.stringify of a Date and randomUUID produce).
// recordSales reads 5 000 lines a call, each with a time and three ids, so these are parsed
// without the general validators; anything else goes to graphql-scalars' own parseValue,
// which stays the judge of every other spelling and words every refusal.
const CANONICAL_UUID =
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const CANONICAL_INSTANT =
  /^\d{4}-(?:0[1-9]|1[0-2])-(\d\d)T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

function withFastInput<T>(
  scalar: GraphQLScalarType,
  fast: (value: unknown) => T | undefined,
): GraphQLScalarType {
  const general = scalar.parseValue.bind(scalar);
  return new GraphQLScalarType({
    ...scalar.toConfig(),
    parseValue: (value) => fast(value) ?? general(value),
  });
}

/** graphql-scalars' UUID, reading the canonical 36-character form directly. */
export const UUIDScalar = withFastInput(UUIDResolver, (value) =>
  typeof value === 'string' && CANONICAL_UUID.test(value) ? value : undefined,
);

/**
 * graphql-scalars' DateTime, reading `YYYY-MM-DDTHH:mm:ss.sssZ` directly when it names a real
 * calendar day (the Date keeps the day of the month only then), and serializing to the text
 * JSON writes for the Date it serializes to: the same answer, without a Date for the encoder to
 * call `toJSON` on in each of a large answer's rows (three times the encoding's time).
 */
const fastInputDateTime = withFastInput(DateTimeResolver, (value) => {
  if (typeof value !== 'string') return undefined;
  const day = CANONICAL_INSTANT.exec(value)?.[1];
  if (day === undefined) return undefined;
  const instant = new Date(value);
  return instant.getUTCDate() === Number(day) ? instant : undefined;
});

// The instant written last and its text. A trend's rows come in bucket order, one per group of
// each bucket, so most rows write the instant of the row before: a 564-row trend by store
// writes 30 instants, and `toISOString` on every row was a twentieth of the gateway's CPU.
let lastInstant = Number.NaN;
let lastText = '';

export const DateTimeScalar = new GraphQLScalarType({
  ...fastInputDateTime.toConfig(),
  serialize: (value) => {
    if (value instanceof Date) {
      const instant = value.getTime();
      if (instant === lastInstant) return lastText;
      if (!Number.isNaN(instant)) {
        lastText = value.toISOString();
        lastInstant = instant;
        return lastText;
      }
    }
    const serialized: unknown = DateTimeResolver.serialize(value);
    return serialized instanceof Date ? serialized.toJSON() : serialized;
  },
});
