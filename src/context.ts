import type { Viewer } from './auth/viewer.js';
import type { Backend } from './db/migrate.js';
import type { Pool } from './db/pool.js';
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
  /** Owner connection for work that cannot run in the request transaction (rollup refresh). */
  maintenancePool: Pool;
}
