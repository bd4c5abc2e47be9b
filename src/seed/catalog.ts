import { Random, stableUuid } from './random.js';

/** Opening hours in local time, in minutes after midnight; null = closed that day. */
interface Hours {
  weekday: readonly [number, number];
  saturday: readonly [number, number];
  sunday: readonly [number, number] | null;
}

interface Region {
  name: string;
  timeZone: string;
  cities: readonly string[];
  code: string;
  hours: Hours;
}

const h = (open: number, close: number) => [open * 60, close * 60] as const;

const REGIONS: readonly Region[] = [
  {
    name: 'DACH',
    timeZone: 'Europe/Berlin',
    code: 'DE',
    cities: ['Berlin', 'Hamburg', 'Munich', 'Cologne', 'Leipzig'],
    // Shops in Germany are closed on Sundays.
    hours: { weekday: h(8, 20), saturday: h(8, 20), sunday: null },
  },
  {
    name: 'UK',
    timeZone: 'Europe/London',
    code: 'UK',
    cities: ['London', 'Manchester', 'Leeds', 'Bristol'],
    hours: { weekday: h(7, 22), saturday: h(7, 22), sunday: h(10, 16) },
  },
  {
    name: 'US East',
    timeZone: 'America/New_York',
    code: 'USE',
    cities: ['New York', 'Boston', 'Philadelphia', 'Atlanta'],
    hours: { weekday: h(7, 22), saturday: h(8, 22), sunday: h(9, 20) },
  },
  {
    name: 'US West',
    timeZone: 'America/Los_Angeles',
    code: 'USW',
    cities: ['Los Angeles', 'Seattle', 'San Diego', 'Portland'],
    hours: { weekday: h(7, 21), saturday: h(8, 21), sunday: h(9, 19) },
  },
  {
    name: 'India',
    timeZone: 'Asia/Kolkata',
    code: 'IN',
    cities: ['Mumbai', 'Bengaluru', 'Delhi', 'Pune'],
    hours: { weekday: h(9, 21), saturday: h(9, 22), sunday: h(10, 21) },
  },
];

const ONLINE: Region = {
  name: 'Online',
  timeZone: 'UTC',
  code: 'WEB',
  cities: ['Web'],
  hours: { weekday: h(0, 24), saturday: h(0, 24), sunday: h(0, 24) },
};

const FORMATS = [
  { name: 'Express', sizeSqm: [250, 600] },
  { name: 'Market', sizeSqm: [800, 2_200] },
  { name: 'Superstore', sizeSqm: [3_000, 7_500] },
] as const;

/** A product category: price range in cents, yearly demand peak, how goods sell per line. */
interface Category {
  name: string;
  prefix: string;
  priceCents: readonly [number, number];
  /** Day of year with the highest demand and the size of the yearly swing (0 = flat). */
  peakDay: number;
  amplitude: number;
  items: readonly string[];
}

const CATEGORIES: readonly Category[] = [
  {
    name: 'Dairy',
    prefix: 'DAI',
    priceCents: [89, 549],
    peakDay: 20,
    amplitude: 0.05,
    items: ['Whole Milk 1L', 'Greek Yogurt', 'Cheddar', 'Butter 250g', 'Skyr', 'Cream Cheese'],
  },
  {
    name: 'Bakery',
    prefix: 'BAK',
    priceCents: [99, 649],
    peakDay: 350,
    amplitude: 0.1,
    items: ['Sourdough Loaf', 'Croissant', 'Rye Bread', 'Bagels 4-pack', 'Muffin', 'Baguette'],
  },
  {
    name: 'Produce',
    prefix: 'PRO',
    priceCents: [49, 699],
    peakDay: 190,
    amplitude: 0.25,
    items: ['Bananas', 'Strawberries', 'Tomatoes', 'Avocado', 'Apples 1kg', 'Baby Spinach'],
  },
  {
    name: 'Beverages',
    prefix: 'BEV',
    priceCents: [79, 1_999],
    peakDay: 200,
    amplitude: 0.35,
    items: ['Sparkling Water', 'Orange Juice', 'Cold Brew', 'Cola 6-pack', 'Iced Tea', 'Lager'],
  },
  {
    name: 'Snacks',
    prefix: 'SNK',
    priceCents: [99, 499],
    peakDay: 355,
    amplitude: 0.3,
    items: ['Sea Salt Chips', 'Dark Chocolate', 'Trail Mix', 'Pretzels', 'Popcorn', 'Cookies'],
  },
  {
    name: 'Frozen',
    prefix: 'FRZ',
    priceCents: [199, 1_299],
    peakDay: 210,
    amplitude: 0.3,
    items: ['Ice Cream', 'Frozen Pizza', 'Peas 1kg', 'Fish Fingers', 'Dumplings', 'Berries Mix'],
  },
  {
    name: 'Household',
    prefix: 'HSH',
    priceCents: [149, 1_999],
    peakDay: 90,
    amplitude: 0.08,
    items: ['Dish Soap', 'Paper Towels', 'Laundry Pods', 'Trash Bags', 'Sponges', 'Foil'],
  },
  {
    name: 'Personal Care',
    prefix: 'PCR',
    priceCents: [199, 2_499],
    peakDay: 330,
    amplitude: 0.12,
    items: ['Shampoo', 'Toothpaste', 'Body Wash', 'Deodorant', 'Razor Blades', 'Sunscreen'],
  },
];

