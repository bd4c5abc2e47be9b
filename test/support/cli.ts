import { execFile, type ExecFileOptions } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Runs `src/cli/<script>.ts` with `args` as its npm script runs it (TypeScript through tsx), in
 * one Node.js process: `node --import tsx`, not `npx tsx`, whose npx and tsx launchers are two
 * more Node.js processes to start for every command. Rejects, as execFile does, with the exit
 * code, stdout and stderr of a command that fails.
 */
export function runCli(
  script: string,
  args: readonly string[],
  options: ExecFileOptions = {},
): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', `src/cli/${script}.ts`, ...args], {
    ...options,
    encoding: 'utf8',
  });
}
