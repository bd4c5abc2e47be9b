import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

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
