import { connect } from 'node:net';
import type { PoolClient } from './pool.js';

// The protocol's CancelRequest code (1234 << 16 | 5678).
const CANCEL_REQUEST = 80_877_102;
const CANCEL_TIMEOUT_MS = 2000;

// What pg keeps of a connection that a cancel request needs (set from BackendKeyData).
interface BackendKey {
  processID: number | null;
  secretKey: number | null;
  host: string;
  port: number;
}

/**
 * Asks PostgreSQL to cancel the statement running on `client`, over a connection of its own
 * (a CancelRequest needs no login and no pooled connection, so it works when the pool is
 * exhausted). Resolves once the server has taken the request; never rejects.
 */
export function cancelStatement(client: PoolClient): Promise<void> {
  const { processID, secretKey, host, port } = client as unknown as BackendKey;
  if (processID === null || secretKey === null) return Promise.resolve();
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(CANCEL_REQUEST, 4);
  message.writeInt32BE(processID, 8);
  message.writeInt32BE(secretKey, 12);
  return new Promise((resolve) => {
    const socket = host.startsWith('/')
      ? connect(`${host}/.s.PGSQL.${port}`)
      : connect({ host, port });
    socket.setTimeout(CANCEL_TIMEOUT_MS, () => socket.destroy());
    socket.once('connect', () => socket.end(message));
    socket.once('error', () => undefined);
    socket.once('close', () => resolve());
  });
}
