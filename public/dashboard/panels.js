// The panels of the dashboard, drawn from the API's answers. Every figure is written as text
// from the answer itself; charts are drawn beside tables that hold the same figures for the
// keyboard and for screen readers.

import { COMPARISONS, TILES } from './measures.js';
import {
  grouped,
  measureDifference,
  measureValue,
  percent,
  plotted,
  signedPercent,
  subtract,
} from './format.js';
import { bucketLabel, instantLabel } from './time.js';

/** Creates an element: props set attributes (class, text, on<event>, hidden…), then children. */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'text') element.textContent = value;
    else if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) element.append(child);
  }
  return element;
}

/**
 * An accessible table: a caption, column headers, a header cell per row (column `rowHeader`),
 * numbers right-aligned; in a focusable region so a keyboard can scroll it.
 */
export function dataTable({ caption, columns, rows, footer = [], rowHeader = 0, label = caption }) {
  const cell = (value, index, header) => {
    const column = columns[index];
    const tag = header || index === rowHeader ? 'th' : 'td';
    return h(
      tag,
      {
        scope: header ? 'col' : index === rowHeader ? 'row' : undefined,
        class: column.numeric ? 'num' : undefined,
        'data-column': column.key,
      },
      value ?? '—',
    );
  };
  const body = (list) =>
    list.map((row) =>
      h(
        'tr',
        {},
        row.map((v, i) => cell(v, i, false)),
      ),
    );
  return h(
    'div',
    { class: 'table-wrap', role: 'region', 'aria-label': label, tabindex: 0 },
    h(
      'table',
      {},
      h('caption', { text: caption }),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c, i) => cell(c.label, i, true)),
        ),
      ),
      h('tbody', {}, body(rows)),
      footer.length > 0 ? h('tfoot', {}, body(footer)) : null,
    ),
  );
}

/** A message in place of a panel's figures. */
export function notice(text, kind = 'info') {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : undefined, text });
}

function direction(difference) {
  if (difference === null || difference === undefined) return 'none';
  if (/^-/.test(difference)) return 'down';
  return /[1-9]/.test(difference) ? 'up' : 'flat';
}

const ARROWS = { up: '▲', down: '▼', flat: '■', none: '' };

/**
 * One comparison line of a tile: the difference, the relative change (when the API gives one)
 * and the base; `figures` the tile's value, its compared value and change, or null when the
 * comparison is missing.
 */
function comparisonLine(tile, comparison, figures, reason) {
  if (!figures) {
    return h(
      'dd',
      { 'data-compare': comparison.alias, class: 'none' },
      reason ?? 'not comparable (before the retention horizon)',
    );
  }
  const { compared, difference, ratio } = figures;
  const way = direction(difference);
  return h(
    'dd',
    { 'data-compare': comparison.alias, class: way },
    h('span', { class: 'arrow', 'aria-hidden': 'true', text: ARROWS[way] }),
    h('span', { class: 'difference', text: measureDifference(tile.kind, difference) }),
    tile.ratio
      ? [
          ' ',
          h('span', {
            class: 'ratio',
            text: ratio === null ? '(—)' : `(${signedPercent(ratio)})`,
          }),
        ]
      : null,
    ' ',
    h('span', { class: 'base', text: `from ${measureValue(tile.kind, compared)}` }),
  );
}

/**
 * The figures of a tile from DashboardKpis (`kpis`) and DashboardReceipts (`receipts`; its row
 * of `category` when one is chosen, as receipts are split by category then): its value, and
 * per comparison alias its compared value, difference and ratio (null when not comparable).
 */
