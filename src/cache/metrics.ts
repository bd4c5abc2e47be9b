import { Counter, type Registry } from 'prom-client';

/** Cache lookups by outcome: `hit`, `miss`, or `error` when the store could not answer. */
export const responseCacheLookups = new Counter({
  name: 'shelfops_response_cache_lookups_total',
  help: 'Response cache lookups of GraphQL queries by outcome (hit, miss, error).',
  labelNames: ['outcome'] as const,
  registers: [],
});

/** Data version bumps after committed writes, and the ones that failed. */
export const dataVersionBumps = new Counter({
  name: 'shelfops_data_version_bumps_total',
  help: 'Per-tenant data version bumps after committed writes by outcome (ok, error).',
  labelNames: ['outcome'] as const,
  registers: [],
});

/** Adds the response cache's counters to `registry` (once; later calls are no-ops). */
export function registerResponseCacheMetrics(registry: Registry): void {
  const metrics = [
    ['shelfops_response_cache_lookups_total', responseCacheLookups],
    ['shelfops_data_version_bumps_total', dataVersionBumps],
  ] as const;
  for (const [name, metric] of metrics) {
    if (!registry.getSingleMetric(name)) registry.registerMetric(metric);
  }
}
