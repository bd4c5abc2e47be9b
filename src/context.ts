import type { GraphQLError } from 'graphql';
import type { MintOptions } from './auth/tokens.js';
import type { Viewer } from './auth/viewer.js';
import type { Backend } from './db/migrate.js';
import type { AlertEventHub } from './alerts/alert-events.js';
import type { RollupFreshness } from './db/freshness.js';
import type { RequestDb } from './db/request-db.js';
import type { IngestTimeRule } from './ingest-time.js';
import type { LoaderCache } from './loaders.js';
import type { OperatorDesk } from './operator/desk.js';
import type { BulkPacing } from './sales/chunked-insert.js';
import type { PreparedSales } from './sales/sale-batch.js';

/** Everything a resolver may use, built once per request by `createContext`. */
export interface GraphQLContext {
  requestId: string;
  viewer: Viewer;
  /** Which sale and snapshot times an upload may carry (FUTURE_TOLERANCE_SECONDS). */
  ingestTimes: IngestTimeRule;
  /**
   * The lines of a recordSales upload whose body was read on an upload worker (its `sales`
   * argument is then empty); null for every other request.
   */
  preparedSales: PreparedSales | null;
  /** How bulk inserts are split and when each part may start: after interactive work. */
  bulkInsert: BulkPacing;
  /** The request's transaction, under the tenant's row-level-security context. */
  db: RequestDb;
  loaders: LoaderCache;
  backend: Backend;
  /** What the request's writes make stale in the rollups, refreshed after commit. */
  rollups: RollupFreshness;
  /** Alert events of this process: published after commit, subscribed to by streams. */
  alertEvents: AlertEventHub;
  /** A further transaction under the viewer's tenant context (one per subscription event). */
  openTransaction(statementTimeoutMs: number): RequestDb;
  /** RETENTION: the horizon of a tenant that has none of its own yet. */
  retention: string;
  /**
   * Whether the caller may still receive a stream's events: `refusal` reads its tenant's
   * status now (null while active); open streams ask every `intervalMs`.
   */
  admission: { intervalMs: number; refusal(): Promise<GraphQLError | null> };
  /** Signs a token with the gateway's HS256 secret; null where it has none (JWKS only). */
  issueToken:
    ((claims: Omit<MintOptions, 'secret' | 'issuer' | 'audience'>) => Promise<string>) | null;
  /** This process's running requests, timings and slow statements; the operator's report. */
  operator: OperatorDesk;
  /** What resolvers tell about the answer beside its data (a comparison's reach), sent as extensions. */
  extensions: Record<string, unknown>;
  /**
   * What resolvers tell beside the data that stays true for as long as the tenant's data
   * version does (the data's freshness): sent as extensions, and stored with a cached answer
   * so that its hits tell it too.
   */
  versionedExtensions: Record<string, unknown>;
}
