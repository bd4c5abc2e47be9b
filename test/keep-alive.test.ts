import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTenant, twinTenants } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

/** Node's own default: a server closing idle connections after it races clients reusing them. */
const NODE_DEFAULT_KEEP_ALIVE_MS = 5_000;

/** One HTTP/1.1 request on `socket`; resolves with the raw response once its body is whole. */
function exchange(socket: Socket, url: URL, token: string): Promise<string> {
  const body = JSON.stringify({ query: '{ __typename }' });
  return new Promise((resolve, reject) => {
    let received = '';
    const onData = (chunk: Buffer) => {
      received += chunk.toString('utf8');
      const split = received.indexOf('\r\n\r\n');
      if (split < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(received.slice(0, split))?.[1]);
      if (Buffer.byteLength(received.slice(split + 4)) < length) return;
      socket.off('data', onData).off('close', onClose);
      resolve(received);
    };
    const onClose = () => reject(new Error(`connection closed; received: ${received}`));
    socket.on('data', onData).once('close', onClose);
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
}

describe('kept-alive connections', () => {
  const [tenant] = twinTenants();
  let gw: TestGateway;
  let token = '';
  beforeAll(async () => {
    gw = await startTestGateway('postgres');
    await insertTenant(gw.owner, tenant);
    token = await gw.token(tenant.customerId);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('answers a request sent on a connection idle for longer than Node.js keeps one', async () => {
    const url = new URL(gw.url);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    try {
      const first = await exchange(socket, url, token);
      expect(first).toMatch(/^HTTP\/1\.1 200/);
      expect(first).toMatch(/keep-alive: timeout=65\r\n/i);
      await sleep(NODE_DEFAULT_KEEP_ALIVE_MS + 1_000);
      const second = await exchange(socket, url, token);
      expect(second).toMatch(/^HTTP\/1\.1 200/);
      expect(second).toContain('"__typename":"Query"');
    } finally {
      socket.destroy();
    }
  });

  it('closes an idle connection after HTTP_KEEP_ALIVE_TIMEOUT_MS', async () => {
    const short = await startTestGateway('postgres', { HTTP_KEEP_ALIVE_TIMEOUT_MS: '300' });
    await insertTenant(short.owner, tenant);
    try {
      const url = new URL(short.url);
      const socket = connect(Number(url.port), url.hostname);
      await new Promise((resolve) => socket.once('connect', resolve));
      const closed = new Promise((resolve) => socket.once('close', resolve));
      expect(await exchange(socket, url, await short.token(tenant.customerId))).toMatch(
        /^HTTP\/1\.1 200/,
      );
      const started = performance.now();
      await closed;
      expect(performance.now() - started).toBeLessThan(NODE_DEFAULT_KEEP_ALIVE_MS);
    } finally {
      await short.close();
    }
  });
});
