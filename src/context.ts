import type { Viewer } from './auth/viewer.js';
import type { Backend } from './db/migrate.js';
import type { AlertEventHub } from './alerts/alert-events.js';
import type { RollupFreshness } from './db/freshness.js';
import type { RequestDb } from './db/request-db.js';
import type { IngestTimeRule } from './ingest-time.js';
import type { LoaderCache } from './loaders.js';

/** Everything a resolver may use, built once per request by `createContext`. */
export interface GraphQLContext {
  requestId: string;
  viewer: Viewer;
  /** Which sale and snapshot times an upload may carry (FUTURE_TOLERANCE_SECONDS). */
  ingestTimes: IngestTimeRule;
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
  /** The RETENTION setting: sale lines older than it are refused, never stored and deleted. */
  retention: string;
  /** What resolvers tell about the answer beside its data (a comparison's reach), sent as extensions. */
  extensions: Record<string, unknown>;
}
