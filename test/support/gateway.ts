import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenVerifier, mintToken } from '../../src/auth/tokens.js';
import type { ViewerRole } from '../../src/auth/viewer.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import type { Pool } from '../../src/db/pool.js';
import { createLogger } from '../../src/logger.js';
import { createGateway, listen, type AppOptions, type Gateway } from '../../src/server/app.js';
import { serverOf, type BackendKind } from './backends.js';
import { copyEmbeddedTemplate, copyServerTemplate } from './templates.js';

export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

export interface TestGateway {
  kind: BackendKind;
  url: string;
  config: Config;
  database: Database;
  /** Owner connection: bypasses RLS; for fixtures and independent checks only. */
  owner: Pool;
  token(customerId: string, role?: ViewerRole, storeIds?: string[]): Promise<string>;
  /** POSTs a JSON body to /graphql as is (persisted operations, extensions, odd shapes). */
  post<T = Record<string, unknown>>(
    body: unknown,
    token?: string,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T> & { headers: Headers }>;
  graphql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T> & { headers: Headers }>;
  close(): Promise<void>;
}

/**
 * Starts the real gateway over HTTP on a fresh database of the given backend (a new database
 * on the PostgreSQL or TimescaleDB server, or a new in-memory embedded TimescaleDB), with extra environment
 * and gateway options; disposes of the gateway (its Redis client) on close.
 */
export async function startTestGateway(
  kind: BackendKind,
  env: Record<string, string> = {},
  options: Partial<
    Pick<AppOptions, 'verifier' | 'trustedDocuments' | 'redis' | 'graphiqlToken'>
  > = {},
): Promise<TestGateway> {
  // A DATABASE_URL or EMBEDDED_DATA_DIR of the caller's is a database it keeps across gateways
  // (restarts); else the gateway gets a copy of the run's migrated database of its backend (its
  // migrations at start then find nothing to do).
  const onServer = serverOf(kind) !== null;
  const scratch = onServer && !env.DATABASE_URL ? await copyServerTemplate(kind) : null;
  const embedded = !onServer && !env.EMBEDDED_DATA_DIR ? await copyEmbeddedTemplate() : null;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: TEST_SECRET,
    ...(embedded ? { EMBEDDED_DATA_DIR: embedded.dataDir } : {}),
    DB_POOL_MAX: '4',
    // Fixtures are written behind the gateway's back (owner connection), which bumps no data
    // version; the response cache's own tests turn it on.
    RESPONSE_CACHE_TTL_SECONDS: '0',
    ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    ...env,
  });
  const logger = createLogger(config.logLevel);
  let database: Database;
  try {
    database = await openDatabase(config, logger);
  } catch (error) {
    await scratch?.drop();
    await embedded?.remove();
    throw error;
  }
  let gateway: Gateway;
  let server: Server;
  try {
    gateway = createGateway({
      config,
      database,
      verifier: options.verifier ?? (await createTokenVerifier(config.jwt)),
      logger,
      exposeStatementCount: true,
      ...(options.trustedDocuments ? { trustedDocuments: options.trustedDocuments } : {}),
      ...(options.redis ? { redis: options.redis } : {}),
      ...(options.graphiqlToken ? { graphiqlToken: options.graphiqlToken } : {}),
    });
    server = await listen(gateway, '127.0.0.1', 0);
  } catch (error) {
    await database.close();
    await scratch?.drop();
    await embedded?.remove();
    throw error;
  }
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post = async <T>(body: unknown, token?: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: JSON.stringify(body),
    });
    const parsed = (await response.json()) as Omit<GraphQLResponse<T>, 'status'>;
    return { status: response.status, headers: response.headers, ...parsed };
  };
  return {
    kind,
    url,
    config,
    database,
    owner: database.pool,
    token: (customerId, role = 'analyst', storeIds) =>
      mintToken({
        secret: TEST_SECRET,
        issuer: config.jwt.issuer,
        audience: config.jwt.audience,
        customerId,
        role,
        ...(storeIds ? { storeIds } : {}),
      }),
    post,
    graphql: (query, variables, token, headers) => post({ query, variables }, token, headers),
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.dispose();
      await database.close();
      await scratch?.drop();
      await embedded?.remove();
    },
  };
}