const BRANDS = [
  'Alpine',
  'Harbor',
  'Greenfield',
  'Northstar',
  'Sunny Vale',
  'Oakridge',
  'Bluebell',
];

const TENANT_NAMES = [
  'Northwind Grocers',
  'Harbor Street Markets',
  'Bluebell Foods',
  'Crescent Retail Group',
  'Meridian Mart',
  'Evergreen Provisions',
];

/** The fixed demo tenants: their ids never change, so printed tokens stay valid. */
export const DEMO_TENANTS = [
  { customerId: '0d1e7a11-5e1f-4000-8000-000000000001', name: 'Northwind Grocers' },
  { customerId: '0d1e7a11-5e1f-4000-8000-000000000002', name: 'Harbor Street Markets' },
] as const;

/** The id and name of the n-th generated tenant (0-based); the first two are the demo tenants. */
export function tenantIdentity(index: number): { customerId: string; name: string } {
  const demo = DEMO_TENANTS[index];
  if (demo) return { customerId: demo.customerId, name: demo.name };
  const suffix = (index + 1).toString(16).padStart(12, '0');
  const base = TENANT_NAMES[index] ?? `Retailer ${index + 1}`;
  return { customerId: `0d1e7a11-5e1f-4000-8000-${suffix}`, name: base };
}

export interface SeedStore {
  id: string;
  code: string;
  name: string;
  region: string;
  timeZone: string;
  sizeSqm: number | null;
  openedOn: string;
  /** Demand multiplier from the floor area (1 = a 1,200 m² market). */
  sizeFactor: number;
  hours: Hours;
}

export interface SeedProduct {
  id: string;
  sku: string;
  name: string;
  category: string;
  priceCents: number;
  /** Unit cost: 55 % to 79 % of the list price, by position (the random stream is untouched). */
  costCents: number;
  /** Mean units a day in a 1,200 m² store on an ordinary day. */
  baseDemand: number;
  /** Units a typical POS line carries (multi-packs sell several at once). */
  lineSize: number;
  peakDay: number;
  amplitude: number;
}

/** Generates a tenant's stores: several formats spread over regions and time zones. */
export function generateStores(random: Random, customerId: string, count: number): SeedStore[] {
  const stores: SeedStore[] = [];
  const perCode = new Map<string, number>();
  for (let i = 0; i < count; i += 1) {
    // Every sixth store is a web shop, open around the clock on UTC.
    const online = i % 6 === 5;
    const region = online ? ONLINE : (REGIONS[(i - Math.floor(i / 6)) % REGIONS.length] ?? ONLINE);
    const format = online ? null : random.pick(FORMATS);
    const sizeSqm = format ? random.int(format.sizeSqm[0], format.sizeSqm[1]) : null;
    const city = random.pick(region.cities);
    const n = (perCode.get(region.code) ?? 0) + 1;
    perCode.set(region.code, n);
    const openedYear = random.int(2005, 2022);
    stores.push({
      id: stableUuid(customerId, 'store', i),
      code: `${region.code}-${String(n).padStart(3, '0')}`,
      name: format ? `${city} ${format.name} ${n}` : `Web Shop ${n}`,
      region: region.name,
      timeZone: region.timeZone,
      sizeSqm,
      openedOn: `${openedYear}-${String(random.int(1, 12)).padStart(2, '0')}-01`,
      sizeFactor: sizeSqm === null ? random.real(1.5, 2.5) : Math.sqrt(sizeSqm / 1_200),
      hours: region.hours,
    });
  }
  return stores;
}

/** Generates a tenant's products over the categories, with list prices and demand levels. */
export function generateProducts(random: Random, customerId: string, count: number): SeedProduct[] {
  const products: SeedProduct[] = [];
  for (let i = 0; i < count; i += 1) {
    const category = CATEGORIES[i % CATEGORIES.length] ?? CATEGORIES[0];
    if (!category) throw new Error('no product categories');
    const [low, high] = category.priceCents;
    // List prices end in 9 like most shelf prices.
    const priceCents = Math.max(low, Math.floor(random.int(low, high) / 10) * 10 + 9);
    // Long tail: a few best sellers, many slow movers.
    const baseDemand = Math.min(
      40,
      0.45 * Math.exp(random.normal() * 0.9) * (1 + 3 / (1 + i / 10)),
    );
    products.push({
      id: stableUuid(customerId, 'product', i),
      sku: `${category.prefix}-${String(i + 1).padStart(5, '0')}`,
      name: `${random.pick(BRANDS)} ${random.pick(category.items)}`,
      category: category.name,
      priceCents,
      costCents: Math.round((priceCents * (55 + ((i * 7) % 25))) / 100),
      baseDemand,
      lineSize: priceCents < 300 && random.chance(0.3) ? random.int(2, 4) : 1,
      peakDay: category.peakDay,
      amplitude: category.amplitude,
    });
  }
  return products;
}

/** Opening minutes [open, close) of a store on a weekday (0 = Sunday); null when closed. */
export function openingHours(store: SeedStore, weekday: number): readonly [number, number] | null {
  if (weekday === 0) return store.hours.sunday;
  if (weekday === 6) return store.hours.saturday;
  return store.hours.weekday;
}
