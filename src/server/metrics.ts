import { timingSafeEqual } from 'node:crypto';
import { getOperationAST, type GraphQLError } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
} from 'prom-client';
import type { RequestAuthenticator } from '../auth/request-auth.js';
import type { Pool } from '../db/pool.js';

/** Most distinct operation names labelled at once; the least recently used give way. */
const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const KINDS = ['query', 'mutation', 'subscription', 'unknown'];
const OUTCOMES = ['ok', 'error', 'hit'];
// The name of a cached query's operation, read without parsing (a hit is never parsed): only
// names already labelled are used, so a wrong guess costs nothing but the label "other".
const QUERY_NAME = /^\s*query\s+([A-Za-z_][A-Za-z0-9_]*)/;

// Why a token was refused, from the verifier's message: a closed set of label values.
const AUTH_REASONS: [string, RegExp][] = [
  ['token_in_url', /in the URL/i],
  ['missing', /missing/i],
  ['malformed', /must be "Bearer|malformed|not a JWT|invalid compact/i],
  ['expired', /expired/i],
  ['not_yet_valid', /not (yet )?valid|nbf/i],
  ['audience', /audience/i],
  ['issuer', /issuer/i],
  ['signature', /signature/i],
  ['algorithm', /algorithm|alg/i],
  ['key', /key|kid/i],
  ['claims', /claim|customer_id|role|store_ids/i],
];

/**
 * The gateway's Prometheus registry: Node process figures, the pool, operations by name,
 * authentication failures and rate-limit refusals. Other modules add their own figures
 * (cache hits, refresh lag) through `counter` and `gauge`.
 */
export class Metrics {
  readonly registry = new Registry();
  /**
   * Names of operations that succeeded: only these become labels, so names made up by a client
   * (a new one per request) never take the place of the operations in use, and a name that
   * gives way takes its series with it.
   */
  private readonly operationNames = new LRUCache<string, true>({
    max: MAX_OPERATION_NAMES,
    dispose: (_value, name) => {
      for (const kind of KINDS) {
        for (const outcome of OUTCOMES) this.operations.remove({ operation: name, kind, outcome });
      }
    },
  });
  readonly operations: Histogram<'operation' | 'kind' | 'outcome'>;
  readonly authFailures: Counter<'reason'>;
  readonly rateLimited: Counter;
  readonly refusals: Counter<'code'>;

  constructor(pool: Pool) {
    collectDefaultMetrics({ register: this.registry, prefix: 'shelfops_' });
    // Gauges named like counters, which `promtool check metrics` rejects; the active resources
    // by type (shelfops_nodejs_active_resources) stay.
    for (const name of [
      'active_handles_total',
      'active_requests_total',
      'active_resources_total',
    ]) {
      this.registry.removeSingleMetric(`shelfops_nodejs_${name}`);
    }
    this.gauge({
      name: 'shelfops_db_pool_connections',
      help: 'Connections of the database pool, by state (total, idle, waiting clients).',
      labelNames: ['state'],
      collect() {
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
    this.operations = new Histogram({
      name: 'shelfops_graphql_operation_duration_seconds',
      help: 'Time of GraphQL operations by operation name, kind and outcome: ok or error (execution), hit (answered from the response cache, request to answer).',
      labelNames: ['operation', 'kind', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.authFailures = this.counter({
      name: 'shelfops_auth_failures_total',
      help: 'Requests refused for their token, by reason.',
      labelNames: ['reason'],
    });
    this.rateLimited = this.counter({
      name: 'shelfops_rate_limit_refusals_total',
      help: 'Requests refused by the per-tenant rate limit (HTTP 429).',
    });
    this.refusals = this.counter({
      name: 'shelfops_graphql_errors_total',
      help: 'Errors returned to clients, by extensions.code.',
      labelNames: ['code'],
    });
  }

  /** Registers a counter on this registry (its name should end in `_total`). */
  counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return new Counter({ ...config, registers: [this.registry] });
  }

  /** Registers a gauge on this registry. */
  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return new Gauge({ ...config, registers: [this.registry] });
  }

  /**
   * Records a query answered from the response cache: `seconds` from request to answer; `name`
   * is its `hitName`.
   */
  observeHit(name: string | undefined, seconds: number): void {
    this.operations.observe(
      { operation: this.operationLabel(name, false), kind: 'query', outcome: 'hit' },
      seconds,
    );
  }

  /**
   * A bounded label for a client-chosen operation name: the name itself once an operation of
   * that name has succeeded (`succeeded` records that it did), else "other".
   */
  operationLabel(name: string | null | undefined, succeeded: boolean): string {
    if (!name) return 'anonymous';
    if (!OPERATION_NAME.test(name)) return 'invalid';
    if (succeeded) this.operationNames.set(name, true);
    return this.operationNames.get(name) ? name : 'other';
  }
}

/**
 * The name a hit of `params` is recorded under: its operation name, else the name its document
 * gives its query. The same for every hit of the same request, so a caller may keep it.
 */
export function hitName(
  params: Pick<GraphQLParams, 'operationName' | 'query'>,
): string | undefined {
  const { operationName, query } = params;
  return operationName ?? (query ? QUERY_NAME.exec(query)?.[1] : undefined);
}

/** The reason label of a refused token's message. */
export function authFailureReason(message: string): string {
  return AUTH_REASONS.find(([, pattern]) => pattern.test(message))?.[0] ?? 'other';
}

/** Counts each request whose token is refused, once, by reason. */
export function countingAuthFailures(
  authenticate: RequestAuthenticator,
  metrics: Metrics,
): RequestAuthenticator {
  const counted = new WeakSet<Request>();
  return {
    viewer(request) {
      const viewer = authenticate.viewer(request);
      if (!counted.has(request)) {
        counted.add(request);
        viewer.catch((error: unknown) => {
          const message = error instanceof Error ? error.message : '';
          metrics.authFailures.inc({ reason: authFailureReason(message) });
        });
      }
      return viewer;
    },
    verified: (request) => authenticate.verified(request),
    // Refusals there are counted when the request takes the full path again.
    fromHeaders: (url, authorization) => authenticate.fromHeaders(url, authorization),
    // Known viewers were admitted: nothing to count.
    known: (url, authorization) => authenticate.known(url, authorization),
  };
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether `result` is an answer of the response cache. */
function isCacheHit(result: unknown): boolean {
  const extensions = (result as { extensions?: { responseCache?: { hit?: unknown } } }).extensions;
  return extensions?.responseCache?.hit === true;
}

/**
 * Serves `/metrics` (with METRICS_TOKEN: only to `Authorization: Bearer <token>`) and records
 * every operation's duration under its name, never the URL, whose query string is unbounded
 * and may carry variables; answers of the response cache (which never execute) are recorded
 * as hits, from the request to the answer.
 */
export function useMetrics(metrics: Metrics, token: string | undefined): Plugin {
  // From before the body is read: a hit's time is the whole of its request.
  const started = new WeakMap<Request, { at: number; params?: GraphQLParams }>();
  return {
    onRequestParse({ request }) {
      started.set(request, { at: performance.now() });
    },
    onParams({ request, params }) {
      const start = started.get(request);
      if (start) start.params = params;
    },
    async onRequest({ url, request, endResponse, fetchAPI }) {
      if (url.pathname !== '/metrics') return;
      if (token) {
        const given = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
        if (!given || !sameToken(given, token)) {
          endResponse(
            new fetchAPI.Response('metrics need Authorization: Bearer <METRICS_TOKEN>\n', {
              status: 401,
              headers: { 'www-authenticate': 'Bearer realm="metrics"' },
            }),
          );
          return;
        }
      }
      endResponse(
        new fetchAPI.Response(await metrics.registry.metrics(), {
          headers: { 'content-type': metrics.registry.contentType },
        }),
      );
    },
    onExecute({ args }) {
      const operation = getOperationAST(args.document, args.operationName);
      const name = operation?.name?.value ?? args.operationName;
      const kind = operation?.operation ?? 'unknown';
      const start = performance.now();
      return {
        onExecuteDone({ result }) {
          const failed = !(Symbol.asyncIterator in result) && (result.errors?.length ?? 0) > 0;
          metrics.operations.observe(
            {
              operation: metrics.operationLabel(name, !failed),
              kind,
              outcome: failed ? 'error' : 'ok',
            },
            (performance.now() - start) / 1000,
          );
        },
      };
    },
    onResultProcess({ request, result }) {
      if (Array.isArray(result) || Symbol.asyncIterator in result) return;
      const start = started.get(request);
      if (start?.params && isCacheHit(result)) {
        metrics.observeHit(hitName(start.params), (performance.now() - start.at) / 1000);
      }
      for (const error of (result as { errors?: readonly GraphQLError[] }).errors ?? []) {
        const code = error.extensions?.code;
        const label = typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? code : 'OTHER';
        metrics.refusals.inc({ code: label });
        if (code === 'RATE_LIMITED') metrics.rateLimited.inc();
      }
    },
  };
}
