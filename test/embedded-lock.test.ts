import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirInUseError } from '../src/db/data-dir-lock.js';
import { startEmbeddedDatabase } from '../src/db/embedded.js';
import { createPool } from '../src/db/pool.js';

describe('one process per embedded data directory', () => {
  let parent: string;
  let dataDir: string;

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'shelfops-lock-'));
    dataDir = join(parent, 'data');
  });
  afterAll(() => rm(parent, { recursive: true, force: true }));

  it('refuses a directory another open database holds, with a clear message', async () => {
    const first = await startEmbeddedDatabase({ dataDir });
    try {
      const second = startEmbeddedDatabase({ dataDir });
      await expect(second).rejects.toBeInstanceOf(DataDirInUseError);
      await expect(second).rejects.toThrow(/in use by process \d+; stop that process/);
    } finally {
      await first.close();
    }
    const again = await startEmbeddedDatabase({ dataDir });
    const pool = createPool(again, 1);
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await pool.end();
    await again.close();
  });

  it('takes over the lock of a process that no longer runs (killed with SIGKILL)', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    await writeFile(`${dataDir}.lock`, `${gone.stdout.toString()}\n`);
    const reopened = await startEmbeddedDatabase({ dataDir });
    await reopened.close();
  });

  it('removes the lock when a process exits without releasing it (a command stopping at a refusal)', () => {
    const lockModule = new URL('../src/db/data-dir-lock.ts', import.meta.url).href;
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { existsSync } = await import('node:fs');
         const { lockDataDir } = await import(${JSON.stringify(lockModule)});
         await lockDataDir(${JSON.stringify(dataDir)});
         process.stdout.write(String(existsSync(${JSON.stringify(`${dataDir}.lock`)})));
         process.exit(2);`,
      ],
      { encoding: 'utf8' },
    );
    expect(child.stderr).toBe('');
    expect(child.stdout).toBe('true');
    expect(child.status).toBe(2);
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
  });
});
