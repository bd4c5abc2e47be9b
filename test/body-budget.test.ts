import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTenant, twinTenants } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const QUERY = '{ viewer { role } }';
const CAPACITY = 100_000;

/** A JSON body of exactly `bytes` bytes: the query, padded with a variable it does not use. */
function body(bytes: number, query = QUERY): string {
  const bare = JSON.stringify({ query, variables: { pad: '' } });
  return JSON.stringify({ query, variables: { pad: 'x'.repeat(bytes - bare.length) } });
}

interface Answer {
  status: number;
  retryAfter: string | null;
  code: unknown;
}

describe('request bodies held at once (MAX_BODIES_IN_FLIGHT_BYTES)', () => {
  let gw: TestGateway;
  let token = '';
  const [tenant] = twinTenants();

  /** Sends `text` with its length announced, half of it, then the rest after `pauseMs`. */
  const post = (text: string, pauseMs = 0, abort = false) =>
    new Promise<Answer>((resolve, reject) => {
      const url = new URL(`${gw.url}/graphql`);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(text),
            authorization: `Bearer ${token}`,
          },
        },
        (res) => {
          let data = '';
          res.on('data', (chunk: Buffer) => (data += chunk.toString()));
          res.on('end', () => {
            const parsed = JSON.parse(data || '{}') as {
              errors?: { extensions?: { code?: unknown } }[];
            };
            resolve({
              status: res.statusCode ?? 0,
              retryAfter: res.headers['retry-after'] ?? null,
              code: parsed.errors?.[0]?.extensions?.code ?? null,
            });
          });
        },
      );
      req.on('error', (error) =>
        abort ? resolve({ status: 0, retryAfter: null, code: null }) : reject(error),
      );
      const half = Math.floor(text.length / 2);
      req.write(text.slice(0, half));
      void sleep(pauseMs).then(() => (abort ? req.destroy() : req.end(text.slice(half))));
    });

  beforeAll(async () => {
    gw = await startTestGateway('postgres', {
      MAX_BODY_BYTES: '60000',
      MAX_BODIES_IN_FLIGHT_BYTES: String(CAPACITY),
      MAX_TENANT_BODIES_IN_FLIGHT_BYTES: String(CAPACITY),
      SMALL_BODY_BYTES: '1000',
      DB_POOL_WAIT_MS: '1500',
    });
    await insertTenant(gw.owner, tenant);
    token = await gw.token(tenant.customerId, 'analyst');
  });
  afterAll(() => gw?.close());

  it('makes a body wait for room, refuses it with 503 OVERLOADED when none comes in time, and lets one that fits through', async () => {
    const slow = post(body(55_000), 4000);
    await sleep(300);
    const started = Date.now();
    const refused = await post(body(55_000));
    expect(refused).toEqual({ status: 503, retryAfter: '1', code: 'OVERLOADED' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(await post(body(40_000))).toMatchObject({ status: 200 });
    expect(await slow).toMatchObject({ status: 200 });
  });

  it('gives back the bytes of every request, whatever became of it', async () => {
    const outcomes = await Promise.all([
      post(`{"query": "${'x'.repeat(30_000)}`),
      post(body(30_000, '{ nope }')),
      post(body(30_000)),
      post(body(30_000, 'mutation { recordSales(sales: []) { accepted } }')),
    ]);
    // Unreadable JSON, a document the schema refuses, an answer, a refused mutation.
    expect(outcomes.map((o) => o.status)).toEqual([400, 200, 200, 200]);
    expect(outcomes[1]?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(outcomes[2]?.code).toBeNull();
    expect(outcomes[3]?.code).not.toBeNull();
    await post(body(30_000), 200, true);
    await sleep(500);
    // Had any of them kept its 30 000 bytes, this pair (95 000 of 100 000) could not be held
    // at once, and the second would wait out DB_POOL_WAIT_MS behind the slow first.
    const slow = post(body(55_000), 2500);
    await sleep(300);
    expect(await post(body(40_000))).toMatchObject({ status: 200 });
    expect(await slow).toMatchObject({ status: 200 });
  });
});

interface RawAnswer {
  status: number;
  code: string | null;
  connection: string | null;
  /** Milliseconds from the first byte sent to the end of the answer. */
  ms: number;
}

/**
 * A request written by hand on its own socket: the headers, then `body` in `pieces` pieces
 * `everyMs` apart (chunked when `chunked`), as a slow or hostile client sends it. Resolves
 * with the answer once the server has answered and closed, or ended the answer.
 */
function trickle(
  url: string,
  options: {
    token?: string;
    body: string;
    announced?: number;
    chunked?: boolean;
    pieces?: number;
    everyMs?: number;
    headers?: string[];
    contentType?: string;
  },
): { answer: Promise<RawAnswer>; socket: Socket } {
  const { port, hostname } = new URL(url);
  const socket = connect(Number(port), hostname);
  const started = Date.now();
  const headers = [
    'POST /graphql HTTP/1.1',
    `Host: ${hostname}:${port}`,
    `Content-Type: ${options.contentType ?? 'application/json'}`,
    options.chunked
      ? 'Transfer-Encoding: chunked'
      : `Content-Length: ${options.announced ?? Buffer.byteLength(options.body)}`,
    ...(options.token ? [`Authorization: Bearer ${options.token}`] : []),
    ...(options.headers ?? []),
  ];
  socket.write(`${headers.join('\r\n')}\r\n\r\n`);
  const pieces = options.pieces ?? 1;
  const size = Math.ceil(options.body.length / pieces);
  let sent = 0;
  const send = () => {
    if (socket.destroyed || sent >= options.body.length) return;
    const piece = options.body.slice(sent, sent + size);
    sent += piece.length;
    const last = sent >= options.body.length;
    socket.write(
      options.chunked
        ? `${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n${last ? '0\r\n\r\n' : ''}`
        : piece,
    );
    if (!last) setTimeout(send, options.everyMs ?? 0).unref();
  };
  if (options.body.length > 0) send();
  const answer = new Promise<RawAnswer>((resolve) => {
    let text = '';
    const done = () => {
      const [head = '', rest = ''] = text.split('\r\n\r\n');
      const code = /"code":"([A-Z_]+)"/.exec(rest)?.[1] ?? null;
      resolve({
        status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0),
        code,
        connection: /\r\nconnection: *([^\r]*)/i.exec(head)?.[1]?.toLowerCase() ?? null,
        ms: Date.now() - started,
      });
    };
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      // One answer is all this client waits for.
      if (/\r\n\r\n[\s\S]*\}\s*$/.test(text)) done();
    });
    socket.on('close', done);
    socket.on('error', () => undefined);
  });
  return { answer, socket };
}

