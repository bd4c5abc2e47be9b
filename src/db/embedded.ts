import { mkdir, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { timescaledb } from '@electric-sql/pglite/timescaledb';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

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

/** Starts PGlite with the TimescaleDB extension and exposes it through pglite-socket. */
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
  // pglite-socket serves one connection at a time: the gateway's pool has exactly one.
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1' });
  await server.start();
  const address = server.getServerConn();
  return {
    url: `postgres://postgres@${address}/postgres`,
    dataDir,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}
