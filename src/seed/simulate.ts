import { openingHours, type SeedProduct, type SeedStore } from './catalog.js';
import { Random, stableUuid } from './random.js';

const DAY_MS = 86_400_000;
/** Demand multipliers by local weekday, Sunday first. */
const WEEKDAY_FACTOR = [0.9, 0.85, 0.85, 0.9, 0.97, 1.18, 1.35];
/** Stock snapshots of closed days are taken at 08:00 local time. */
const CLOSED_SNAPSHOT_MINUTE = 8 * 60;
/** Days of sales before the end that get forecasts, and days after it. */
const FORECAST_PAST_DAYS = 14;
const FORECAST_FUTURE_DAYS = 14;
/** Resolved alerts are kept for this many trailing days. */
const ALERT_HISTORY_DAYS = 60;
export const FORECAST_MODEL_VERSION = 'demand-ets-1.4.0';

/** Sale lines for a batch of store/product/days: one entry per day with sales. */
export interface SalesBatch {
  store: number[];
  product: number[];
  day: number[];
  units: number[];
  lines: number[];
  priceCents: number[];
  openMinute: number[];
  openMinutes: number[];
}

/** Opening stock snapshots for a batch of store/product/days. */
export interface StockBatch {
  store: number[];
  product: number[];
  day: number[];
  onHand: number[];
  allocated: number[];
  minute: number[];
}

export interface ForecastBatch {
  store: number[];
  product: number[];
  day: number[];
  unitsCents: number[];
  lowerCents: number[];
  upperCents: number[];
}

/** A row for a lifecycle table, positioned by day index and local minute. */
export interface ReorderPointRecord {
  id: string;
  store: number;
  product: number;
  reorderPoint: number;
  reorderQuantity: number;
  fromDay: number;
  toDay: number | null;
}

export interface AlertRecord {
  id: string;
  store: number;
  product: number;
  type: 'STOCKOUT' | 'LOW_STOCK' | 'SALES_SPIKE';
  severity: 'INFO' | 'WARNING' | 'CRITICAL';
  status: 'OPEN' | 'ACKNOWLEDGED' | 'RESOLVED';
  message: string;
  occurrences: number;
  createdDay: number;
  createdMinute: number;
  updatedDay: number;
  acknowledgedDay: number | null;
  resolvedDay: number | null;
  note: string | null;
}

export interface AnomalyRecord {
  id: string;
  store: number;
  product: number;
  kind: 'SALES_SPIKE' | 'SALES_DROP' | 'STOCK_MISMATCH' | 'PRICE_OUTLIER';
  day: number;
  minute: number;
  score: number;
  metadata: Record<string, unknown>;
}

/** A batch the simulation hands to the writer while it runs. */
export type SimulationBatch =
  { kind: 'sales'; batch: SalesBatch } | { kind: 'stock'; batch: StockBatch };

export interface SimulationResult {
  reorderPoints: ReorderPointRecord[];
  alerts: AlertRecord[];
  anomalies: AnomalyRecord[];
  forecasts: ForecastBatch[];
}

function emptySales(): SalesBatch {
  return {
    store: [],
    product: [],
    day: [],
    units: [],
    lines: [],
    priceCents: [],
    openMinute: [],
    openMinutes: [],
  };
}

function emptyStock(): StockBatch {
  return { store: [], product: [], day: [], onHand: [], allocated: [], minute: [] };
}

/** Formats a day index as its calendar date. */
export function dayDate(startMs: number, day: number): string {
  return new Date(startMs + day * DAY_MS).toISOString().slice(0, 10);
}

function dayOfYear(ms: number): number {
  const date = new Date(ms);
  return Math.floor((ms - Date.UTC(date.getUTCFullYear(), 0, 1)) / DAY_MS) + 1;
}

/** Christmas shopping and the closed holiday itself, for physical stores. */
function holidayFactor(ms: number, online: boolean): number {
  const date = new Date(ms);
  if (date.getUTCMonth() !== 11) return 1;
  const day = date.getUTCDate();
  if (day === 25) return online ? 0.6 : 0.1;
  if (day >= 15 && day <= 23) return 1.35;
  if (day === 24) return 1.5;
  return 1;
}

/**
 * Simulates a tenant's shelves day by day: demand with weekly and yearly seasonality, store
 * size, promotions and local events; sales capped by stock (stockouts); replenishment orders
 * placed when stock falls below the reorder point and delivered after a lead time. Everything
 * drawn from one seeded stream, so a seed always yields the same rows.
 */