function tileFigures(tile, kpis, receipts, category) {
  const totals = (alias) => kpis.data[alias].total;
  if (tile.source === 'sales') {
    const compare = (alias) => {
      const { compared, change } = totals(alias);
      return compared && change
        ? {
            compared: compared[tile.field],
            difference: change[tile.field],
            ratio: tile.ratio ? change[tile.ratio] : null,
          }
        : null;
    };
    return { value: totals('previousPeriod')[tile.field], compare };
  }
  const row = (alias) =>
    receipts.data[alias].find((r) => !category || r.category === category) ?? {
      receipts: 0,
      averageReceiptValue: null,
    };
  const value = row('current')[tile.field];
  // The receipts of a range ranking cannot compare (before the retention horizon) are not
  // compared either.
  const compare = (alias) => {
    if (!totals(alias).compared) return null;
    const compared = row(alias)[tile.field];
    return { compared, difference: subtract(value, compared), ratio: null };
  };
  return { value, compare };
}

/**
 * The KPI tiles from DashboardKpis and DashboardReceipts: each measure of TILES with each of
 * COMPARISONS.
 */
export function renderTiles(kpis, receipts, { category }) {
  // Why a comparison is missing (its span is older than the retention horizon), as the API says.
  const reason = kpis.extensions?.comparison?.reason;
  return h(
    'div',
    { class: 'tiles' },
    TILES.map((tile) => {
      const figures = tileFigures(tile, kpis, receipts, category);
      return h(
        'article',
        { class: 'tile', 'data-measure': tile.field, 'aria-label': tile.label },
        h('h3', { text: tile.label }),
        h('p', { class: 'value', text: measureValue(tile.kind, figures.value) }),
        h(
          'dl',
          {},
          COMPARISONS.map((comparison) => [
            h('dt', { text: comparison.label }),
            comparisonLine(tile, comparison, figures.compare(comparison.alias), reason),
          ]),
        ),
      );
    }),
  );
}

/**
 * The trend: a uPlot chart of the chosen measure with the previous year overlaid (the chart
 * is hidden from screen readers), and the table of every bucket beside it. `figures` as
 * trendFigures gives them; a retail bucket is named by its period's label.
 */
export function renderTrend(figures, { measure, granularity, zone }) {
  const { buckets } = figures;
  const chart = h('div', { class: 'chart', 'aria-hidden': 'true' });
  const table = dataTable({
    caption: `${measure.label} by ${granularity.label} in ${zone}, with ${granularity.compared}`,
    columns: [
      { key: 'bucket', label: granularity.heading },
      { key: 'value', label: measure.label, numeric: true },
      { key: 'previous', label: `${measure.label}, previous year`, numeric: true },
    ],
    rows: buckets.map((b) => [
      b.label ?? bucketLabel(b.bucket, granularity.value, zone),
      measureValue(measure.kind, b.value),
      measureValue(measure.kind, b.previous),
    ]),
  });
  const draw = () => {
    if (typeof uPlot !== 'function' || chart.clientWidth === 0) return;
    chart.replaceChildren();
    const xs = buckets.map((b) => Date.parse(b.bucket) / 1000);
    const current = buckets.map((b) => plotted(b.value));
    const previous = buckets.map((b) => plotted(b.previous));
    new uPlot(
      {
        width: chart.clientWidth,
        height: 260,
        tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), zone),
        scales: { x: { time: true } },
        // A rate's axis in percent, as its table shows it.
        axes: [
          {},
          measure.kind === 'rate'
            ? { size: 72, values: (_, splits) => splits.map((v) => `${(v * 100).toFixed(1)} %`) }
            : { size: 72 },
        ],
        series: [
          {},
          { label: measure.label, stroke: '#155e75', width: 2, fill: 'rgba(21,94,117,0.08)' },
          { label: `${measure.label}, previous year`, stroke: '#a16207', width: 2, dash: [6, 4] },
        ],
      },
      [xs, current, previous],
      chart,
    );
  };
  return { element: h('div', { class: 'with-table' }, chart, table), draw };
}

