import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const exec = promisify(execFile);

// The machines run Node.js 20 and the Docker image Node.js 22: every package of the lock file
// must accept the Node.js this runs on, or `npm install` warns EBADENGINE (package.json's
// overrides hold the dependencies of dependencies that dropped Node.js 20 at versions that
// did not).
it('installs the locked dependencies without an engine warning', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'shelfops-engines-'));
  try {
    await copyFile('package.json', join(dir, 'package.json'));
    await copyFile('package-lock.json', join(dir, 'package-lock.json'));
    const { stdout, stderr } = await exec(
      'npm',
      ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'],
      { cwd: dir, timeout: 120_000 },
    );
    expect(`${stdout}\n${stderr}`).not.toMatch(/EBADENGINE/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 180_000);
