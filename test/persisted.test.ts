import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../src/schema.js';
import { loadTrustedDocuments } from '../src/server/trusted-documents.js';
import { BACKENDS } from './support/backends.js';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { TEST_REDIS_URL, uniqueRedisPrefix } from './support/access-gateway.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { runCli } from './support/cli.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
// The shipped partner documents plus one that introspects (partners must still be refused).
const TEST_DOCUMENTS = ['persisted/documents', 'test/fixtures/persisted'];
const apq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

async function buildManifest(...folders: string[]) {
  const out = join(tmpdir(), `shelfops-manifest-${randomUUID()}.json`);
  const result = await runCli('build-manifest', [...folders, '--out', out]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
  const manifest = await readFile(out, 'utf8').then(
    (text) => JSON.parse(text) as Record<string, string>,
    () => null,
  );
  await rm(out, { force: true });
  return { ...result, out, manifest };
}

/** Hash of the operation called `name` in a manifest. */
function hashOf(manifest: Record<string, string>, name: string): string {
  const entry = Object.entries(manifest).find(([, document]) =>
    new RegExp(`(query|mutation) ${name}\\b`).test(document),
  );
  if (!entry) throw new Error(`${name} is not in the manifest`);
  return entry[0];
}

describe('npm run manifest', () => {
  it('builds hash → document for every operation, with its fragments, checked against the schema', async () => {
    const { code, stdout, manifest } = await buildManifest(...TEST_DOCUMENTS);
    expect(code).toBe(0);
    expect(manifest).not.toBeNull();
    const entries = Object.entries(manifest ?? {});
    expect(entries).toHaveLength(21);
    for (const [hash, document] of entries) expect(hash).toBe(sha256(document));
    const product = manifest?.[hashOf(manifest, 'PartnerProduct')];
    expect(product).toMatch(/^fragment PartnerProductFields on Product \{/);
    for (const name of [
      'PartnerStores',
      'PartnerProduct',
      'PartnerRecordSales',
      'PartnerUpsertStores',
    ]) {
      expect(stdout).toContain(`${hashOf(manifest ?? {}, name)}  ${name}`);
    }
  });

  it('refuses documents the schema does not accept, and writes nothing', async () => {
    const { code, stderr, manifest } = await buildManifest('test/fixtures/persisted-invalid');
    expect(code).toBe(1);
    expect(manifest).toBeNull();
    expect(stderr).toMatch(/BrokenStores: Cannot query field "nam" on type "Store"/);
    expect(stderr).toMatch(/every operation needs a name/);
  });

  it('keeps persisted/trusted-documents.json in step with persisted/documents', async () => {
    const { manifest } = await buildManifest('persisted/documents');
    const committed = JSON.parse(await readFile('persisted/trusted-documents.json', 'utf8'));
    expect(committed).toEqual(manifest);
  });
});

describe('trusted-documents manifests', () => {
  it('accepts the persisted-documents.json GraphQL Code Generator’s client preset writes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shelfops-codegen-'));
    try {
      await generate(
        {
          schema: 'schema.graphql',
          documents: ['persisted/documents/*.graphql'],
          generates: {
            [`${dir}/`]: {
              preset: 'client',
              presetConfig: { persistedDocuments: { hashAlgorithm: 'sha256' } },
            },
          },
          silent: true,
        },
        true,
      );
      const file = join(dir, 'persisted-documents.json');
      const written = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
      expect(Object.keys(written).every((key) => key.startsWith('sha256:'))).toBe(true);
      const loaded = loadTrustedDocuments(file, schema);
      // The same operations under the same hashes as `npm run manifest` gives them.
      const { manifest } = await buildManifest('persisted/documents');
      expect([...loaded.keys()].sort()).toEqual(Object.keys(manifest ?? {}).sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('accepts the keys Code Generator’s client preset writes today (sha256:<hex>) and bare ones', async () => {
    const { manifest } = await buildManifest('persisted/documents');
    if (!manifest) throw new Error('no manifest built');
    const prefixed = Object.fromEntries(
      Object.entries(manifest).map(([hash, document]) => [`sha256:${hash}`, document]),
    );
    const dir = await mkdtemp(join(tmpdir(), 'shelfops-codegen-'));
    try {
      const file = join(dir, 'persisted-documents.json');
      await writeFile(file, JSON.stringify(prefixed));
      const loaded = loadTrustedDocuments(file, schema);
      expect(Object.fromEntries(loaded)).toEqual(manifest);
      const [first] = Object.keys(manifest);
      await writeFile(
        file,
        JSON.stringify({ [`sha256:${'0'.repeat(64)}`]: manifest[first ?? ''] }),
      );
      expect(() => loadTrustedDocuments(file, schema)).toThrow(/neither the SHA-256 nor the SHA-1/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.each(BACKENDS)('persisted operations on %s', (kind) => {
  let gw: TestGateway;
  let manifest: Record<string, string>;
  const [a] = twinTenants();
  let partner: string;
  let analyst: string;

  beforeAll(async () => {
    const built = await buildManifest(...TEST_DOCUMENTS);
    manifest = built.manifest ?? {};
    const file = join(tmpdir(), `shelfops-trusted-${randomUUID()}.json`);
    await import('node:fs/promises').then((fs) => fs.writeFile(file, JSON.stringify(manifest)));
    gw = await startTestGateway(kind, { TRUSTED_DOCUMENTS_FILE: file, APQ_MAX_ENTRIES: '3' });
    await insertTenant(gw.owner, a);
    partner = await gw.token(a.customerId, 'partner');
    analyst = await gw.token(a.customerId, 'analyst');
  });
  afterAll(() => gw?.close());

  it('runs a partner’s trusted document by documentId or by APQ hash', async () => {
    const hash = hashOf(manifest, 'PartnerStores');
    const byId = await gw.post<{ stores: { edges: { node: { code: string } }[] } }>(
      { documentId: `sha256:${hash}`, variables: { first: 2 } },
      partner,
    );
    expect(byId.errors).toBeUndefined();
    expect(byId.data?.stores.edges.map((e) => e.node.code)).toEqual(['S1', 'S2']);
    const byHash = await gw.post({ extensions: apq(hash), variables: { first: 2 } }, partner);
    expect(byHash.data).toEqual(byId.data);
  });

  it('lets partners write through a trusted mutation', async () => {
    const sale = {
      transactionId: randomUUID(),
      time: new Date(Date.now() - 3_600_000).toISOString(),
      storeId: uuid(1, 1),
      productId: uuid(2, 1),
      quantity: 3,
      unitPrice: '1.25',
    };
    const res = await gw.post(
      { documentId: hashOf(manifest, 'PartnerRecordSales'), variables: { sales: [sale] } },
      partner,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ recordSales: { accepted: 1, duplicates: 0 } });
    const { rows } = await gw.owner.query(
      'SELECT customer_id, quantity FROM transactions WHERE transaction_id = $1',
      [sale.transactionId],
    );
    expect(rows).toEqual([{ customer_id: a.customerId, quantity: 3 }]);
  });

  it('lets partners upsert the catalog through a trusted document, and through nothing else', async () => {
    const store = { code: 'P-1', name: 'Partner shop', region: 'West', timeZone: 'UTC' };
    const trusted = await gw.post(
      { documentId: hashOf(manifest, 'PartnerUpsertStores'), variables: { stores: [store] } },
      partner,
    );
    expect(trusted.errors).toBeUndefined();
    expect(trusted.data).toMatchObject({ upsertStores: { created: 1, updated: 0 } });
    const product = { sku: 'P-SKU', name: 'Partner item', category: 'Misc', unitPrice: '2.00' };
    const products = await gw.post(
      { documentId: hashOf(manifest, 'PartnerUpsertProducts'), variables: { products: [product] } },
      partner,
    );
    expect(products.data).toMatchObject({ upsertProducts: { created: 1, updated: 0 } });

    // The same mutation as a query text, or under a hash the manifest does not hold, is refused
    // before it runs: nothing is written.
    const renamed = { ...store, name: 'Renamed' };
    const untrusted = `mutation($s: [StoreInput!]!) { upsertStores(stores: $s) { created } }`;
    const asText = await gw.graphql(untrusted, { s: [renamed] }, partner);
    expect(asText.status).toBe(403);
    expect(asText.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
    const asHash = await gw.post(
      { documentId: sha256(untrusted), variables: { s: [renamed] } },
      partner,
    );
    expect(asHash.status).toBe(404);
    expect(asHash.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    const { rows } = await gw.owner.query(
      `SELECT name FROM stores WHERE customer_id = $1 AND code = 'P-1'`,
      [a.customerId],
    );
    expect(rows).toEqual([{ name: 'Partner shop' }]);
  });

  it('refuses partners any other operation', async () => {
    const arbitrary = await gw.graphql('{ stores { edges { node { id } } } }', {}, partner);
    expect(arbitrary.status).toBe(403);
    expect(arbitrary.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
    expect(arbitrary.errors?.[0]?.message).toMatch(/partners may only run trusted documents/);

    const unknown = await gw.post({ documentId: sha256('{ viewer { role } }') }, partner);
    expect(unknown.status).toBe(404);
    expect(unknown.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');

    // A partner cannot register an automatic persisted query either...
    const query = '{ viewer { customerId } }';
    const register = await gw.post({ query, extensions: apq(sha256(query)) }, partner);
    expect(register.status).toBe(403);
    expect(register.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
    // ...so nothing was stored for anyone.
    const lookup = await gw.post({ extensions: apq(sha256(query)) }, analyst);
    expect(lookup.errors?.[0]?.message).toBe('PersistedQueryNotFound');

    // Nor reuse one an analyst registered.
    const registered = '{ viewer { role } }';
    await gw.post({ query: registered, extensions: apq(sha256(registered)) }, analyst);
    const reuse = await gw.post({ extensions: apq(sha256(registered)) }, partner);
    expect(reuse.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
  });

  it('keeps introspection from partners, even in a trusted document', async () => {
    const hash = hashOf(manifest, 'TrustedIntrospection');
    const asPartner = await gw.post({ documentId: hash }, partner);
    expect(asPartner.data ?? null).toBeNull();
    expect(asPartner.errors?.[0]?.message).toMatch(/introspection/i);
    const asAnalyst = await gw.post({ documentId: hash }, analyst);
    expect(asAnalyst.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('hides field suggestions from partners only', async () => {
    const sales = [{ transactionIdd: randomUUID() }];
    const asPartner = await gw.post(
      { documentId: hashOf(manifest, 'PartnerRecordSales'), variables: { sales } },
      partner,
    );
    const partnerMessages = asPartner.errors?.map((e) => e.message).join('\n');
    expect(partnerMessages).toMatch(/Field "transactionIdd" is not defined by type "SaleInput"\./);
    expect(partnerMessages).not.toMatch(/Did you mean/);
    const asAnalyst = await gw.graphql(
      'mutation($sales: [SaleInput!]!) { recordSales(sales: $sales) { accepted } }',
      { sales },
      analyst,
    );
    const analystMessages = asAnalyst.errors?.map((e) => e.message).join('\n');
    expect(analystMessages).toMatch(
      /"transactionIdd" is not defined .* Did you mean "transactionId"\?/,
    );
  });

  it('serves automatic persisted queries to analysts: miss, register, hit', async () => {
    const query = '{ viewer { customerId role } }';
    const hash = sha256(query);
    const miss = await gw.post({ extensions: apq(hash) }, analyst);
    expect(miss.errors?.[0]?.message).toBe('PersistedQueryNotFound');
    expect(miss.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const register = await gw.post({ query, extensions: apq(hash) }, analyst);
    expect(register.data).toEqual({ viewer: { customerId: a.customerId, role: 'ANALYST' } });
    const hit = await gw.post({ extensions: apq(hash) }, analyst);
    expect(hit.data).toEqual(register.data);
  });

  it('refuses a query whose hash does not match, and stores nothing', async () => {
    const query = '{ viewer { storeIds } }';
    const claimed = sha256('{ viewer { customerId } }');
    const res = await gw.post({ query, extensions: apq(claimed) }, analyst);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_HASH_MISMATCH');
    expect(res.data ?? null).toBeNull();
    for (const hash of [claimed, sha256(query)]) {
      const lookup = await gw.post({ extensions: apq(hash) }, analyst);
      expect(lookup.errors?.[0]?.message).toBe('PersistedQueryNotFound');
    }
    // An invalid query with its true hash is not stored either.
    const invalid = '{ viewer { nope } }';
    const rejected = await gw.post({ query: invalid, extensions: apq(sha256(invalid)) }, analyst);
    expect(rejected.errors?.[0]?.message).toMatch(/Cannot query field "nope"/);
    const after = await gw.post({ extensions: apq(sha256(invalid)) }, analyst);
    expect(after.errors?.[0]?.message).toBe('PersistedQueryNotFound');
  });

  it('keeps at most APQ_MAX_ENTRIES queries in memory, dropping the least recently used', async () => {
    const queries = [1, 2, 3, 4].map((n) => `query Bounded${n} { viewer { role } }`);
    for (const query of queries) {
      const res = await gw.post({ query, extensions: apq(sha256(query)) }, analyst);
      expect(res.errors).toBeUndefined();
    }
    const found = [];
    for (const query of queries) {
      const res = await gw.post({ extensions: apq(sha256(query)) }, analyst);
      found.push(res.errors === undefined);
    }
    expect(found).toEqual([false, true, true, true]);
  });
});

describe.each(BACKENDS)('persisted queries shared through Redis on %s', (kind) => {
  const prefix = uniqueRedisPrefix('apq');
  let replicas: TestGateway[] = [];
  let redis: Redis;
  const [a] = twinTenants();

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL);
    const env = { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, APQ_TTL_SECONDS: '120' };
    replicas = [await startTestGateway(kind, env), await startTestGateway(kind, env)];
    for (const replica of replicas) await insertTenant(replica.owner, a);
  });
  afterAll(async () => {
    for (const replica of replicas) await replica.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('registers on one replica and serves the hash on another, with a TTL', async () => {
    const [first, second] = replicas;
    if (!first || !second) throw new Error('two replicas expected');
    const token = await first.token(a.customerId);
    const query = `query Shared { viewer { customerId } }`;
    const hash = sha256(query);
    expect((await second.post({ extensions: apq(hash) }, token)).errors?.[0]?.message).toBe(
      'PersistedQueryNotFound',
    );
    await first.post({ query, extensions: apq(hash) }, token);
    const hit = await second.post({ extensions: apq(hash) }, token);
    expect(hit.data).toEqual({ viewer: { customerId: a.customerId } });
    expect(await redis.get(`${prefix}apq:${hash}`)).toBe(query);
    const ttl = await redis.ttl(`${prefix}apq:${hash}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(120);
  });

  it('stores nothing in Redis for a mismatched hash', async () => {
    const [first] = replicas;
    if (!first) throw new Error('a replica expected');
    const token = await first.token(a.customerId);
    const before = await redis.keys(`${prefix}apq:*`);
    const res = await first.post(
      { query: '{ viewer { role } }', extensions: apq(sha256('{ viewer { storeIds } }')) },
      token,
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_HASH_MISMATCH');
    expect(await redis.keys(`${prefix}apq:*`)).toEqual(before);
  });
});