/** A bar per row for its share of the total (hidden from screen readers: the table says it). */
function shareBars(rows) {
  return h(
    'div',
    { class: 'bars', 'aria-hidden': 'true' },
    rows.map(({ name, share }) => {
      const bar = h('span', { class: 'bar' });
      bar.style.width = `${Math.max(0, Math.min(100, Number(share ?? 0) * 100))}%`;
      return h('div', { class: 'bar-row' }, h('span', { class: 'bar-name', text: name }), bar);
    }),
  );
}

/**
 * A ranking (products or stores) by `measure` with "Other" and the total, each with its share
 * when the measure has shares (a rate or an average has none); `figures` as rankingFigures
 * gives them.
 */
export function renderRanking(figures, { noun, measure }) {
  const named = figures.rows;
  const rest = figures.other ? [{ ...figures.other, rank: '—', name: 'Other' }] : [];
  const line = (row) => [
    row.rank,
    row.name,
    measureValue(measure.kind, row.value),
    ...(measure.share ? [row.share === null ? '—' : percent(row.share)] : []),
  ];
  const table = dataTable({
    caption: `Top ${named.length} ${noun} by ${measure.label.toLowerCase()}, with the rest and the total${figures.note ? `. ${figures.note}` : ''}`,
    columns: [
      { key: 'rank', label: 'Rank' },
      { key: 'name', label: noun === 'products' ? 'Product' : 'Store' },
      { key: 'value', label: measure.label, numeric: true },
      ...(measure.share
        ? [{ key: 'share', label: `Share of ${measure.label.toLowerCase()}`, numeric: true }]
        : []),
    ],
    rows: [...named, ...rest].map(line),
    rowHeader: 1,
    footer: [line({ ...figures.total, rank: '', name: 'Total' })],
  });
  if (!measure.share) return table;
  const bars = shareBars([...named, ...rest]);
  return h('div', { class: 'with-table' }, bars, table);
}

/** Positions below their reorder point (of the chosen category, when one is chosen). */
export function renderBelowReorder(answer, { category }) {
  const positions = answer.data.latestInventory.edges
    .map((e) => e.node)
    .filter((p) => !category || p.product.category === category);
  if (positions.length === 0) return notice('No position is below its reorder point.');
  return dataTable({
    caption: `${positions.length} positions below their reorder point`,
    columns: [
      { key: 'position', label: 'Store · product' },
      { key: 'category', label: 'Category' },
      { key: 'available', label: 'Available', numeric: true },
      { key: 'reorderPoint', label: 'Reorder point', numeric: true },
      { key: 'reorderQuantity', label: 'Reorder quantity', numeric: true },
      { key: 'daysOfCover', label: 'Days of cover', numeric: true },
    ],
    rows: positions.map((p) => [
      `${p.store.code} ${p.store.name} · ${p.product.sku} ${p.product.name}`,
      p.product.category,
      grouped(p.available),
      p.reorderPoint === null ? '—' : grouped(p.reorderPoint),
      p.reorderQuantity === null ? '—' : grouped(p.reorderQuantity),
      p.daysOfCover === null ? '—' : p.daysOfCover.toFixed(1),
    ]),
  });
}

/** The open alerts, newest first; a raised alert replaces its earlier row (same id). */
export function alertRows(alerts, zone) {
  return alerts.map((a) => [
    instantLabel(a.updatedAt, zone),
    a.severity,
    a.type,
    `${a.store.code} · ${a.product.sku}`,
    a.message,
    grouped(a.occurrences),
  ]);
}

/** The alerts table. */
export function renderAlerts(alerts, zone) {
  if (alerts.length === 0) return notice('No open alert.');
  return dataTable({
    caption: `${alerts.length} open alerts, newest first`,
    columns: [
      { key: 'time', label: 'Raised' },
      { key: 'severity', label: 'Severity' },
      { key: 'type', label: 'Type' },
      { key: 'position', label: 'Store · product' },
      { key: 'message', label: 'Message' },
      { key: 'occurrences', label: 'Occurrences', numeric: true },
    ],
    rows: alertRows(alerts, zone),
  });
}
