import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFile, type ImportOptions } from '../src/import/import-file.js';
import type { Mapping } from '../src/import/mapping.js';
import { BACKENDS } from './support/backends.js';
import { insertTenant, uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { refusedLines, runImportCommand } from './support/import-command.js';

const MAPPING: Mapping = {
  delimiter: ';',
  decimal: ',',
  timeZone: 'UTC',
  dateFormats: ['YYYY-MM-DD'],
  stores: { code: 'Code', name: 'Name', region: 'Region', timeZone: 'Zone' },
  products: {
    sku: 'Sku',
    name: 'Name',
    category: { value: 'Imported' },
    unitPrice: 'Price',
    cost: 'Cost',
  },
};

// Line numbers count the header as line 1.
const STORES = [
  'Code;Name;Region;Zone',
  'LON-1;London Bridge;UK;Europe/London',
  'PAR-1;Paris Nord;FR;Europe/Atlantis',
  ';No code;UK;Europe/London',
  'BER-1;Berlin Mitte;DE;Europe/Berlin',
  'LON-1;London Bridge;UK;Europe/London',
].join('\n');

const PRODUCTS = [
  'Sku;Name;Price;Cost',
  'A-1;Mug;4,50;2,10',
  'A-2;Plate;-1,00;',
  'A-3;Bowl;ten;1',
  'A-4;Cup;1,005;',
  'A-5;Jug;12;',
  'A-6;Vase;9;-2',
  'A-7;Tray;3;x',
].join('\n');

describe.each(BACKENDS)('catalog import from a file on %s', (kind) => {
  let gw: TestGateway;
  let dir: string;
  const tenant = uuid(0x1c, 0);
  const options = (over: Partial<ImportOptions>): ImportOptions => ({
    kind: 'stores',
    file: join(dir, 'stores.csv'),
    tenantId: tenant,
    mapping: MAPPING,
    pool: gw.owner,
    backend: gw.database.backend,
    retention: '2 years',
    batchSize: 2,
    refusedFile: join(dir, 'stores.refused.tsv'),
    ...over,
  });

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    dir = await mkdtemp(join(tmpdir(), 'shelfops-import-catalog-'));
    await writeFile(join(dir, 'stores.csv'), STORES);
    await writeFile(join(dir, 'products.csv'), PRODUCTS);
    await insertTenant(gw.owner, { customerId: tenant, name: 'Catalog', stores: [], products: [] });
  });
  afterAll(async () => {
    await gw?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores the good store lines and refuses the others with their line numbers and reasons', async () => {
    const summary = await importFile(options({}));
    expect(summary).toMatchObject({ lines: 5, accepted: 2, duplicates: 1, refused: 2 });
    expect(await refusedLines(join(dir, 'stores.refused.tsv'))).toEqual([
      ['3', 'timeZone "Europe/Atlantis" is not an IANA time zone'],
      ['4', 'code must be 1 to 40 characters (not only spaces)'],
    ]);
    const { rows } = await gw.owner.query<{ code: string; time_zone: string }>(
      'SELECT code, time_zone FROM stores WHERE customer_id = $1 ORDER BY code',
      [tenant],
    );
    expect(rows).toEqual([
      { code: 'BER-1', time_zone: 'Europe/Berlin' },
      { code: 'LON-1', time_zone: 'Europe/London' },
    ]);
  });

  it('changes nothing when run again, and stores a refused line once it is corrected', async () => {
    const again = await importFile(options({}));
    expect(again).toMatchObject({ lines: 5, accepted: 0, duplicates: 3, refused: 2 });
    await writeFile(join(dir, 'stores.csv'), STORES.replace('Europe/Atlantis', 'Europe/Paris'));
    const corrected = await importFile(options({}));
    expect(corrected).toMatchObject({ lines: 5, accepted: 1, duplicates: 3, refused: 1 });
    const { rows } = await gw.owner.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM stores WHERE customer_id = $1',
      [tenant],
    );
    expect(rows[0]?.n).toBe(3);
  });

  it('stores the good product lines, refuses the others, and is idempotent', async () => {
    const products = options({
      kind: 'products',
      file: join(dir, 'products.csv'),
      refusedFile: join(dir, 'products.refused.tsv'),
    });
    const first = await importFile(products);
    expect(first).toMatchObject({ lines: 7, accepted: 2, duplicates: 0, refused: 5 });
    expect(await refusedLines(join(dir, 'products.refused.tsv'))).toEqual([
      ['3', 'unitPrice must not be negative'],
      ['4', 'unitPrice "ten" is not a number'],
      ['5', 'unitPrice must have at most 10 digits before and 2 after the decimal point'],
      ['7', 'cost must not be negative'],
      ['8', 'cost "x" is not a number'],
    ]);
    const { rows } = await gw.owner.query<{
      sku: string;
      unit_price: string;
      cost: string | null;
      category: string;
    }>(
      'SELECT sku, unit_price::text, cost::text, category FROM products WHERE customer_id = $1 ORDER BY sku',
      [tenant],
    );
    // An empty cost cell: no cost.
    expect(rows).toEqual([
      { sku: 'A-1', unit_price: '4.50', cost: '2.10', category: 'Imported' },
      { sku: 'A-5', unit_price: '12.00', cost: null, category: 'Imported' },
    ]);
    const again = await importFile(products);
    expect(again).toMatchObject({ lines: 7, accepted: 0, duplicates: 2, refused: 5 });
  });

  it('adds a cost period from the costFrom column, refusing a start not after the current one', async () => {
    const dated = (name: string, lines: string[]) =>
      writeFile(join(dir, name), ['Sku;Name;Price;Cost;From', ...lines].join('\n'));
    await dated('costs-1.csv', [
      'A-1;Mug;4,50;2,40;2025-06-01',
      'A-5;Jug;12;3,00;2025-07-01',
      'A-8;Lid;2;1,00;31.12.2025',
      'A-9;Cap;2;1,00;1999-12-31',
    ]);
    await dated('costs-2.csv', ['A-1;Mug;4,50;2,60;2025-05-01', 'A-5;Jug;12;3,10;']);
    const mapping: Mapping = {
      ...MAPPING,
      products: { ...(MAPPING.products as NonNullable<Mapping['products']>), costFrom: 'From' },
    };
    const run = (file: string) =>
      importFile(
        options({
          kind: 'products',
          mapping,
          file: join(dir, file),
          refusedFile: join(dir, `${file}.refused.tsv`),
        }),
      );
    expect(await run('costs-1.csv')).toMatchObject({ accepted: 2, refused: 2 });
    expect(await refusedLines(join(dir, 'costs-1.csv.refused.tsv'))).toEqual([
      ['4', 'costFrom "31.12.2025" matches none of the dateFormats'],
      ['5', expect.stringMatching(/^costFrom is before 2000-01-01T00:00:00.000Z/)],
    ]);
    const started = Date.now();
    expect(await run('costs-2.csv')).toMatchObject({ accepted: 1, refused: 1 });
    expect(await refusedLines(join(dir, 'costs-2.csv.refused.tsv'))).toEqual([
      [
        '2',
        expect.stringMatching(
          /^costFrom 2025-05-01T00:00:00.000Z is not after 2025-06-01T00:00:00.000Z, when/,
        ),
      ],
    ]);
    const { rows } = await gw.owner.query<{ sku: string; from: Date; cost: string }>(
      `SELECT p.sku, c.valid_from AS "from", c.cost::text AS cost
       FROM product_costs c JOIN products p ON p.customer_id = c.customer_id AND p.id = c.product_id
       WHERE c.customer_id = $1 ORDER BY p.sku, c.valid_from`,
      [tenant],
    );
    const periods = rows.map((r) => [r.sku, r.from, r.cost]);
    expect(periods.slice(0, 4)).toEqual([
      ['A-1', -Infinity, '2.10'],
      ['A-1', new Date('2025-06-01T00:00:00Z'), '2.40'],
      ['A-5', new Date('2025-07-01T00:00:00Z'), '3.00'],
      ['A-5', expect.any(Date), '3.10'],
    ]);
    expect((rows[3]?.from as Date).getTime()).toBeGreaterThanOrEqual(started - 1000);
    expect(rows).toHaveLength(4);
  });

  it.runIf(kind === 'postgres')(
    'runs as npm run import -- stores, writing the refused lines where --refused says',
    async () => {
      const refused = join(dir, 'cli-stores.tsv');
      const mapping = join(dir, 'mapping.json');
      await writeFile(mapping, JSON.stringify(MAPPING));
      await writeFile(
        join(dir, 'cli-stores.csv'),
        STORES.replace('Europe/Atlantis', 'Europe/Paris'),
      );
      const { stdout } = await runImportCommand(gw, [
        'stores',
        join(dir, 'cli-stores.csv'),
        '--tenant',
        tenant,
        '--mapping',
        mapping,
        '--refused',
        refused,
      ]);
      expect(stdout).toMatch(/^5 lines read in [\d.]+ s: 0 stored, 4 already stored, 1 refused$/m);
      expect(stdout).toContain(`refused lines with their line numbers and reasons: ${refused}`);
      expect(await refusedLines(refused)).toEqual([
        ['4', 'code must be 1 to 40 characters (not only spaces)'],
      ]);
    },
  );
});
