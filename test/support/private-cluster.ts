import { execFile } from 'node:child_process';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './foundation-process.js';

const run = promisify(execFile);
const BIN = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL cluster of the test's own (never the machine's shared server), so that it can
 * be stopped, restarted and killed under load.
 */
export interface PrivateCluster {
  /** Connection URL of its `postgres` database. */
  url: string;
  port: number;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /**
   * SIGSTOP to every process of the cluster (postmaster and backends): connections stay open
   * and nothing answers, as with a host that hangs.
   */
  freeze(): Promise<void>;
  /** SIGCONT to every process of the cluster. */
  thaw(): Promise<void>;
  /** Stops it for good and removes its files. */
  destroy(): Promise<void>;
}

// The server refuses to run as root: CI runs the tests as root, so the cluster belongs to the
// `postgres` user and its commands run as that user.
async function asPostgres(command: string, args: string[]): Promise<void> {
  const root = process.getuid?.() === 0;
  await run(root ? 'runuser' : command, root ? ['-u', 'postgres', '--', command, ...args] : args, {
    timeout: 60_000,
  });
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', ['postgres']);
  const uid = Number(/uid=(\d+)/.exec(stdout)?.[1]);
  const gid = Number(/gid=(\d+)/.exec(stdout)?.[1]);
  return { uid, gid };
}

/** Creates and starts a new cluster in a temporary directory on a free loopback port. */
export async function startPrivateCluster(): Promise<PrivateCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'shelfops-cluster-'));
  if (process.getuid?.() === 0) {
    const { uid, gid } = await postgresIds();
    await chown(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const port = await freePort();
  await asPostgres(join(BIN, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--no-sync',
  ]);
  const pgCtl = (args: string[]) => asPostgres(join(BIN, 'pg_ctl'), ['-D', data, ...args]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40`;
  const start = () => pgCtl(['-w', '-t', '60', '-l', join(dir, 'log'), '-o', options, 'start']);
  await start();
  // The postmaster (first line of postmaster.pid) and its children, children first.
  const processes = async (): Promise<number[]> => {
    const postmaster = Number(
      (await readFile(join(data, 'postmaster.pid'), 'utf8')).split('\n')[0],
    );
    const { stdout } = await run('pgrep', ['-P', String(postmaster)]).catch(() => ({ stdout: '' }));
    return [...stdout.split('\n').filter(Boolean).map(Number), postmaster];
  };
  const signal = async (name: NodeJS.Signals) => {
    for (const pid of await processes()) process.kill(pid, name);
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: (mode = 'fast') => pgCtl(['-w', '-t', '60', '-m', mode, 'stop']),
    start,
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
    async destroy() {
      await signal('SIGCONT').catch(() => undefined);
      await pgCtl(['-m', 'immediate', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
