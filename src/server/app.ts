import { randomUUID } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import { createRequestAuthenticator } from '../auth/request-auth.js';
import { createTenantGate, tenantRefusal } from '../auth/tenant-gate.js';
import { mintToken, type TokenVerifier } from '../auth/tokens.js';
import { createResponseCache } from '../cache/index.js';
import type { Config } from '../config.js';
import type { GraphQLContext } from '../context.js';
import { alertEventHub } from '../alerts/alert-events.js';
import { dashboardDocuments, dashboardOperations } from '../dashboard/documents.js';
import { useDashboard } from '../dashboard/page.js';
import type { Database } from '../db/database.js';
import { rollupFreshness } from '../db/freshness.js';
import { DEADLINE_MARGIN_MS, RequestDb, type RequestSettings } from '../db/request-db.js';
import { LoaderCache } from '../loaders.js';
import { OPERATOR_DATABASE_ROLE } from '../operator/database-report.js';
import { OperatorDesk } from '../operator/desk.js';
import { registerOperatorMetrics } from '../operator/metrics.js';
import { useOperatorDesk } from '../operator/plugin.js';
import { closeRedis, guardRedis, openRedis } from '../redis/guarded-redis.js';
import type { Logger } from '../logger.js';
import { schema } from '../schema.js';
import {
  memoryPersistedQueryStore,
  redisPersistedQueryStore,
  type PersistedQueryStore,
} from './apq-store.js';
import { useAuthentication } from './auth-plugin.js';
import { useCompiledExecution } from './compiled-execution.js';
import { useInputChecks } from './input-checks.js';
import { setCostLimit } from './cost-limit.js';
import { useLimitRefusals } from './limit-refusals.js';
import { useGraphQLPathOnly } from './graphql-path.js';
import { hitFastPath } from './hit-fast-path.js';
import { graphiqlOptions, renderGraphiQL, useGraphiQLAssets } from './graphiql.js';
import { useDocumentLimits, useHiddenSuggestions, usePageSizeLimit } from './limits.js';
import { registerMaintenanceMetrics, registerRetentionMetrics } from './maintenance-metrics.js';
import { countingAuthFailures, Metrics, useMetrics } from './metrics.js';
import { operationGate } from './operation-gate.js';
import { usePersistedOperationPolicy } from './persisted-operations.js';
import { createTenantRateLimiter, useTenantRateLimit } from './rate-limit.js';
import { bodyLanes, useRequestSizeLimits } from './request-size.js';
import { IngestScheduler, useInteractivePriority } from './ingest-scheduler.js';
import { useRefreshBeforeRead } from './refresh-before-read.js';
import { useRequestTransaction } from './transaction-plugin.js';
import { createReadinessProbe, useReadiness } from './readiness.js';
import { UploadWorkers } from './upload-workers.js';
import type { PreparedSales } from '../sales/sale-batch.js';
import { loadTrustedDocuments, type TrustedDocuments } from './trusted-documents.js';
import { createErrorMask, useUnavailableStatus } from './unavailable.js';

export interface AppOptions {
  config: Config;
  database: Database;
  verifier: TokenVerifier;
  logger: Logger;
  /**
   * The embedded demo's analyst token: pre-filled in GraphiQL's headers and offered by the
   * dashboard's sign-in.
   */
  graphiqlToken?: string;
  /** Adds `extensions.sqlStatements` to every response (tests, benchmarks). */
  exposeStatementCount?: boolean;
  /**
   * Redis for the shared persisted-query store and rate limits; by default a client is opened
   * on REDIS_URL (when set) and closed when the gateway is disposed.
   */
  redis?: Redis;
  /** Trusted documents; by default read from TRUSTED_DOCUMENTS_FILE at start. */
  trustedDocuments?: TrustedDocuments;
  /** The registry behind /metrics, for modules that add figures; by default a new one. */
  metrics?: Metrics;
  /**
   * Runs queries and mutations compiled by graphql-jit (default); false keeps graphql's own
   * executor, the reference the compiled path is tested against.
   */
  compiledExecution?: boolean;
  /**
   * The HS256 secret `issueToken` signs with; by default JWT_SECRET (the embedded demo's
   * generated secret when the gateway starts without one).
   */
  tokenSecret?: string | null;
}

/** The one path that serves GraphQL. */
export const GRAPHQL_PATH = '/graphql';

/** The header that lets a GET or form request through CSRF prevention. */
export const CSRF_HEADER = 'x-graphql-csrf';

export type Gateway = YogaServerInstance<Record<string, never>, GraphQLContext>;

