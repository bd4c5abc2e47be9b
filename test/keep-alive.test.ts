import type { Socket as ServerSocket } from 'node:net';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';

// Short, so that the idle timer fires within the test (Node adds a second of its own).
const KEEP_ALIVE_MS = 200;
const HEALTH = 'GET /health HTTP/1.1\r\nHost: gateway\r\n\r\n';

/** The bytes of the first whole HTTP/1.1 answer in `bytes` (by length or chunks), or null. */
function answerSize(bytes: Buffer): number | null {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = bytes.subarray(0, end).toString('latin1');
  let at = end + 4;
  if (!/\r\ntransfer-encoding: *chunked/i.test(head)) {
    at += Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    return bytes.length >= at ? at : null;
  }
  for (;;) {
    const line = bytes.indexOf('\r\n', at);
    if (line < 0) return null;
    const chunk = parseInt(bytes.subarray(at, line).toString('latin1'), 16);
    at = line + 2 + chunk + 2;
    if (bytes.length < at) return null;
    if (chunk === 0) return at;
  }
}

/** A kept-alive connection written byte for byte, so that the test decides when a request goes. */
class RawConnection {
  private buffered = Buffer.alloc(0);
  private waiting: (() => void) | null = null;
  closedAt: number | null = null;
  failure: string | null = null;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.waiting?.();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.failure = error.code ?? error.message;
    });
    socket.on('close', () => {
      this.closedAt = performance.now();
      this.waiting?.();
    });
  }

  static async open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawConnection(socket);
  }

  /** The status of the next whole answer, or how the connection ended before one came. */
  async answer(): Promise<number | string> {
    for (;;) {
      const size = answerSize(this.buffered);
      if (size !== null) {
        const status = Number(this.buffered.subarray(9, 12).toString('latin1'));
        this.buffered = this.buffered.subarray(size);
        return status;
      }
      if (this.closedAt !== null) return this.failure ?? 'closed';
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The server's end of the next connection it accepts, with the times its idle timer fired. */
function nextServerSocket(
  gateway: TestGateway,
): Promise<{ socket: ServerSocket; timeouts: number[] }> {
  return new Promise((resolve) =>
    gateway.server.once('connection', (socket: ServerSocket) => {
      const timeouts: number[] = [];
      // Listening on the socket (not the server) leaves the decision to the gateway's listener.
      socket.on('timeout', () => timeouts.push(performance.now()));
      resolve({ socket, timeouts });
    }),
  );
}

describe('kept-alive connections (PostgreSQL server)', () => {
  let gateway: TestGateway;
  const open: RawConnection[] = [];

  beforeAll(async () => {
    gateway = await startTestGateway('postgres');
    gateway.server.keepAliveTimeout = KEEP_ALIVE_MS;
  });
  afterAll(async () => {
    for (const connection of open) connection.close();
    await gateway?.close();
  });

  const openConnection = async () => {
    const accepted = nextServerSocket(gateway);
    const connection = await RawConnection.open(gateway.url);
    open.push(connection);
    return { connection, server: await accepted };
  };

  it('answers a request that waited while the event loop was busy past the idle timeout', async () => {
    const { connection } = await openConnection();
    // On the first answer (read in the loop's I/O phase, with the server's idle timer armed),
    // the next request goes and this thread, which is the gateway's, is held as a long
    // statement of the embedded database holds it: the timer expires with the request unread.
    connection.socket.once('data', () => {
      connection.socket.write(HEALTH);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, KEEP_ALIVE_MS + 1800);
    });
    connection.socket.write(HEALTH);
    expect(await connection.answer()).toBe(200);
    expect(await connection.answer()).toBe(200);
  });

  it('answers a request sent once the idle timer fired, and closes the connection after the grace', async () => {
    const { connection, server } = await openConnection();
    connection.socket.write(HEALTH);
    expect(await connection.answer()).toBe(200);
    // The client is late: its next request leaves only once the server's idle timer fired.
    await new Promise<void>((resolve) =>
      server.socket.once('timeout', () => setImmediate(resolve)),
    );
    expect(server.socket.destroyed).toBe(false);
    connection.socket.write(HEALTH);
    expect(await connection.answer()).toBe(200);
    const answered = performance.now();
    server.timeouts.length = 0;
    // Left idle, it is closed: the timer fires once more after the grace, with nothing read.
    expect(await connection.answer()).toBe('closed');
    expect(server.timeouts).toHaveLength(2);
    const [first = 0, second = 0] = server.timeouts;
    expect(first - answered).toBeGreaterThanOrEqual(KEEP_ALIVE_MS);
    expect(second - first).toBeGreaterThanOrEqual(KEEP_ALIVE_MS - 5);
    expect((connection.closedAt ?? 0) - answered).toBeLessThan(10_000);
  });
});
