import type { GraphQLScalarType } from 'graphql';
import { DateTimeResolver, UUIDResolver } from 'graphql-scalars';
import { describe, expect, it } from 'vitest';
import { BigIntScalar, DateTimeScalar, UUIDScalar } from '../src/scalars.js';

/** What parsing `value` gives: the value (a Date as its instant), or the refusal's message. */
function outcome(scalar: GraphQLScalarType, value: unknown): unknown {
  try {
    const parsed: unknown = scalar.parseValue(value);
    return parsed instanceof Date ? { instant: parsed.getTime() } : { value: parsed };
  } catch (error) {
    return { refused: error instanceof Error ? error.message : String(error) };
  }
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Date-times around every boundary the validators check, in canonical and other spellings. */
function dateTimes(): unknown[] {
  const values: unknown[] = [];
  for (const year of [1900, 1999, 2000, 2023, 2024, 2100, 2400, 9999]) {
    for (let month = 0; month <= 13; month += 1) {
      for (const day of [0, 1, 9, 28, 29, 30, 31, 32]) {
        const date = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
        values.push(
          `${date}T00:00:00.000Z`,
          `${date}T23:59:59.999Z`,
          `${date}T12:30:45Z`,
          `${date}t12:30:45.123z`,
          `${date}T12:30:45.123+02:00`,
        );
      }
    }
  }
  values.push(
    '2024-06-01T24:00:00.000Z',
    '2024-06-01T23:60:00.000Z',
    '2024-06-01T23:59:60.000Z',
    '2024-06-01T23:59:59.1Z',
    '2024-06-01T23:59:59.1234Z',
    '2024-06-01T23:59:59.123',
    '2024-06-01 23:59:59.123Z',
    ' 2024-06-01T23:59:59.123Z',
    '2024-06-01T23:59:59.123Z ',
    '+02024-06-01T23:59:59.123Z',
    '2024-6-01T23:59:59.123Z',
    '',
    'not a date',
    new Date('2024-06-01T10:00:00Z'),
    new Date(Number.NaN),
    1_717_236_000_000,
    null,
    { toString: () => '2024-06-01T10:00:00.000Z' },
  );
  for (let n = 0; n < 2000; n += 1) {
    values.push(new Date(Date.UTC(2000, 0, 1) + n * 15_485_863_923).toISOString());
  }
  return values;
}

function uuids(): unknown[] {
  const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
  return [
    id,
    id.toUpperCase(),
    `{${id}}`,
    `{{${id}}}`,
    `{${id}`,
    `${id}}`,
    id.replace(/-/g, ''),
    `${id}0`,
    id.slice(1),
    id.replace('f', 'g'),
    id.replace('-', '_'),
    ` ${id}`,
    `${id}\n`,
    '',
    42,
    null,
    ['a'],
    ...Array.from({ length: 500 }, (_, n) =>
      `${n.toString(16).padStart(8, '0')}-0000-4000-8000-${(n * 7919).toString(16).padStart(12, 'A')}`.slice(
        0,
        36,
      ),
    ),
  ];
}

describe('the input scalars read by recordSales', () => {
  it('DateTime accepts and refuses exactly what graphql-scalars does, with the same instants and messages', () => {
    for (const value of dateTimes()) {
      expect(outcome(DateTimeScalar, value), String(value)).toEqual(
        outcome(DateTimeResolver, value),
      );
    }
  });

  it('UUID accepts and refuses exactly what graphql-scalars does', () => {
    for (const value of uuids()) {
      expect(outcome(UUIDScalar, value), String(value)).toEqual(outcome(UUIDResolver, value));
    }
  });

  it('keeps the name, description and output of graphql-scalars', () => {
    for (const [ours, theirs] of [
      [DateTimeScalar, DateTimeResolver],
      [UUIDScalar, UUIDResolver],
    ] as const) {
      expect(ours.name).toBe(theirs.name);
      expect(ours.description).toBe(theirs.description);
      expect(ours.parseLiteral).toBe(theirs.parseLiteral);
    }
    expect(UUIDScalar.serialize).toBe(UUIDResolver.serialize);
    // DateTime writes the text JSON would write for graphql-scalars' Date: the same answer bytes,
    // whether an instant repeats the one written before it (a trend's groups of one bucket), a
    // different Date of that instant comes, or a text or an invalid Date comes between.
    const bucket = new Date('2024-03-31T01:30:00.123Z');
    const outputs = [
      bucket,
      bucket,
      new Date(bucket.getTime()),
      new Date(0),
      new Date(bucket.getTime()),
      '2024-02-29T23:59:59Z',
      new Date(Number.NaN),
      new Date(0),
      new Date(0),
      new Date(-8_640_000_000_000_000),
    ];
    const written = (scalar: GraphQLScalarType, value: unknown) => {
      try {
        return JSON.stringify(scalar.serialize(value));
      } catch (error) {
        return `refused: ${(error as Error).message}`;
      }
    };
    for (const value of outputs) {
      expect(written(DateTimeScalar, value), String(value)).toBe(written(DateTimeResolver, value));
    }
    expect(written(DateTimeScalar, new Date(Number.NaN))).toMatch(/^refused: /);
  });
});

describe('BigInt output', () => {
  it('serializes text sums as numbers while safe and as digit strings beyond, as exact BigInts do', () => {
    const texts = ['0', '-0', '7', '-42', '007', '123456789012345', '-999999999999999'];
    for (const digits of [15, 16, 17, 20]) {
      texts.push('9'.repeat(digits), `-${'9'.repeat(digits)}`);
    }
    texts.push(String(Number.MAX_SAFE_INTEGER), String(Number.MAX_SAFE_INTEGER + 2));
    for (const text of texts) {
      const exact = BigInt(text);
      const expected =
        exact <= BigInt(Number.MAX_SAFE_INTEGER) && exact >= BigInt(Number.MIN_SAFE_INTEGER)
          ? Number(exact)
          : exact.toString();
      expect(JSON.stringify(BigIntScalar.serialize(text)), text).toBe(JSON.stringify(expected));
      expect(JSON.stringify(BigIntScalar.serialize(exact)), text).toBe(JSON.stringify(expected));
    }
    expect(() => BigIntScalar.serialize('12a')).toThrow('BigInt must be a whole number');
  });
});
