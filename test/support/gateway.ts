import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mintToken } from '../../src/auth/tokens.js';
import type { Role } from '../../src/auth/viewer.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import type { Pool } from '../../src/db/pool.js';
import { createLogger } from '../../src/logger.js';
import { createGateway, listen } from '../../src/server/app.js';
import { createTokenVerifier } from '../../src/auth/tokens.js';
import { createScratchDatabase, type BackendKind } from './backends.js';

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
  token(customerId: string, role?: Role, storeIds?: string[]): Promise<string>;
  graphql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

/**
 * Starts the real gateway over HTTP on a fresh database of the given backend: a new database
 * on the PostgreSQL server, or a new in-memory embedded TimescaleDB.
 */
export async function startTestGateway(
  kind: BackendKind,
  env: Record<string, string> = {},
): Promise<TestGateway> {
  const scratch = kind === 'postgres' ? await createScratchDatabase() : null;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: TEST_SECRET,
    EMBEDDED_DATA_DIR: 'memory',
    DB_POOL_MAX: '4',
    ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    ...env,
  });
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config, logger);
  const gateway = createGateway({
    config,
    database,
    verifier: await createTokenVerifier(config.jwt),
    logger,
    exposeStatementCount: true,
  });
  const server: Server = await listen(gateway, '127.0.0.1', 0);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
    async graphql(query, variables, token, headers = {}) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as Omit<GraphQLResponse, 'status'>;
      return { status: response.status, ...body } as GraphQLResponse<never>;
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await database.close();
      await scratch?.drop();
    },
  };
}
