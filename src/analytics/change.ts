import {
  MEASURE_NAMES,
  MEASURES,
  RATIO_SCALE,
  type MeasureName,
  type MeasureValues,
} from './measures.js';

/** Every measure's difference from a compared value, and that over the compared value. */
export type ChangeValues = MeasureValues & Record<`${MeasureName}Ratio`, string | null>;

/** An exact decimal as an integer of `scale` places and that scale ("12.50" is 1250n, 2). */
function exact(value: string | number): { n: bigint; scale: number } {
  const [whole = '0', fraction = ''] = String(value).replace('-', '').split('.');
  const n = BigInt(whole + fraction);
  return { n: String(value).startsWith('-') ? -n : n, scale: fraction.length };
}

function text(n: bigint, scale: number): string {
  const digits = (n < 0n ? -n : n).toString().padStart(scale + 1, '0');
  const sign = n < 0n ? '-' : '';
  return scale === 0
    ? `${sign}${digits}`
    : `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** `num / den` rounded half away from zero to `scale` places, as PostgreSQL's round() does. */
function ratio(num: bigint, den: bigint, scale: number): string {
  const negative = num < 0n !== den < 0n;
  const a = (num < 0n ? -num : num) * 10n ** BigInt(scale);
  const b = den < 0n ? -den : den;
  const q = (2n * a + b) / (2n * b);
  return text(negative ? -q : q, scale);
}

/**
 * The change of every measure from `then` to `now`, exactly: the difference (at the finer of
 * the two scales) and the difference over `then` (RATIO_SCALE places, null when `then` is 0).
 * Computed here rather than in SQL: the statement then returns each value once.
 */
export function changeOf(now: MeasureValues, then: MeasureValues): ChangeValues {
  const out: Record<string, string | number | null> = {};
  for (const name of MEASURE_NAMES) {
    const a = now[name];
    const b = then[name];
    if (a === null || b === null) {
      out[name] = null;
      out[`${name}Ratio`] = null;
      continue;
    }
    const x = exact(a);
    const y = exact(b);
    const scale = Math.max(x.scale, y.scale);
    const xn = x.n * 10n ** BigInt(scale - x.scale);
    const yn = y.n * 10n ** BigInt(scale - y.scale);
    const diff = xn - yn;
    out[name] = MEASURES[name].type === 'Int' ? Number(diff) : text(diff, scale);
    out[`${name}Ratio`] = yn === 0n ? null : ratio(diff, yn, RATIO_SCALE);
  }
  return out as ChangeValues;
}
