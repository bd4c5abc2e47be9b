import { rmSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A data directory held by this process. */
export interface DataDirLock {
  release(): Promise<void>;
}

/** Thrown when another live process holds the data directory. */
export class DataDirInUseError extends Error {
  constructor(dataDir: string, pid: number) {
    super(
      `the embedded data directory ${dataDir} is in use by process ${pid}; stop that process ` +
        `or set EMBEDDED_DATA_DIR to another directory`,
    );
    this.name = 'DataDirInUseError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function createLockFile(file: string): Promise<boolean> {
  try {
    const handle = await open(file, 'wx', 0o600);
    await handle.writeFile(`${process.pid}\n`);
    await handle.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Takes the data directory for this process, as PostgreSQL's postmaster.pid does: PGlite
 * itself would let two processes write the same files and corrupt them. The lock is a file
 * beside the directory (`<dir>.lock`: PGlite initialises only an empty directory) holding the
 * holder's process id; one left by a process that no longer runs (SIGKILL) is taken over.
 * A process that exits without releasing it (a command that stops at a refusal, a gateway
 * whose shutdown was cut short) still removes it as it exits.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await mkdir(dirname(dataDir), { recursive: true });
  const file = `${dataDir}.lock`;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (await createLockFile(file)) {
      const atExit = () => rmSync(file, { force: true });
      process.once('exit', atExit);
      return {
        async release() {
          process.off('exit', atExit);
          await rm(file, { force: true });
        },
      };
    }
    const holder = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(holder) && isAlive(holder)) {
      throw new DataDirInUseError(dataDir, holder);
    }
    await rm(file, { force: true });
  }
  throw new Error(`could not lock the embedded data directory ${dataDir}`);
}
