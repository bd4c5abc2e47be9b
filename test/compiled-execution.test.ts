import { readFile, readdir } from 'node:fs/promises';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  parse,
  print,
  typeFromAST,
  validate,
  visit,
  type ASTVisitor,
  type GraphQLInputType,
  type OperationDefinitionNode,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../src/auth/tokens.js';
import { createLogger } from '../src/logger.js';
import { schema } from '../src/schema.js';
import { createGateway, CSRF_HEADER, type Gateway } from '../src/server/app.js';
import { graphiqlOptions } from '../src/server/graphiql.js';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const DAY = 86_400_000;
const FROM = new Date(Math.floor(Date.now() / DAY) * DAY - 20 * DAY);
const RANGE = { from: FROM.toISOString(), to: new Date(+FROM + 10 * DAY).toISOString() };
const REVERSED = { from: RANGE.to, to: RANGE.from };
const [tenant] = twinTenants();
const ODD_ALIASES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

interface Case {
  name: string;
  query: string;
  variables: Record<string, unknown>;
}

/** A value of `type` for a variable named `name`, built from the schema. */
function sample(type: GraphQLInputType, name: string): unknown {
  if (isNonNullType(type)) return sample(type.ofType, name);
  if (isListType(type)) return [sample(type.ofType, name)];
  if (isEnumType(type)) return type.getValues()[0]?.name;
  if (isInputObjectType(type)) {
    if (type.name === 'TimeRange') return RANGE;
    const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type));
    return Object.fromEntries(fields.map((f) => [f.name, sample(f.type, f.name)]));
  }
  const lower = name.toLowerCase();
  switch (getNamedType(type).name) {
    case 'Int':
      return 5;
    case 'Float':
      return 1.5;
    case 'Boolean':
      return true;
    case 'UUID':
    case 'ID':
      return lower.includes('store') ? tenant.stores[0]?.id : tenant.products[0]?.id;
    case 'DateTime':
      return RANGE.from;
    case 'Date':
      return RANGE.from.slice(0, 10);
    case 'Decimal':
      return '1.25';
    case 'TimeZone':
      return 'Europe/Berlin';
    default:
      if (lower.includes('sku')) return tenant.products[0]?.sku;
      if (lower.includes('code')) return tenant.stores[0]?.code;
      return 'x';
  }
}

/** Every query operation of `text` valid against the schema, with variables to run it. */
function cases(source: string, text: string, variables?: Record<string, unknown>): Case[] {
  let document;
  try {
    document = parse(text);
  } catch {
    return [];
  }
  if (validate(schema, document).length > 0) return [];
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  if (operations.length !== 1 || operations[0]?.operation !== 'query') return [];
  const operation = operations[0];
  const values =
    variables ??
    Object.fromEntries(
      (operation.variableDefinitions ?? []).map((v) => [
        v.variable.name.value,
        sample(typeFromAST(schema, v.type as never) as GraphQLInputType, v.variable.name.value),
      ]),
    );
  return [
    { name: `${source}: ${operation.name?.value ?? 'anonymous'}`, query: text, variables: values },
  ];
}

/**
 * Fields whose answers describe the request that asks (its own id and duration among the
 * running ones, the gateway's live figures): no two runs of them answer alike, whichever executor.
 */
const VOLATILE = /\b(activeQueries|operatorReport)\b/;