export function* simulateTenant(options: {
  seed: number;
  customerId: string;
  stores: SeedStore[];
  products: SeedProduct[];
  startMs: number;
  days: number;
  batchRows: number;
}): Generator<SimulationBatch, SimulationResult> {
  const { seed, customerId, stores, products, startMs, days } = options;
  const random = new Random(seed, customerId, 'simulation');
  const storeCount = stores.length;
  const productCount = products.length;
  const pairs = storeCount * productCount;
  const idKey = (kind: string, n: number) => stableUuid(seed, customerId, kind, n);

  // Chain-wide promotions: a week at a time, a price cut with a volume lift.
  const promoCut = products.map(() => new Uint8Array(days));
  products.forEach((_, p) => {
    for (let week = 0; week * 7 < days; week += 1) {
      if (!random.chance(0.07)) continue;
      const cut = random.pick([10, 15, 20, 25, 30, 40]);
      const from = week * 7 + random.int(0, 3);
      for (let d = from; d < Math.min(days, from + 7); d += 1) (promoCut[p] as Uint8Array)[d] = cut;
    }
  });

  const onHand = new Int32Array(pairs);
  const arrivalDay = new Int32Array(pairs).fill(-1);
  const arrivalQty = new Int32Array(pairs);
  const reorderPoint = new Int32Array(pairs);
  const previousReorderPoint = new Int32Array(pairs);
  const changeDay = new Int32Array(pairs);
  const reorderQty = new Int32Array(pairs);
  const leadDays = new Int32Array(pairs);
  const stockoutSince = new Int32Array(pairs).fill(-1);
  const reorderPoints: ReorderPointRecord[] = [];
  const alerts: AlertRecord[] = [];
  const anomalies: AnomalyRecord[] = [];
  const openSpike = new Set<number>();

  for (let s = 0; s < storeCount; s += 1) {
    const store = stores[s] as SeedStore;
    for (let p = 0; p < productCount; p += 1) {
      const product = products[p] as SeedProduct;
      const i = s * productCount + p;
      const daily = product.baseDemand * store.sizeFactor;
      leadDays[i] = random.int(1, 3);
      // Some shelves are planned tight, so promotions and events run them dry.
      const cover = random.pick([0.8, 1, 1.3, 1.6, 2]);
      reorderPoint[i] = Math.max(1, Math.ceil(daily * (leadDays[i] + cover)));
      reorderQty[i] = Math.max(6, Math.ceil(daily * random.int(5, 12)));
      onHand[i] = reorderPoint[i] + random.int(0, reorderQty[i]);
      // A third of the shelves had their reorder point changed during the period.
      if (days > 10 && random.chance(0.35)) {
        changeDay[i] = random.int(Math.floor(days / 4), days - 2);
        previousReorderPoint[i] = Math.max(1, Math.round(reorderPoint[i] * random.real(0.5, 0.9)));
        reorderPoints.push({
          id: idKey('reorder-point', reorderPoints.length),
          store: s,
          product: p,
          reorderPoint: previousReorderPoint[i],
          reorderQuantity: reorderQty[i],
          fromDay: -90,
          toDay: changeDay[i],
        });
      } else {
        changeDay[i] = -90;
        previousReorderPoint[i] = reorderPoint[i];
      }
      reorderPoints.push({
        id: idKey('reorder-point', reorderPoints.length),
        store: s,
        product: p,
        reorderPoint: reorderPoint[i],
        reorderQuantity: reorderQty[i],
        fromDay: changeDay[i],
        toDay: null,
      });
    }
  }

  let sales = emptySales();
  let stock = emptyStock();
  function* flush(force: boolean): Generator<SimulationBatch> {
    if (sales.store.length > 0 && (force || sales.store.length >= options.batchRows)) {
      yield { kind: 'sales', batch: sales };
      sales = emptySales();
    }
    if (stock.store.length > 0 && (force || stock.store.length >= options.batchRows)) {
      yield { kind: 'stock', batch: stock };
      stock = emptyStock();
    }
  }

  for (let d = 0; d < days; d += 1) {
    const ms = startMs + d * DAY_MS;
    const weekday = new Date(ms).getUTCDay();
    const doy = dayOfYear(ms);
    for (let s = 0; s < storeCount; s += 1) {
      const store = stores[s] as SeedStore;
      const hours = openingHours(store, weekday);
      const online = store.sizeSqm === null;
      const storeFactor =
        store.sizeFactor * (WEEKDAY_FACTOR[weekday] ?? 1) * holidayFactor(ms, online);
      const openMinute = hours ? hours[0] : CLOSED_SNAPSHOT_MINUTE;
      for (let p = 0; p < productCount; p += 1) {
        const product = products[p] as SeedProduct;
        const i = s * productCount + p;
        if (arrivalDay[i] === d) {
          onHand[i] = (onHand[i] as number) + (arrivalQty[i] as number);
          arrivalDay[i] = -1;
          const since = stockoutSince[i] as number;
          if (since >= 0) {
            if (days - d <= ALERT_HISTORY_DAYS) {
              alerts.push({
                id: idKey('alert', alerts.length),
                store: s,
                product: p,
                type: 'STOCKOUT',
                severity: 'CRITICAL',
                status: 'RESOLVED',
                message: `${product.name} (${product.sku}) sold out at ${store.code}`,
                occurrences: d - since,
                createdDay: since,
                createdMinute: openMinute + 60,
                updatedDay: d,
                acknowledgedDay: since,
                resolvedDay: d,
                note: `Replenished: ${arrivalQty[i]} units received`,
              });
            }
            if (d - since >= 3) {
              anomalies.push({
                id: idKey('anomaly', anomalies.length),
                store: s,
                product: p,
                kind: 'SALES_DROP',
                day: since + 2,
                minute: 23 * 60,
                score: -Math.min(99, 2 + (d - since) / 2),
                metadata: {
                  detector: 'seasonal-poisson',
                  reason: 'stockout',
                  daysWithoutSales: d - since,
                  observed: 0,
                },
              });
            }
            stockoutSince[i] = -1;
          }
        }
        const level = onHand[i] as number;
        const allocated =
          level > 0 && random.chance(0.12) ? random.int(1, Math.max(1, Math.floor(level / 8))) : 0;
        stock.store.push(s + 1);
        stock.product.push(p + 1);
        stock.day.push(d);
        stock.onHand.push(level);
        stock.allocated.push(allocated);
        stock.minute.push(openMinute);
        if (!hours) continue;

        const cut = (promoCut[p] as Uint8Array)[d] ?? 0;
        const seasonal =
          1 + product.amplitude * Math.cos((2 * Math.PI * (doy - product.peakDay)) / 365);
        const mean = product.baseDemand * storeFactor * seasonal * (1 + cut / 20);
        const event = random.chance(0.0015) ? random.real(3, 5) : 1;
        const demand = random.poisson(mean * event);
        const sold = Math.min(demand, level);
        onHand[i] = level - sold;
        if (sold > 0) {
          sales.store.push(s + 1);
          sales.product.push(p + 1);
          sales.day.push(d);
          sales.units.push(sold);
          sales.lines.push(Math.ceil(sold / product.lineSize));
          sales.priceCents.push(Math.round((product.priceCents * (100 - cut)) / 100));
          sales.openMinute.push(hours[0]);
          sales.openMinutes.push(hours[1] - hours[0]);
        }
        if (event > 1 && sold >= Math.max(4, 2.5 * mean)) {
          const z = (sold - mean) / Math.sqrt(Math.max(mean, 0.25));
          anomalies.push({
            id: idKey('anomaly', anomalies.length),
            store: s,
            product: p,
            kind: 'SALES_SPIKE',
            day: d,
            minute: hours[1] - 1,
            score: Math.min(9_999, Math.round(z * 1000) / 1000),
            metadata: {
              detector: 'seasonal-poisson',
              expected: Math.round(mean * 100) / 100,
              observed: sold,
              promotion: cut > 0,
              window: '28d',
            },
          });
          if (days - d <= 30) {
            const open = days - d <= 3 && !openSpike.has(i);
            if (open) openSpike.add(i);
            alerts.push({
              id: idKey('alert', alerts.length),
              store: s,
              product: p,
              type: 'SALES_SPIKE',
              severity: 'INFO',
              status: open ? 'OPEN' : 'RESOLVED',
              message: `${product.name} sold ${sold} units at ${store.code}, about ${Math.round(mean * 10) / 10} expected`,
              occurrences: 1,
              createdDay: d,
              createdMinute: hours[1] - 1,
              updatedDay: open ? d : Math.min(days - 1, d + 1),
              acknowledgedDay: null,
              resolvedDay: open ? null : Math.min(days - 1, d + 1),
              note: open ? null : 'One-off local demand',
            });
          }
        }
        if (cut >= 40 && s === 0 && (d === 0 || (promoCut[p] as Uint8Array)[d - 1] !== cut)) {
          anomalies.push({
            id: idKey('anomaly', anomalies.length),
            store: s,
            product: p,
            kind: 'PRICE_OUTLIER',
            day: d,
            minute: hours[0],
            score: cut / 10,
            metadata: {
              detector: 'price-band',
              listPrice: (product.priceCents / 100).toFixed(2),
              salePrice: (Math.round((product.priceCents * (100 - cut)) / 100) / 100).toFixed(2),
              discountPercent: cut,
            },
          });
        }
        if (random.chance(0.0004)) {
          const counted = Math.max(0, (onHand[i] as number) - random.int(1, 6));
          anomalies.push({
            id: idKey('anomaly', anomalies.length),
            store: s,
            product: p,
            kind: 'STOCK_MISMATCH',
            day: d,
            minute: hours[1] - 1,
            score: Math.round(((onHand[i] as number) - counted) * 100) / 100,
            metadata: {
              detector: 'cycle-count',
              expected: onHand[i],
              counted,
              delta: counted - (onHand[i] as number),
            },
          });
        }
        if (onHand[i] === 0 && demand > sold && stockoutSince[i] === -1) stockoutSince[i] = d;
        const threshold = d < (changeDay[i] as number) ? previousReorderPoint[i] : reorderPoint[i];
        if ((onHand[i] as number) < (threshold as number) && arrivalDay[i] === -1) {
          // Now and then a supplier is late.
          arrivalDay[i] = d + (leadDays[i] as number) + (random.chance(0.05) ? 2 : 0);
          arrivalQty[i] = reorderQty[i] as number;
        }
      }
    }
    yield* flush(false);
  }
  yield* flush(true);

  for (let s = 0; s < storeCount; s += 1) {
    const store = stores[s] as SeedStore;
    for (let p = 0; p < productCount; p += 1) {
      const product = products[p] as SeedProduct;
      const i = s * productCount + p;
      const since = stockoutSince[i] as number;
      const acknowledged = random.chance(0.4);
      if (since >= 0) {
        alerts.push({
          id: idKey('alert', alerts.length),
          store: s,
          product: p,
          type: 'STOCKOUT',
          severity: 'CRITICAL',
          status: acknowledged ? 'ACKNOWLEDGED' : 'OPEN',
          message: `${product.name} (${product.sku}) sold out at ${store.code}`,
          occurrences: days - since,
          createdDay: since,
          createdMinute: 12 * 60,
          updatedDay: days - 1,
          acknowledgedDay: acknowledged ? Math.min(days - 1, since + 1) : null,
          resolvedDay: null,
          note: null,
        });
      } else if ((onHand[i] as number) < (reorderPoint[i] as number)) {
        alerts.push({
          id: idKey('alert', alerts.length),
          store: s,
          product: p,
          type: 'LOW_STOCK',
          severity: 'WARNING',
          status: acknowledged ? 'ACKNOWLEDGED' : 'OPEN',
          message: `${product.name} (${product.sku}) at ${store.code}: ${onHand[i]} on hand, reorder point ${reorderPoint[i]}`,
          occurrences: 1,
          createdDay: days - 1,
          createdMinute: 12 * 60,
          updatedDay: days - 1,
          acknowledgedDay: acknowledged ? days - 1 : null,
          resolvedDay: null,
          note: null,
        });
      }
    }
  }

  return {
    reorderPoints,
    alerts,
    anomalies,
    forecasts: forecastBatches(stores, products, startMs, days, options.batchRows),
  };
}

