import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const require = createRequire(import.meta.url);

/**
 * The files that take a minute or more (the browser, gateway processes on databases of their
 * own, suites on every backend), longest first, as a full run on two idle cores measured them
 * (SQL plans 105 s, migrations 96 s, the dashboard 93 s, start 89 s ... analytics model 30 s).
 * Since then embedded-restart (87 s) no longer loads the whole demo and tenants no longer starts
 * npx for each command: alone, on the same machine as their earlier versions, each takes about
 * half the time it took (and migrations a little less), so they moved down.
 */
const SLOWEST = [
  'sales-plans',
  'migrations',
  'dashboard',
  'start',
  'readme-walkthrough',
  'isolation',
  'lifecycle-process',
  'embedded-restart',
  'tenant-zone',
  'persisted',
  'ingest-scheduler',
  'import',
  'tenants',
  'archive',
  'operator',
  'inventory-batching',
  'analytics-model',
  'seed',
  'sales',
  'calendars',
];

/**
 * Starts the slowest files first, so that the run never ends on one worker still busy with one
 * of them while the other has long finished; the rest keep vitest's order (longest last time,
 * or largest). A fresh checkout (CI) has no durations from a last run to go by.
 */
class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const index = SLOWEST.findIndex((name) => file.moduleId.endsWith(`/test/${name}.test.ts`));
      return index < 0 ? SLOWEST.length : index;
    };
    const order = await super.sort(files);
    return order
      .map((file, index) => ({ file, index, rank: rank(file) }))
      .sort((a, b) => a.rank - b.rank || a.index - b.index)
      .map(({ file }) => file);
  }
}

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS build for the libraries; the tests must use that one too,
    // or GraphQLError from two copies of graphql would not be recognised as the same class.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    sequence: { sequencer: SlowestFirst },
    pool: 'forks',
    // A worker runs its files one after another in one process, which imports the gateway's
    // modules (schema, Pothos, yoga, pg) once instead of once per file: about 2 s of each file's
    // time. The files share no state through them: no mocks, no process.env writes, module
    // caches that only memoise, and every test closes what it opens.
    isolate: false,
    maxWorkers: 2,
  },
});
