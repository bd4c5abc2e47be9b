// Numbers as the API gives them: decimals and big integers arrive as strings and are shown
// from those strings, never through floating point, so every figure shown is the API's own.

/** Groups the integer part in threes: "1234567.50" → "1,234,567.50"; "-1200" → "-1,200". */
export function grouped(decimal) {
  const text = String(decimal);
  const sign = text.startsWith('-') ? '-' : '';
  const [whole, fraction] = text.replace(/^[-+]/, '').split('.');
  const digits = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${digits}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** A difference with its sign: "+1,200.50", "-3", "0". */
export function signed(decimal) {
  const text = grouped(decimal);
  return /^[1-9]|^0\.\d*[1-9]/.test(text) ? `+${text}` : text;
}

/**
 * The exact difference of two decimals, computed on the digits (null when either is null), in
 * the larger of their scales: ("12.50", "10.125") → "2.375".
 */
export function subtract(a, b) {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  const scale = Math.max(...[a, b].map((d) => (String(d).split('.')[1] ?? '').length));
  const scaled = (d) => {
    const [whole, fraction = ''] = String(d).split('.');
    const digits = BigInt(`${whole.replace('-', '')}${fraction.padEnd(scale, '0')}`);
    return whole.startsWith('-') ? -digits : digits;
  };
  const difference = scaled(a) - scaled(b);
  const magnitude = (difference < 0n ? -difference : difference)
    .toString()
    .padStart(scale + 1, '0');
  const text = scale > 0 ? `${magnitude.slice(0, -scale)}.${magnitude.slice(-scale)}` : magnitude;
  return `${difference < 0n ? '-' : ''}${text}`;
}

/**
 * The order of two decimals, computed on the digits: negative when a < b, 0 when equal,
 * positive when a > b; null (no figure) comes before every number.
 */
export function compareDecimals(a, b) {
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1;
  if (b === null || b === undefined) return 1;
  const difference = subtract(a, b);
  return difference.startsWith('-') ? -1 : /[1-9]/.test(difference) ? 1 : 0;
}

/**
 * `part` ÷ `whole` (integers) as the API writes a share: rounded half-up to 6 places, "0.250000";
 * null when `whole` is 0.
 */
export function shareOf(part, whole) {
  const total = BigInt(whole);
  if (total === 0n) return null;
  const millionths = (BigInt(part) * 2_000_000n + total) / (2n * total);
  const digits = millionths.toString().padStart(7, '0');
  return `${digits.slice(0, -6)}.${digits.slice(-6)}`;
}

/**
 * A ratio (a decimal string: 0.1234 is 12.34 %) as a percentage rounded half away from zero to
 * `places` decimals, computed on the digits: "0.123456" → "12.3 %".
 */
export function percent(ratio, places = 1) {
  const text = String(ratio);
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = text.replace(/^[-+]/, '').split('.');
  const padded = fraction.padEnd(places + 3, '0');
  const scaled = BigInt(`${whole}${padded.slice(0, places + 2)}`);
  const rounded = scaled + (Number(padded[places + 2]) >= 5 ? 1n : 0n);
  const digits = rounded.toString().padStart(places + 1, '0');
  const shown = places > 0 ? `${digits.slice(0, -places)}.${digits.slice(-places)}` : digits;
  return `${negative && rounded !== 0n ? '-' : ''}${grouped(shown)} %`;
}

/** A change ratio with its sign: "+12.3 %", "-4.0 %". */
export function signedPercent(ratio) {
  const text = percent(ratio);
  return /^[1-9]|^0\.\d*[1-9]/.test(text) ? `+${text}` : text;
}

/** A measure's value in its kind: money and counts grouped, rates as percentages. */
export function measureValue(kind, value) {
  if (value === null || value === undefined) return '—';
  return kind === 'rate' ? percent(value) : grouped(value);
}

/** A measure's difference in its kind: rates in percentage points. */
export function measureDifference(kind, value) {
  if (value === null || value === undefined) return '—';
  return kind === 'rate' ? `${signedPercent(value).replace(' %', '')} pp` : signed(value);
}

/** A JavaScript number for a chart (charts plot; tables and tiles show the exact text). */
export function plotted(decimal) {
  return decimal === null || decimal === undefined ? null : Number(decimal);
}