/** Daily forecasts around the end of the period: the expected demand with a 90 % band. */
function forecastBatches(
  stores: SeedStore[],
  products: SeedProduct[],
  startMs: number,
  days: number,
  batchRows: number,
): ForecastBatch[] {
  const batches: ForecastBatch[] = [];
  let batch: ForecastBatch = {
    store: [],
    product: [],
    day: [],
    unitsCents: [],
    lowerCents: [],
    upperCents: [],
  };
  const from = Math.max(0, days - FORECAST_PAST_DAYS);
  for (let d = from; d < days + FORECAST_FUTURE_DAYS; d += 1) {
    const ms = startMs + d * DAY_MS;
    const weekday = new Date(ms).getUTCDay();
    const seasonalDay = dayOfYear(ms);
    stores.forEach((store, s) => {
      const closed = openingHours(store, weekday) === null;
      const storeFactor =
        store.sizeFactor *
        (WEEKDAY_FACTOR[weekday] ?? 1) *
        holidayFactor(ms, store.sizeSqm === null);
      products.forEach((product, p) => {
        const seasonal =
          1 + product.amplitude * Math.cos((2 * Math.PI * (seasonalDay - product.peakDay)) / 365);
        const mean = closed ? 0 : product.baseDemand * storeFactor * seasonal;
        const units = Math.round(mean * 100);
        const spread = Math.round(1.645 * Math.sqrt(mean) * 100);
        batch.store.push(s + 1);
        batch.product.push(p + 1);
        batch.day.push(d);
        batch.unitsCents.push(units);
        batch.lowerCents.push(Math.max(0, units - spread));
        batch.upperCents.push(units + spread);
        if (batch.store.length >= batchRows) {
          batches.push(batch);
          batch = {
            store: [],
            product: [],
            day: [],
            unitsCents: [],
            lowerCents: [],
            upperCents: [],
          };
        }
      });
    });
  }
  if (batch.store.length > 0) batches.push(batch);
  return batches;
}
