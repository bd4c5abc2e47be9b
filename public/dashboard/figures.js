// The figures of the trend and the rankings for the chosen measure, from the API's answers:
// one shape whichever document answers (the sales measures' or the receipts'), so the panels
// draw them alike. Every value is the API's own text; the only figures made here are the
// receipt rankings' order and shares (receipts ÷ all receipts, computed on the digits).

import { compareDecimals, shareOf } from './format.js';

/** A retail period's label for the fiscal year before: "FY2026 P03 W2" → "FY2025 P03 W2". */
export const labelYearBefore = (label) =>
  label.replace(/^FY(\d+)/, (_, year) => `FY${Number(year) - 1}`);

/**
 * Bucket instant (ms) → label of the retail periods of `range` (DashboardPeriods), or an empty
 * map for calendar buckets, which have no labels.
 */
async function periodLabels(run, range, granularity, zone) {
  if (!granularity.periods) return new Map();
  const answer = await run('DashboardPeriods', {
    range,
    granularity: granularity.periods,
    timeZone: zone,
  });
  return new Map(answer.data.calendar.map((p) => [Date.parse(p.start), p.label]));
}

/**
 * The trend of `measure` with the previous year: `{ buckets: [{ bucket, label, value,
 * previous }] }`, `label` the retail period's (null for calendar buckets), `previous` null
 * when the bucket has nothing to compare with. `run(name, variables)` asks the API.
 */
export async function trendFigures(run, { scope, measure, granularity, zone }) {
  const variables = { ...scope, granularity: granularity.value, timeZone: zone };
  const [trend, labelOf] = await Promise.all([
    run('DashboardTrend', { ...variables, compareTo: granularity.compareTo }),
    periodLabels(run, scope.range, granularity, zone),
  ]);
  const labelled = (b) => labelOf.get(Date.parse(b.bucket)) ?? null;
  if (measure.source === 'sales') {
    return {
      buckets: trend.data.salesTrend.map((b) => ({
        bucket: b.bucket,
        label: labelled(b),
        value: b[measure.field],
        previous: b.compared ? b.compared[measure.field] : null,
      })),
    };
  }
  // Receipts: the same buckets over the range the trend was compared with, matched by
  // position (calendar buckets move back whole) or by the retail period's label.
  const { comparedRange } = trend.extensions.comparison;
  const [receipts, comparedLabel] = await Promise.all([
    run('DashboardReceiptTrend', { ...variables, comparedRange }),
    periodLabels(run, comparedRange, granularity, zone),
  ]);
  const { current, compared } = receipts.data;
  const byLabel = new Map(compared.map((b) => [comparedLabel.get(Date.parse(b.bucket)), b]));
  const figure = (b) => (b?.baskets ? b.baskets[measure.field] : null);
  return {
    buckets: current.map((b, i) => {
      const label = labelled(b);
      return {
        bucket: b.bucket,
        label,
        value: figure(b),
        previous: figure(label ? byLabel.get(labelYearBefore(label)) : compared[i]),
      };
    }),
  };
}

/**
 * A ranking's figures: `{ rows: [{ rank, name, value, share }], other, total, note }`, `share`
 * undefined for a measure without shares.
 */
function salesRanking(ranking, measure, nameOf) {
  const line = (row) => ({
    value: row[measure.field],
    share: measure.share ? row.share : undefined,
  });
  return {
    rows: ranking.rows.map((row) => ({ rank: String(row.rank), name: nameOf(row), ...line(row) })),
    other: ranking.other ? line(ranking.other) : null,
    total: line(ranking.total),
  };
}

/** The SKUs of a category's products, every page of them. */
async function categorySkus(run, category) {
  const skus = [];
  let after = null;
  for (;;) {
    const page = await run('DashboardCategoryProducts', { category, after });
    skus.push(...page.data.products.edges.map((e) => e.node.sku));
    if (!page.data.products.pageInfo.hasNextPage) return skus;
    after = page.data.products.pageInfo.endCursor;
  }
}

/**
 * Receipt rows ranked by `field`, highest first (no receipts, no average: last), ties by key:
 * the first `top` and the keys of the rest.
 */
function ranked(rows, field, keyOf, top) {
  const byKey = (a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0);
  const order = [...rows].sort((a, b) => compareDecimals(b[field], a[field]) || byKey(a, b));
  return { first: order.slice(0, top), rest: order.slice(top).map(keyOf) };
}

/**
 * The receipt rankings of products and stores: each key's receipts and average receipt value
 * from the API, ranked here; "Other" asked of the API for the keys below the first ones.
 */
async function receiptRankings(run, { scope, measure, top, category }) {
  const skus = category ? await categorySkus(run, category) : null;
  const base = { range: scope.range, storeCodes: scope.storeCodes, skus };
  const answer = await run('DashboardReceiptRanking', base);
  const products = ranked(answer.data.products, measure.field, (r) => r.product.sku, top);
  const stores = ranked(answer.data.stores, measure.field, (r) => r.store.code, top);
  const other = await run('DashboardReceiptOther', {
    ...base,
    otherSkus: products.rest,
    otherStoreCodes: stores.rest,
  });
  const [total] = answer.data.total;
  const line = (row) => ({
    value: row?.[measure.field] ?? null,
    share: measure.share ? shareOf(row?.receipts ?? 0, total?.receipts ?? 0) : undefined,
  });
  const ranking = (found, nameOf, otherRow) => ({
    rows: found.first.map((row, i) => ({ rank: String(i + 1), name: nameOf(row), ...line(row) })),
    other: line(otherRow),
    total: line(total),
  });
  return {
    products: {
      ...ranking(products, (r) => `${r.product.sku} ${r.product.name}`, other.data.products[0]),
      note: 'A product’s receipts are the receipts containing it: they overlap, so products’ receipts and shares do not add up to the total.',
    },
    stores: ranking(stores, (r) => `${r.store.code} ${r.store.name}`, other.data.stores[0]),
  };
}

/** The top products and stores by `measure`, with "Other" and the total. */
export async function rankingFigures(run, { scope, measure, top, category }) {
  if (measure.source === 'receipts') {
    return receiptRankings(run, { scope, measure, top, category });
  }
  const answer = await run('DashboardRankings', { ...scope, by: measure.rankBy, first: top });
  return {
    products: salesRanking(
      answer.data.products,
      measure,
      (r) => `${r.product.sku} ${r.product.name}`,
    ),
    stores: salesRanking(answer.data.stores, measure, (r) => `${r.store.code} ${r.store.name}`),
  };
}
