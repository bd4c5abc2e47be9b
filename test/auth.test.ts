import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { migrateUp } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { BACKENDS, createScratchDatabase } from './support/backends.js';
import { insertTenant, twinTenants, uuid } from './support/fixtures.js';
import { TEST_SECRET, startTestGateway, type TestGateway } from './support/gateway.js';
import {
  signingKey,
  signWithKey,
  signWithSecret,
  startJwksServer,
  unsignedToken,
  writeJwks,
  type JwksServer,
  type SigningKey,
} from './support/access-keys.js';
import { runCli } from './support/cli.js';

const VIEWER = '{ viewer { customerId role storeIds } }';

describe.each(BACKENDS)('authentication on %s', (kind) => {
  let gw: TestGateway;
  let rsa: SigningKey;
  let ec: SigningKey;
  const [a] = twinTenants();
  const claims = { customer_id: a.customerId, role: 'analyst' };

  beforeAll(async () => {
    rsa = await signingKey('RS256', 'rsa-1');
    ec = await signingKey('ES256', 'ec-1');
    gw = await startTestGateway(kind, {
      JWT_JWKS_FILE: await writeJwks([rsa, ec]),
      JWT_CLOCK_TOLERANCE_SECONDS: '30',
    });
    await insertTenant(gw.owner, a);
  });
  afterAll(() => gw?.close());

  const base = () => ({ issuer: gw.config.jwt.issuer, audience: gw.config.jwt.audience, claims });

  it('accepts HS256 development tokens and RS256/ES256 tokens of the JWKS', async () => {
    const tokens = [
      await signWithSecret(TEST_SECRET, { ...base(), expiresIn: 600 }),
      await signWithKey(rsa, { ...base(), expiresIn: 600 }),
      await signWithKey(ec, { ...base(), expiresIn: 600 }),
      // expired 10 s ago, within the 30 s clock tolerance
      await signWithSecret(TEST_SECRET, { ...base(), expiresIn: -10 }),
    ];
    for (const token of tokens) {
      const res = await gw.graphql(VIEWER, {}, token);
      expect(res.status).toBe(200);
      expect(res.data).toEqual({
        viewer: { customerId: a.customerId, role: 'ANALYST', storeIds: null },
      });
    }
  });

  it('maps the claims to tenant, role and store scope', async () => {
    const token = await signWithKey(rsa, {
      ...base(),
      claims: { customer_id: a.customerId.toUpperCase(), role: 'admin', store_ids: [uuid(1, 2)] },
      expiresIn: 600,
    });
    const res = await gw.graphql(VIEWER, {}, token);
    expect(res.data).toEqual({
      viewer: { customerId: a.customerId, role: 'ADMIN', storeIds: [uuid(1, 2)] },
    });
  });

  it('answers every bad token with 401 and a message that says what is wrong', async () => {
    const other = await signingKey('RS256', 'rsa-unknown');
    const good = await signWithSecret(TEST_SECRET, { ...base(), expiresIn: 600 });
    const [header, payload] = good.split('.');
    const cases: [string, string | null, Record<string, string>, RegExp][] = [
      ['no header', null, {}, /missing Authorization: Bearer/],
      ['basic scheme', null, { authorization: 'Basic dXNlcjpwYXNz' }, /must be "Bearer <token>"/],
      ['malformed', 'not-a-jwt', {}, /malformed/],
      [
        'wrong secret',
        await signWithSecret('another-secret-another-secret-0123456', {
          ...base(),
          expiresIn: 600,
        }),
        {},
        /signature is invalid/,
      ],
      [
        'tampered payload',
        `${header}.${payload}x.${good.split('.')[2]}`,
        {},
        /malformed|signature/,
      ],
      [
        'expired',
        await signWithSecret(TEST_SECRET, { ...base(), expiresIn: -120 }),
        {},
        /token expired/,
      ],
      [
        'not yet valid',
        await signWithSecret(TEST_SECRET, { ...base(), expiresIn: 600, notBefore: 120 }),
        {},
        /not valid yet/,
      ],
      [
        'wrong audience',
        await signWithSecret(TEST_SECRET, { ...base(), audience: 'another-api', expiresIn: 600 }),
        {},
        /audience is not this gateway/,
      ],
      [
        'wrong issuer',
        await signWithSecret(TEST_SECRET, { ...base(), issuer: 'evil', expiresIn: 600 }),
        {},
        /issuer is not trusted/,
      ],
      ['no exp', await signWithSecret(TEST_SECRET, base()), {}, /no exp claim/],
      ['alg none', unsignedToken({ ...claims, exp: 9e9 }), {}, /algorithm is not accepted/],
      [
        // The classic confusion: an HS256 token keyed with the (public) RSA key.
        'HS256 signed with the public key',
        await signWithSecret(rsa.publicPem, { ...base(), expiresIn: 600 }),
        {},
        /signature is invalid/,
      ],
      [
        'unknown kid',
        await signWithKey(other, { ...base(), expiresIn: 600 }),
        {},
        /key id \(kid\) is not known/,
      ],
      [
        'RSA key named by an EC token',
        await signWithKey({ ...ec, kid: rsa.kid }, { ...base(), expiresIn: 600 }),
        {},
        /kid|signature/,
      ],
      [
        'no tenant',
        await signWithSecret(TEST_SECRET, {
          ...base(),
          claims: { role: 'analyst' },
          expiresIn: 60,
        }),
        {},
        /customer_id must be a tenant UUID/,
      ],
      [
        'unknown role',
        await signWithSecret(TEST_SECRET, {
          ...base(),
          claims: { customer_id: a.customerId, role: 'superuser' },
          expiresIn: 60,
        }),
        {},
        /role must be one of analyst, partner, admin/,
      ],
    ];
    for (const [name, token, headers, message] of cases) {
      const res = await gw.graphql(VIEWER, {}, token ?? undefined, headers);
      expect(res.status, name).toBe(401);
      expect(res.data ?? null, name).toBeNull();
      expect(res.errors?.[0]?.message, name).toMatch(message);
      expect(res.errors?.[0]?.extensions?.code, name).toBe('UNAUTHENTICATED');
      expect(res.headers.get('www-authenticate'), name).toMatch(/^Bearer /);
      const body = JSON.stringify(res);
      expect(body.includes(TEST_SECRET), name).toBe(false);
      if (token) expect(body.includes(token), name).toBe(false);
    }
  });

  it('refuses a token in the URL even with a valid header', async () => {
    const token = await gw.token(a.customerId);
    for (const parameter of ['access_token', 'token']) {
      const response = await fetch(`${gw.url}/graphql?${parameter}=${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: VIEWER }),
      });
      const body = (await response.json()) as { errors: { message: string }[] };
      expect(response.status).toBe(401);
      expect(body.errors[0]?.message).toMatch(/tokens in the URL are refused/);
    }
  });

  it('mints working development tokens with npm run token', async () => {
    // The command checks the tenant in the database: the gateway's own on the server; the
    // embedded one serves the gateway alone, so a server database with the same tenant.
    const scratch = gw.config.databaseUrl ? null : await createScratchDatabase();
    if (scratch) {
      const pool = createPool(scratch.url, 1);
      await migrateUp(pool, { timescaledb: 'off' });
      await insertTenant(pool, a);
      await pool.end();
    }
    onTestFinished(() => scratch?.drop());
    const env = {
      ...process.env,
      JWT_SECRET: TEST_SECRET,
      NODE_ENV: 'test',
      DATABASE_URL: gw.config.databaseUrl ?? scratch?.url,
    };
    const { stdout } = await runCli(
      'token',
      [
        '--customer',
        a.customerId,
        '--role',
        'admin',
        '--stores',
        `${uuid(1, 1)},${uuid(1, 3)}`,
        '--expires',
        '5m',
      ],
      { env },
    );
    const token = stdout.trim();
    const res = await gw.graphql(VIEWER, {}, token);
    expect(res.data).toEqual({
      viewer: { customerId: a.customerId, role: 'ADMIN', storeIds: [uuid(1, 1), uuid(1, 3)] },
    });
    const [, payload] = token.split('.');
    const decoded = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as {
      exp: number;
      iat: number;
    };
    expect(decoded.exp - decoded.iat).toBe(300);

    const failure = await runCli('token', ['--role', 'root'], {
      env: { ...process.env, JWT_SECRET: '', NODE_ENV: 'test' },
    }).then(
      () => null,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stdout).toBe('');
    expect(failure?.stderr).toMatch(/JWT_SECRET/);
    expect(failure?.stderr).toMatch(/--customer/);
    expect(failure?.stderr).toMatch(/--role: one of analyst, partner, admin/);
  });
});

describe.each(BACKENDS)('JWKS URL with key rotation on %s', (kind) => {
  let gw: TestGateway;
  let jwks: JwksServer;
  let first: SigningKey;
  let second: SigningKey;
  const [a] = twinTenants();

  beforeAll(async () => {
    first = await signingKey('ES256', 'key-2024');
    second = await signingKey('RS256', 'key-2025');
    jwks = await startJwksServer([first]);
    // JWKS only: no HS256 secret on this gateway.
    gw = await startTestGateway(kind, {
      JWT_SECRET: '',
      JWT_JWKS_URL: jwks.url,
      JWT_JWKS_COOLDOWN_SECONDS: '0',
    });
    await insertTenant(gw.owner, a);
  });
  afterAll(async () => {
    await gw?.close();
    await jwks?.close();
  });

  const options = () => ({
    issuer: gw.config.jwt.issuer,
    audience: gw.config.jwt.audience,
    claims: { customer_id: a.customerId, role: 'analyst' },
    expiresIn: 600,
  });

  it('caches the keys and picks up a rotated key by its kid', async () => {
    const oldToken = await signWithKey(first, options());
    for (let i = 0; i < 3; i += 1) {
      expect((await gw.graphql(VIEWER, {}, oldToken)).status).toBe(200);
    }
    expect(jwks.fetches).toBe(1);

    jwks.serve([second]);
    const newToken = await signWithKey(second, options());
    const res = await gw.graphql<{ viewer: { customerId: string } }>(VIEWER, {}, newToken);
    expect(res.data?.viewer.customerId).toBe(a.customerId);
    expect(jwks.fetches).toBe(2);

    const retired = await gw.graphql(VIEWER, {}, oldToken);
    expect(retired.status).toBe(401);
    expect(retired.errors?.[0]?.message).toMatch(/kid/);
  });

  it('refuses HS256 tokens when no secret is configured, whatever they are signed with', async () => {
    for (const secret of [TEST_SECRET, second.publicPem]) {
      const res = await gw.graphql(VIEWER, {}, await signWithSecret(secret, options()));
      expect(res.status).toBe(401);
      expect(res.errors?.[0]?.message).toMatch(
        /algorithm is not accepted; this gateway accepts RS256, ES256/,
      );
    }
  });
});
