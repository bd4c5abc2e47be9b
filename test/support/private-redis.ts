import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { freePort } from './foundation-process.js';
import { waitFor } from './lifecycle.js';

/**
 * A redis-server of the test's own on a free loopback port (never the machine's shared one),
 * so that it can be frozen with SIGSTOP and continued.
 */
export interface PrivateRedis {
  url: string;
  /** SIGSTOP: the server keeps its connections but answers nothing. */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
  /** Kills it (continued first, so it can die). */
  destroy(): Promise<void>;
}

/** Starts a redis-server without persistence and waits until it answers. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  probe.on('error', () => undefined);
  await waitFor(() =>
    probe.ping().then(
      () => true,
      () => false,
    ),
  );
  probe.disconnect();
  const signal = (name: NodeJS.Signals) => {
    if (server.exitCode === null && server.pid !== undefined) process.kill(server.pid, name);
  };
  return {
    url,
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
    async destroy() {
      if (server.exitCode !== null) return;
      signal('SIGCONT');
      signal('SIGKILL');
      await once(server, 'exit');
    },
  };
}