/** The documents the project knows: the persisted ones, GraphiQL's tabs, the tests' own. */
async function knownCases(): Promise<Case[]> {
  const all: Case[] = [];
  const manifest = JSON.parse(await readFile('persisted/trusted-documents.json', 'utf8')) as Record<
    string,
    string
  >;
  for (const document of Object.values(manifest)) all.push(...cases('persisted', document));
  for (const tab of graphiqlOptions(new Date(), undefined).defaultTabs ?? []) {
    all.push(...cases('GraphiQL', tab.query ?? '', JSON.parse(tab.variables ?? '{}')));
  }
  for (const file of [
    'examples/dashboard.ts',
    ...(await readdir('test')).map((f) => `test/${f}`),
  ]) {
    if (!file.endsWith('.ts')) continue;
    const source = await readFile(file, 'utf8');
    const literals = [
      ...source.matchAll(/`\s*((?:query|\{)[^`$]*)`/g),
      ...source.matchAll(/'\s*((?:query|\{ )[^'\n]*)'/g),
    ];
    for (const [, text] of literals) {
      all.push(...cases(file, text ?? ''));
    }
  }
  const seen = new Set<string>();
  return all.filter((c) => !VOLATILE.test(c.query) && !seen.has(c.query) && seen.add(c.query));
}

/** Variants of `query`: odd aliases, fragments and directives around its first fields. */
function variants(c: Case): Case[] {
  const document = parse(c.query);
  const out: Case[] = [];
  const rewrite = (label: string, edit: ASTVisitor) => {
    const changed = print(visit(document, edit));
    if (changed !== print(document))
      out.push({ ...c, name: `${c.name} [${label}]`, query: changed });
  };
  for (const alias of ODD_ALIASES) {
    let done = false;
    rewrite(`alias ${alias} on a top field`, {
      Field(node) {
        if (done) return undefined;
        done = true;
        return { ...node, alias: { kind: Kind.NAME, value: alias } };
      },
    });
    let leaf = false;
    rewrite(`alias ${alias} on a leaf`, {
      Field(node) {
        if (leaf || node.selectionSet) return undefined;
        leaf = true;
        return { ...node, alias: { kind: Kind.NAME, value: alias } };
      },
    });
  }
  rewrite('inline fragments', {
    SelectionSet: {
      leave(node) {
        return {
          ...node,
          selections: [{ kind: Kind.INLINE_FRAGMENT, selectionSet: node }],
        };
      },
    },
  });
  for (const [directive, value] of [
    ['include', true],
    ['skip', true],
    ['skip', false],
  ] as const) {
    let done = false;
    rewrite(`@${directive}(if: ${value}) on a leaf`, {
      Field(node) {
        if (done || node.selectionSet) return undefined;
        done = true;
        return {
          ...node,
          directives: [
            {
              kind: Kind.DIRECTIVE,
              name: { kind: Kind.NAME, value: directive },
              arguments: [
                {
                  kind: Kind.ARGUMENT,
                  name: { kind: Kind.NAME, value: 'if' },
                  value: { kind: Kind.BOOLEAN, value },
                },
              ],
            },
          ],
        };
      },
    });
  }
  return out;
}

/** Documents whose resolvers fail, at the top, nested in lists, beside data, under fragments. */
const ERROR_CASES: Case[] = [
  { name: 'error at the top', query: '{ store { code } }', variables: {} },
  {
    name: 'error beside data',
    query: '{ viewer { role } a: store { code } b: store(code: "S1") { code } }',
    variables: {},
  },
  {
    name: 'error nested in a list',
    query:
      'query($r: TimeRange!) { products(first: 3) { edges { node { sku sales(range: $r) { units } } } } }',
    variables: { r: REVERSED },
  },
  {
    name: 'error under a fragment and an alias',
    query:
      'query($r: TimeRange!) { products(first: 2) { edges { node { ...F } } } } fragment F on Product { __proto__: sku s: sales(range: $r) { units } }',
    variables: { r: REVERSED },
  },
  {
    name: 'error in a non-null position',
    query: 'query($r: TimeRange!) { salesTrend(granularity: DAY, range: $r) { units } }',
    variables: { r: REVERSED },
  },
  {
    name: 'bad variable',
    query: 'query($r: TimeRange!) { salesTrend(granularity: DAY, range: $r) { units } }',
    variables: { r: { from: 'yesterday' } },
  },
  {
    name: 'missing variable',
    query: 'query($id: UUID!) { product(id: $id) { sku } }',
    variables: {},
  },
];

describe('the compiled executor answers exactly as the reference executor', () => {
  let gw: TestGateway;
  let compiled: Gateway;
  let reference: Gateway;
  let token = '';

  const run = async (gateway: Gateway, c: Case) => {
    const response = await gateway.fetch('http://gateway/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        [CSRF_HEADER]: '1',
      },
      body: JSON.stringify({ query: c.query, variables: c.variables }),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  beforeAll(async () => {
    gw = await startTestGateway('postgres', { RATE_LIMIT_REQUESTS: '0' });
    await insertTenant(gw.owner, tenant);
    token = await gw.token(tenant.customerId, 'admin');
    const sales = Array.from({ length: 40 }, (_, n) => ({
      transactionId: uuid(0xd1ff, n),
      time: new Date(+FROM + n * 5 * 3_600_000).toISOString(),
      storeId: tenant.stores[n % 3]?.id,
      productId: tenant.products[n % 4]?.id,
      quantity: 1 + (n % 3),
      unitPrice: '2.50',
    }));
    const recorded = await gw.graphql(
      'mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted } }',
      { s: sales },
      token,
    );
    expect(recorded.errors).toBeUndefined();
    const options = {
      config: gw.config,
      database: gw.database,
      verifier: await createTokenVerifier(gw.config.jwt),
      logger: createLogger('silent'),
    };
    compiled = createGateway(options);
    reference = createGateway({ ...options, compiledExecution: false });
  });
  afterAll(async () => {
    await compiled?.dispose();
    await reference?.dispose();
    await gw?.close();
  });

  // Over five hundred documents, each run by both executors: minutes on two busy cores.
  it('on every known document, its variants and documents that fail in every position', async () => {
    const known = await knownCases();
    expect(known.length).toBeGreaterThan(50);
    const all = [
      ...known,
      ...known.flatMap(variants),
      ...ERROR_CASES,
      ...ERROR_CASES.flatMap(variants),
    ];
    const differences: unknown[] = [];
    for (const c of all) {
      const expected = await run(reference, c);
      const actual = await run(compiled, c);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        differences.push({ case: c.name, query: c.query, expected, actual });
      }
    }
    expect(all.length).toBeGreaterThan(500);
    // The first few in full, and how many.
    expect({ count: differences.length, first: differences.slice(0, 3) }).toEqual({
      count: 0,
      first: [],
    });
  }, 300_000);

  it('refuses a NUL character in text and deeply nested variables with a typed 400', async () => {
    const post = async (body: string) => {
      const response = await fetch(`${gw.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
      });
      const parsed = (await response.json()) as {
        errors?: { message: string; extensions?: { code?: string } }[];
      };
      return { status: response.status, code: parsed.errors?.[0]?.extensions?.code };
    };
    const bySku = 'query($sku: String!) { product(sku: $sku) { sku } }';
    const refused = { status: 400, code: 'BAD_USER_INPUT' };
    expect(await post(JSON.stringify({ query: bySku, variables: { sku: 'SKU\u00001' } }))).toEqual(
      refused,
    );
    expect(
      await post(JSON.stringify({ query: '{ product(sku: "SKU\\u00001") { sku } }' })),
    ).toEqual(refused);
    const upsert = 'mutation($p: [ProductInput!]!) { upsertProducts(products: $p) { created } }';
    const product = { sku: 'NUL-1', name: 'Nul\u0000Name', category: 'C', unitPrice: '1.00' };
    expect(await post(JSON.stringify({ query: upsert, variables: { p: [product] } }))).toEqual(
      refused,
    );
    const { rows } = await gw.owner.query(`SELECT 1 FROM products WHERE sku = 'NUL-1'`);
    expect(rows).toHaveLength(0);
    // 100 000 levels of nesting, as JSON text (JSON.stringify itself would overflow).
    const deep = `{"query":${JSON.stringify(bySku)},"variables":{"sku":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    expect(await post(deep)).toEqual(refused);
    // What is left of the request is served as before.
    expect(await post(JSON.stringify({ query: bySku, variables: { sku: 'SKU-1' } }))).toEqual({
      status: 200,
      code: undefined,
    });
  });
});
