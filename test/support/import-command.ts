import { readFile } from 'node:fs/promises';
import { TEST_SECRET, type TestGateway } from './gateway.js';
import { runCli } from './cli.js';

/** Runs `npm run import -- <args>` on the gateway's database server; `env` adds variables. */
export function runImportCommand(
  gw: TestGateway,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string }> {
  return runCli('import', args, {
    // A command that hangs fails its test instead of holding the run.
    timeout: 50_000,
    env: {
      ...process.env,
      DATABASE_URL: gw.config.databaseUrl,
      JWT_SECRET: TEST_SECRET,
      NODE_ENV: 'test',
      ...env,
    },
  });
}

/** The [line number, reason] pairs of a refused-lines file, in its order. */
export async function refusedLines(file: string): Promise<string[][]> {
  return (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t').slice(0, 2));
}