/** The node:http handler that answers cache hits before a gateway's pipeline, by gateway. */
const hitPaths = new WeakMap<Gateway, (next: RequestListener) => RequestListener>();

/** How long a gateway's HTTP server keeps an idle connection open, by gateway. */
const keepAliveTimeouts = new WeakMap<Gateway, number>();

/** Builds the GraphQL gateway (a fetch handler) over an open database. */
export function createGateway(options: AppOptions): Gateway {
  const { config, database, verifier, logger } = options;
  const tokenSecret = options.tokenSecret ?? config.jwt.secret ?? null;
  const open = new WeakMap<Request, RequestDb>();
  const metrics = options.metrics ?? new Metrics(database.pool);
  // Reads outside a request's transaction get the same deadline as its round trips.
  const driverDeadlineMs =
    database.embedded === null ? config.statementTimeoutMs + DEADLINE_MARGIN_MS : undefined;
  const authenticate = countingAuthFailures(
    createRequestAuthenticator(
      verifier,
      createTenantGate(database.pool, config.tenantStatusIntervalMs, driverDeadlineMs),
    ),
    metrics,
  );
  const ownRedis = !options.redis && config.redis.url ? openRedis(config.redis.url, logger) : null;
  const client = options.redis ?? ownRedis;
  const redis = client ? guardRedis(client, config.redis, logger) : null;
  const trusted =
    options.trustedDocuments ??
    (config.persisted.trustedDocumentsFile
      ? loadTrustedDocuments(config.persisted.trustedDocumentsFile, schema)
      : new Map<string, string>());
  const shipped = dashboardDocuments(schema);
  const dashboard = {
    operations: dashboardOperations(shipped),
    ...(options.graphiqlToken ? { demoToken: options.graphiqlToken } : {}),
  };
  const apqStore = redis
    ? redisPersistedQueryStore(redis, config.redis.keyPrefix, {
        ttlSeconds: config.persisted.apqTtlSeconds,
      })
    : memoryPersistedQueryStore({
        maxEntries: config.persisted.apqMaxEntries,
        ttlSeconds: config.persisted.apqTtlSeconds,
      });
  const limiter = createTenantRateLimiter(config.rateLimit, redis, config.redis.keyPrefix);
  registerMaintenanceMetrics(metrics, () => database.maintenance.status);
  registerRetentionMetrics(metrics, () => database.maintenance.retentionDeleted);
  const readiness = createReadinessProbe({
    database,
    databaseUrl: config.databaseUrl ?? null,
    timescaledb: config.timescaledb,
    timeoutMs: config.readyTimeoutMs,
    logger,
    maintenance: () => database.maintenance.status,
    ...(redis ? { cache: () => redis.state() } : {}),
  });
  const alertEvents = alertEventHub(database.pool);
  const desk = new OperatorDesk(database, logger, config.slowQueryMs);
  registerOperatorMetrics(metrics, desk, logger);
  const gate = operationGate(trusted, authenticate, config.limits.smallBodyBytes);
  // Half the pool at most for uploads: queries always find a connection.
  const lanes = bodyLanes(config.limits, Math.max(1, Math.floor(config.poolMax / 2)));
  const persistedStore = tolerantStore(apqStore, logger);
  const ingestTimes = { futureToleranceMs: config.limits.futureToleranceSeconds * 1000 };
  const uploadWorkers = new UploadWorkers(config.uploadWorkers, ingestTimes, logger);
  const preparedSales = new WeakMap<Request, PreparedSales>();
  const uploadBodies = metrics.counter({
    name: 'shelfops_upload_bodies_total',
    help: 'JSON upload bodies (over SMALL_BODY_BYTES) by the thread that read them: worker (recordSales lines read off the main thread) or main (any other body, or before a worker was ready).',
    labelNames: ['reader'],
  });
  const readUpload = async (request: Request, body: Uint8Array) => {
    const reading = await uploadWorkers.read(body);
    uploadBodies.inc({ reader: reading.kind === 'prepared' ? 'worker' : 'main' });
    if (reading.kind !== 'prepared') return null;
    preparedSales.set(request, reading.sales);
    return reading.params;
  };
  const responseCache = createResponseCache(config, redis, logger, metrics.registry, authenticate);
  const uploadWaits = metrics.counter({
    name: 'shelfops_upload_chunk_waits_total',
    help: 'Upload insert statements that waited for interactive operations before starting (UPLOAD_YIELD_MS).',
  });
  const uploadWaitSeconds = metrics.counter({
    name: 'shelfops_upload_chunk_wait_seconds_total',
    help: 'Time upload insert statements waited for interactive operations, in seconds.',
  });
  const ingest = new IngestScheduler(
    {
      // Citus refuses a second insert in a transaction whose first ran on a local shard ("cannot
      // switch local execution status"): there an upload stays one statement.
      chunkLines: database.backend === 'citus' ? 0 : config.ingest.chunkLines,
      // The embedded database has one connection, which a waiting upload would hold: the
      // queries it waits for could not run.
      yieldMs: database.embedded === null ? config.ingest.yieldMs : 0,
    },
    {
      waited: (ms) => {
        uploadWaits.inc();
        uploadWaitSeconds.inc(ms / 1000);
      },
    },
  );
  metrics.gauge({
    name: 'shelfops_upload_chunks_waiting',
    help: 'Upload insert statements waiting now for interactive operations to end (UPLOAD_YIELD_MS).',
    collect() {
      this.set(ingest.waiting);
    },
  });
  metrics.gauge({
    name: 'shelfops_interactive_operations',
    help: 'Queries and small mutations executing now: what upload inserts give way to.',
    collect() {
      this.set(ingest.running);
    },
  });

  const gateway = createYoga<Record<string, never>, GraphQLContext>({
    schema,
    batching: false,
    // useRequestSizeLimits bounds bodies (MAX_BODY_BYTES) without streaming each one through
    // a transform as Yoga's own limit does.
    maxRequestBodySize: false,
    extraParamNames: ['documentId'],
    landingPage: false,
    logging: logger,
    healthCheckEndpoint: '/health',
    graphiql: () => graphiqlOptions(new Date(), options.graphiqlToken),
    renderGraphiQL,
    // Unexpected errors reach the client as "Unexpected error." and the log in full.
    // A lost or saturated database is DATABASE_UNAVAILABLE, not an unexpected error.
    maskedErrors: { isDev: config.nodeEnv === 'development', maskError: createErrorMask(logger) },
    context: async ({ request }) => {
      const viewer = await authenticate.viewer(request);
      const operator = viewer.role === 'operator';
      setCostLimit(
        viewer,
        config.limits.maxCost[viewer.role === 'operator' ? 'admin' : viewer.role],
      );
      const requestId = request.headers.get('x-request-id') ?? randomUUID();
      const settings = (statementTimeoutMs: number): RequestSettings => ({
        customerId: viewer.customerId,
        role: viewer.role,
        storeIds: viewer.storeIds,
        statementTimeoutMs,
        driverDeadline: database.embedded === null,
        answersAsJson: database.embedded !== null,
        slowStatements: desk.slowStatements(requestId, viewer.customerId),
        ...(operator ? { databaseRole: OPERATOR_DATABASE_ROLE } : {}),
      });
      // A client that goes away cancels its statement in the server and rolls back.
      const abort = { signal: request.signal, cancelStatement: database.embedded === null };
      const db = new RequestDb(database.pool, settings(config.statementTimeoutMs), abort);
      open.set(request, db);
      return {
        requestId,
        viewer,
        ingestTimes,
        preparedSales: preparedSales.get(request) ?? null,
        bulkInsert: lanes.uploadRequests.has(request) ? ingest : ingest.interactivePacing,
        db,
        loaders: new LoaderCache(),
        backend: database.backend,
        rollups: rollupFreshness(db, {
          pool: database.pool,
          backend: database.backend,
          customerId: viewer.customerId,
          beforeRead: database.refreshBeforeRead,
          onRefreshFailed: (error) =>
            logger.error({ err: error }, 'rollup refresh after commit failed; retried later'),
        }),
        alertEvents,
        openTransaction: (statementTimeoutMs) =>
          new RequestDb(database.pool, settings(statementTimeoutMs)),
        retention: config.retention,
        admission: {
          intervalMs: config.tenantStatusIntervalMs,
          refusal: () => tenantRefusal(database.pool, viewer, driverDeadlineMs),
        },
        issueToken: tokenSecret
          ? (claims) =>
              mintToken({
                ...claims,
                secret: tokenSecret,
                issuer: config.jwt.issuer,
                audience: config.jwt.audience,
              })
          : null,
        extensions: {},
        versionedExtensions: {},
        operator: desk,
      };
    },
    graphqlEndpoint: GRAPHQL_PATH,
    plugins: [
      useGraphQLPathOnly(GRAPHQL_PATH),
      // GET and form posts need the header: browsers cannot add it cross-site without CORS.
      useCSRFPrevention({ requestHeaders: [CSRF_HEADER] }),
      // From the headers alone, in this order, before a byte of the body is budgeted.
      useAuthentication(authenticate),
      ...(limiter ? [useTenantRateLimit(limiter, authenticate, logger)] : []),
      useRequestSizeLimits(
        config.limits,
        config.poolWaitMs,
        (request) => authenticate.verified(request)?.customerId ?? '',
        lanes,
        gate,
        config.uploadWorkers > 0 ? readUpload : undefined,
      ),
      useInputChecks(),
      useGraphiQLAssets(),
      useDashboard(dashboard),
      useLimitRefusals(config.nodeEnv === 'production'),
      // Before the policy replaces the id by its document.
      gate.plugin,
      ...usePersistedOperationPolicy({
        trusted,
        shipped,
        store: persistedStore,
        maxQueryBytes: config.persisted.apqMaxQueryBytes,
        authenticate,
        logger,
      }),
      useDisableIntrospection({
        isDisabled: (request) =>
          authenticate.viewer(request).then(
            (viewer) => viewer.role === 'partner',
            () => true,
          ),
      }),
      useDocumentLimits(config.limits),
      usePageSizeLimit(),
      useHiddenSuggestions((request) => authenticate.verified(request)?.role === 'partner'),
      ...(database.refreshBeforeRead
        ? [useRefreshBeforeRead(database.refreshBeforeRead, logger)]
        : []),
      ...(options.compiledExecution === false ? [] : [useCompiledExecution()]),
      useOperatorDesk(desk),
      useInteractivePriority(ingest, (request) => lanes.uploadRequests.has(request)),
      useRequestTransaction(open, database.backend !== 'citus'),
      // After the transaction plugin: it caches and bumps versions only once work committed.
      ...(responseCache?.plugins ?? []),
      { onDispose: () => uploadWorkers.close() },
      ...(redis ? [{ onDispose: () => redis.stop() }] : []),
      ...(ownRedis ? [{ onDispose: () => closeRedis(ownRedis, config.redis.timeoutMs) }] : []),
      useMetrics(metrics, config.metricsToken),
      useReadiness(readiness),
      useUnavailableStatus(),
      {
        onExecute() {
          return {
            onExecuteDone({ args, result, setResult }) {
              if (Symbol.asyncIterator in result) return;
              const { extensions, versionedExtensions } = args.contextValue;
              const told = { ...versionedExtensions, ...extensions };
              if (Object.keys(told).length === 0) return;
              setResult({ ...result, extensions: { ...result.extensions, ...told } });
            },
          };
        },
      } satisfies import('graphql-yoga').Plugin<GraphQLContext>,
      ...(options.exposeStatementCount
        ? [
            {
              onExecute() {
                return {
                  onExecuteDone({ args, result, setResult }) {
                    if (Symbol.asyncIterator in result) return;
                    setResult({
                      ...result,
                      extensions: {
                        ...result.extensions,
                        sqlStatements: args.contextValue.db.statements,
                      },
                    });
                  },
                };
              },
            } satisfies import('graphql-yoga').Plugin<GraphQLContext>,
          ]
        : []),
    ],
  });
  keepAliveTimeouts.set(gateway, config.keepAliveTimeoutMs);
  if (responseCache) {
    hitPaths.set(
      gateway,
      hitFastPath({
        path: GRAPHQL_PATH,
        csrfHeader: CSRF_HEADER,
        lookup: responseCache.lookup,
        authenticate,
        limiter,
        trusted,
        shipped,
        apqStore: persistedStore,
        lanes,
        limits: config.limits,
        metrics,
        logger,
      }),
    );
  }
  return gateway;
}

/** A store whose failures degrade to "not stored": the client then sends the full query. */
function tolerantStore(store: PersistedQueryStore, logger: Logger): PersistedQueryStore {
  return {
    get: (hash) =>
      store.get(hash).catch((error: unknown) => {
        logger.warn({ err: error }, 'persisted query store unavailable');
        return null;
      }),
    set: (hash, document) => store.set(hash, document),
  };
}

/** Serves the gateway over HTTP, cache hits first; resolves once listening. */
export async function listen(gateway: Gateway, host: string, port: number): Promise<Server> {
  const hitPath = hitPaths.get(gateway);
  const server = createServer(hitPath ? hitPath(gateway) : gateway);
  // An idle connection is closed by its client (or proxy) first, never by the gateway while
  // the client is sending its next request on it: that race cuts the request (ECONNRESET).
  const keepAliveTimeout = keepAliveTimeouts.get(gateway);
  if (keepAliveTimeout !== undefined) server.keepAliveTimeout = keepAliveTimeout;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}
