import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RECORD_BYTES } from '../src/import/csv-records.js';
import { importFile, type ImportOptions } from '../src/import/import-file.js';
import { loadMapping } from '../src/import/mapping.js';
import { BACKENDS } from './support/backends.js';
import { insertTenant, uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { refusedLines, runImportCommand } from './support/import-command.js';

const CORPUS = join(import.meta.dirname, 'fixtures/import');
const MAPPING = join(import.meta.dirname, '../examples/import/online-retail.json');
const HEADER =
  'X.1;X;InvoiceNo;StockCode;Description;Quantity;InvoiceDate;UnitPrice;CustomerID;Country';

/** What a broken file of the corpus must leave: the lines stored and the lines refused. */
interface Case {
  file: string;
  /** Lines read: records and refused lines (empty lines are not counted). */
  lines: number;
  /** [SKU, product name, quantity] of every stored sale line. */
  stored: [string, string, number][];
  /** [line number, reason] of every refused line, in file order. */
  refused: [number, RegExp][];
}

const CASES: Case[] = [
  {
    file: 'quote-in-field.csv',
    lines: 4,
    stored: [
      ['22001', 'WHITE HANGING HEART', 6],
      ['22003', 'QUOTED "BEST" MUG', 1],
    ],
    refused: [
      [3, /^"Description" holds a quote but is not quoted/],
      [5, /^"Description" is quoted but holds a single quote/],
    ],
  },
  {
    file: 'unbalanced-quote.csv',
    lines: 4,
    stored: [
      ['22012', 'GOOD AFTER BROKEN', 2],
      ['22013', '6" PLATE', 1],
      ['22014', 'LAST GOOD', 3],
    ],
    refused: [[2, /^a quoted field opened on this line is never closed$/]],
  },
  {
    file: 'column-count.csv',
    lines: 4,
    stored: [
      ['22021', 'FIRST GOOD', 6],
      ['22024', 'LAST GOOD', 3],
    ],
    refused: [
      [3, /^the line has 11 fields where the header has 10$/],
      [4, /^the line has 9 fields where the header has 10$/],
    ],
  },
  {
    // CRLF and LF mixed, an empty line, and a quoted field over two lines: true line numbers.
    file: 'mixed-endings.csv',
    lines: 6,
    stored: [
      ['22031', 'CRLF LINE', 6],
      ['22032', 'LF LINE', 2],
      ['22035', 'TWO\nLINE NAME', 3],
      ['22038', 'LAST CRLF', 4],
    ],
    refused: [
      [4, /^the line has 9 fields where the header has 10$/],
      [8, /^quantity "many" is not a whole number$/],
    ],
  },
  {
    file: 'invalid-utf8.csv',
    lines: 5,
    stored: [
      ['22041', 'CAFÉ AU LAIT BOWL', 6],
      ['22045', 'LAST GOOD', 3],
    ],
    refused: [
      [3, /^the line is not valid UTF-8$/],
      [4, /^the line is not valid UTF-8$/],
      [5, /^the line holds a NUL byte$/],
    ],
  },
  {
    // An empty Country would create a store without a code, a 210-character description a
    // product whose name is too long: the rules of upsertStores and upsertProducts refuse them,
    // unless another line of the batch creates that product (lines 6 and 7).
    file: 'catalog-rules.csv',
    lines: 8,
    stored: [
      ['22051', 'FIRST GOOD', 6],
      ['22054', 'ANOTHER GOOD', 1],
      ['22056', 'LAST GOOD', 3],
      ['22057', 'NAMED WELL', 1],
      ['22057', 'NAMED WELL', 2],
    ],
    refused: [
      [3, /^new store: code must be 1 to 40 characters/],
      [4, /^new product: name must be 1 to 200 characters/],
      [8, /^unitPrice must not be negative$/],
    ],
  },
];

describe.each(BACKENDS)('import of malformed CSV files on %s', (kind) => {
  let gw: TestGateway;
  let dir: string;
  const options = async (tenantId: string, file: string): Promise<ImportOptions> => ({
    kind: 'sales',
    file,
    tenantId,
    mapping: await loadMapping(MAPPING),
    pool: gw.owner,
    backend: gw.database.backend,
    retention: '30 years',
    batchSize: 2,
    refusedFile: join(dir, 'refused.tsv'),
  });
  const newTenant = async (n: number) => {
    const customerId = uuid(0x17, n);
    await insertTenant(gw.owner, { customerId, name: `Malformed ${n}`, stores: [], products: [] });
    return customerId;
  };
  const storedLines = async (tenantId: string) => {
    const { rows } = await gw.owner.query<{ sku: string; name: string; quantity: number }>(
      `SELECT p.sku, p.name, t.quantity::int AS quantity
         FROM transactions t JOIN products p ON p.id = t.product_id
        WHERE t.customer_id = $1 ORDER BY p.sku, t.quantity`,
      [tenantId],
    );
    return rows.map((r) => [r.sku, r.name, r.quantity]);
  };

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    dir = await mkdtemp(join(tmpdir(), 'shelfops-import-malformed-'));
  });
  afterAll(async () => {
    await gw?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses each malformed line alone with its true line number and reason, and stores the rest', async () => {
    for (const [n, c] of CASES.entries()) {
      const tenant = await newTenant(n + 1);
      const summary = await importFile(await options(tenant, join(CORPUS, c.file)));
      expect(summary, c.file).toMatchObject({
        lines: c.lines,
        accepted: c.stored.length,
        duplicates: 0,
        refused: c.refused.length,
      });
      const refused = await refusedLines(join(dir, 'refused.tsv'));
      expect(
        refused.map(([line]) => Number(line)),
        c.file,
      ).toEqual(c.refused.map(([line]) => line));
      refused.forEach(([, reason], i) => expect(reason, c.file).toMatch(c.refused[i]?.[1] ?? /^$/));
      expect(await storedLines(tenant), c.file).toEqual(
        [...c.stored].sort(([x], [y]) => (x < y ? -1 : 1)),
      );
      // A second run stores nothing twice and refuses the same lines.
      const again = await importFile(await options(tenant, join(CORPUS, c.file)));
      expect(again, c.file).toMatchObject({
        accepted: 0,
        duplicates: c.stored.length,
        refused: c.refused.length,
      });
    }
    const { rows } = await gw.owner.query(`SELECT 1 FROM stores WHERE code = ''`);
    expect(rows).toEqual([]);
    const { rows: replaced } = await gw.owner.query(
      `SELECT sku FROM products WHERE sku LIKE '%' || chr(65533) || '%' OR name LIKE '%' || chr(65533) || '%'`,
    );
    expect(replaced).toEqual([]);
  });

  it('refuses a line longer than the record limit without holding it, and reads on', async () => {
    const tenant = await newTenant(0x20);
    const file = join(dir, 'oversized.csv');
    const line = (n: number, name: string) =>
      `${n};${160 + n};90016${n};2206${n};${name};${n};12/01/2010 08:2${n};2.55;17850;United Kingdom`;
    await writeFile(
      file,
      [HEADER, line(1, 'FIRST GOOD'), line(2, 'N'.repeat(10 * 1024 * 1024)), line(3, 'LAST')].join(
        '\n',
      ),
    );
    const summary = await importFile(await options(tenant, file));
    expect(summary).toMatchObject({ lines: 3, accepted: 2, refused: 1 });
    const refused = await refusedLines(join(dir, 'refused.tsv'));
    expect(refused).toEqual([['3', `the line is longer than ${MAX_RECORD_BYTES} bytes`]]);
    expect(await storedLines(tenant)).toEqual([
      ['22061', 'FIRST GOOD', 1],
      ['22063', 'LAST', 3],
    ]);
  });

  it('stops before storing anything when the header line cannot be read', async () => {
    const tenant = await newTenant(0x21);
    const file = join(dir, 'bad-header.csv');
    await writeFile(file, `"${HEADER}\n1;1;1;1;A;1;12/01/2010 08:26;2.55;17850;France\n`);
    await expect(importFile(await options(tenant, file))).rejects.toThrow(
      /^line 1, the header: a quoted field opened on this line is never closed$/,
    );
    expect(await storedLines(tenant)).toEqual([]);
  });

  it.runIf(kind === 'postgres')(
    'runs malformed files through npm run import to the end, with the refusals in its summary',
    async () => {
      const tenant = await newTenant(0x22);
      const { stdout } = await runImportCommand(
        gw,
        [
          'sales',
          join(CORPUS, 'mixed-endings.csv'),
          '--tenant',
          tenant,
          '--mapping',
          MAPPING,
          '--refused',
          join(dir, 'cli.tsv'),
        ],
        { RETENTION: '30 years' },
      );
      expect(stdout).toMatch(/^6 lines read in [\d.]+ s: 4 stored, 0 already stored, 2 refused$/m);
      expect(stdout).toMatch(/1 refused, e\.g\. line 4: the line has 9 fields/);
      expect(stdout).toMatch(/1 refused, e\.g\. line 8: quantity "many"/);
      expect(await storedLines(tenant)).toHaveLength(4);
    },
  );
});