/** Small bodies over 2 000 bytes, a 40 000-byte share per tenant, a 408 within 1 s + 10 kB/s. */
const SLOW_BODY_LIMITS = {
  MAX_BODY_BYTES: '40000',
  MAX_BODIES_IN_FLIGHT_BYTES: '80000',
  MAX_TENANT_BODIES_IN_FLIGHT_BYTES: '40000',
  SMALL_BODY_BYTES: '2000',
  BODY_GRACE_SECONDS: '1',
  BODY_MIN_BYTES_PER_SECOND: '10000',
  DB_POOL_WAIT_MS: '1500',
};

describe('slow and unauthenticated bodies', () => {
  let gw: TestGateway;
  const [first, second] = twinTenants();
  const tokens = { first: '', second: '' };
  const sockets: Socket[] = [];
  const open = (options: Parameters<typeof trickle>[1]) => {
    const sent = trickle(gw.url, options);
    sockets.push(sent.socket);
    return sent.answer;
  };

  beforeAll(async () => {
    gw = await startTestGateway('postgres', SLOW_BODY_LIMITS);
    await insertTenant(gw.owner, first);
    await insertTenant(gw.owner, second);
    tokens.first = await gw.token(first.customerId, 'analyst');
    tokens.second = await gw.token(second.customerId, 'analyst');
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await gw?.close();
  });

  it('refuses a request without a valid token from its headers, before reading or budgeting its body', async () => {
    // Two stalled bodies without a token announce the whole budget and send nothing.
    const stalled = [
      open({ body: '', announced: 40_000 }),
      open({ body: '', announced: 40_000, token: 'not-a-token' }),
    ];
    for (const answer of await Promise.all(stalled)) {
      expect(answer).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', connection: 'close' });
      expect(answer.ms).toBeLessThan(1000);
    }
    // A stalled chunked body without a token, likewise.
    expect(await open({ body: '', chunked: true })).toMatchObject({ status: 401 });
    // Nothing of theirs is held: an upload of the whole budget goes through at once.
    const started = Date.now();
    const upload = await open({ token: tokens.first, body: body(39_000) });
    expect(upload).toMatchObject({ status: 200, code: null });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('ends a body that arrives too slowly with 408 and gives its bytes back at once', async () => {
    // 39 000 bytes at 10 000 bytes/s after a 1 s grace: due within 4.9 s; sent over ~39 s.
    const slow = open({ token: tokens.first, body: body(39_000), pieces: 39, everyMs: 1000 });
    const chunked = open({
      token: tokens.second,
      body: body(39_000),
      chunked: true,
      pieces: 39,
      everyMs: 1000,
    });
    for (const answer of await Promise.all([slow, chunked])) {
      expect(answer).toMatchObject({ status: 408, code: 'BODY_TOO_SLOW', connection: 'close' });
      expect(answer.ms).toBeGreaterThan(1000);
      expect(answer.ms).toBeLessThan(7000);
    }
    // Their bytes came back: each tenant's whole share is free again.
    const [again, other] = await Promise.all([
      open({ token: tokens.first, body: body(39_000) }),
      open({ token: tokens.second, body: body(39_000) }),
    ]);
    expect(again).toMatchObject({ status: 200, code: null });
    expect(other).toMatchObject({ status: 200, code: null });
  });

  it("keeps one tenant's uploads from starving another tenant's, and queries out of the uploads' queue", async () => {
    // The first tenant fills its share with a slow upload (fast enough to be allowed) and
    // queues two more behind it.
    const hog = [1, 2, 3].map(() =>
      open({ token: tokens.first, body: body(39_000), pieces: 4, everyMs: 800 }),
    );
    await sleep(300);
    let started = Date.now();
    const other = await open({ token: tokens.second, body: body(39_000) });
    expect(other).toMatchObject({ status: 200, code: null });
    expect(Date.now() - started).toBeLessThan(1000);
    // A small body of the hogging tenant itself does not wait behind its uploads.
    started = Date.now();
    const query = await open({ token: tokens.first, body: JSON.stringify({ query: QUERY }) });
    expect(query).toMatchObject({ status: 200, code: null });
    expect(Date.now() - started).toBeLessThan(1000);
    const outcomes = await Promise.all(hog);
    expect(outcomes.filter((o) => o.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(outcomes.every((o) => o.status === 200 || o.code === 'OVERLOADED')).toBe(true);
  });
});

describe('the persisted-operation policy of partners, before their bodies are budgeted', () => {
  let gw: TestGateway;
  const [tenant] = twinTenants();
  const tokens = { partner: '', analyst: '' };
  const sockets: Socket[] = [];
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const trusted = sha256(QUERY);
  const untrusted = sha256('{ viewer { customerId } }');
  const pad = 'x'.repeat(38_000);
  const open = (options: Parameters<typeof trickle>[1]) => {
    const sent = trickle(gw.url, options);
    sockets.push(sent.socket);
    return sent.answer;
  };
  /** Sent by a partner: the headers, then only `prefix` of a body announced as 39 000 bytes. */
  const stalled = (prefix: string, headers: string[] = []) =>
    open({ token: tokens.partner, body: prefix, announced: 39_000, headers });

  beforeAll(async () => {
    gw = await startTestGateway('postgres', SLOW_BODY_LIMITS, {
      trustedDocuments: new Map([[trusted, QUERY]]),
    });
    await insertTenant(gw.owner, tenant);
    tokens.partner = await gw.token(tenant.customerId, 'partner');
    tokens.analyst = await gw.token(tenant.customerId, 'analyst');
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await gw?.close();
  });

  it('refuses what the request line, the headers or the first bytes show not to run a trusted document, without waiting for the body', async () => {
    const refusals = await Promise.all([
      stalled(`{"query": ${JSON.stringify(QUERY)}, "variables": {"pad": "`),
      stalled(`{"documentId": "${untrusted}", "variables": {"pad": "`),
      stalled(`{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "${untrusted}"}}, `),
      stalled('', [`X-Apollo-Operation-Id: ${untrusted}`]),
      open({
        token: tokens.partner,
        body: '',
        announced: 39_000,
        contentType: 'application/graphql',
      }),
      // No id within the first 2 000 bytes (SMALL_BODY_BYTES).
      stalled(`{"variables": {"pad": "${'x'.repeat(3000)}`),
    ]);
    expect(refusals.map((r) => [r.status, r.code, r.connection])).toEqual([
      [403, 'PERSISTED_QUERY_ONLY', 'close'],
      [404, 'PERSISTED_QUERY_NOT_IN_LIST', 'close'],
      [404, 'PERSISTED_QUERY_NOT_IN_LIST', 'close'],
      [404, 'PERSISTED_QUERY_NOT_IN_LIST', 'close'],
      [403, 'PERSISTED_QUERY_ONLY', 'close'],
      [400, 'PERSISTED_QUERY_ID_REQUIRED', 'close'],
    ]);
    for (const refusal of refusals) expect(refusal.ms).toBeLessThan(1000);
    const response = await fetch(`${gw.url}/graphql?query=${encodeURIComponent(QUERY)}`, {
      headers: { authorization: `Bearer ${tokens.partner}`, 'x-graphql-csrf': '1' },
    });
    expect(response.status).toBe(403);
  });

  it("holds only a small body's budget while the first bytes do not tell, so its tenant's uploads go on", async () => {
    // A partner's body that trickles (fast enough to be allowed) without naming an operation.
    const trickling = open({
      token: tokens.partner,
      body: `{"variables": {"pad": "${pad}"}}`,
      pieces: 100,
      everyMs: 50,
    });
    await sleep(300);
    const started = Date.now();
    const upload = await open({ token: tokens.analyst, body: body(39_000) });
    expect(upload).toMatchObject({ status: 200, code: null });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await trickling).toMatchObject({ status: 400, code: 'PERSISTED_QUERY_ID_REQUIRED' });
  });

  it('lets a large body through once it names a trusted document, first in its body or in X-Apollo-Operation-Id', async () => {
    const first = await open({
      token: tokens.partner,
      body: JSON.stringify({ documentId: trusted, variables: { pad } }),
    });
    expect(first).toMatchObject({ status: 200, code: null });
    const apq = (hash: string) =>
      JSON.stringify({
        variables: { pad },
        extensions: { persistedQuery: { version: 1, sha256Hash: hash } },
      });
    const header = [`X-Apollo-Operation-Id: ${trusted}`];
    expect(
      await open({ token: tokens.partner, body: apq(trusted), headers: header }),
    ).toMatchObject({ status: 200, code: null });
    // The header names a trusted document; the body must run that one.
    expect(
      await open({ token: tokens.partner, body: apq(untrusted), headers: header }),
    ).toMatchObject({ status: 400, code: 'PERSISTED_QUERY_ID_MISMATCH' });
  });
});
