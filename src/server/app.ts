import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { TokenVerifier } from '../auth/tokens.js';
import type { Config } from '../config.js';
import type { GraphQLContext } from '../context.js';
import type { Database } from '../db/database.js';
import { migrationStatus } from '../db/migrate.js';
import { RequestDb } from '../db/request-db.js';
import { userError } from '../errors.js';
import { LoaderCache } from '../loaders.js';
import type { Logger } from '../logger.js';
import { schema } from '../schema.js';
import { useRequestTransaction } from './transaction-plugin.js';

export interface AppOptions {
  config: Config;
  database: Database;
  verifier: TokenVerifier;
  logger: Logger;
  /** Pre-filled GraphiQL headers (the embedded demo's token). */
  graphiqlToken?: string;
  /** Adds `extensions.sqlStatements` to every response (tests, benchmarks). */
  exposeStatementCount?: boolean;
}

export type Gateway = YogaServerInstance<Record<string, never>, GraphQLContext>;

function bearerToken(request: Request): string {
  const url = new URL(request.url);
  if (url.searchParams.has('access_token') || url.searchParams.has('token')) {
    throw userError(
      'tokens in the URL are refused; send Authorization: Bearer <token>',
      'UNAUTHENTICATED',
    );
  }
  const header = request.headers.get('authorization');
  if (!header) throw userError('missing Authorization: Bearer <token> header', 'UNAUTHENTICATED');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1])
    throw userError('Authorization header must be "Bearer <token>"', 'UNAUTHENTICATED');
  return match[1];
}

/** Builds the GraphQL gateway (a fetch handler) over an open database. */
export function createGateway(options: AppOptions): Gateway {
  const { config, database, verifier, logger } = options;
  const open = new WeakMap<Request, RequestDb>();

  return createYoga<Record<string, never>, GraphQLContext>({
    schema,
    batching: false,
    landingPage: false,
    logging: logger,
    healthCheckEndpoint: '/health',
    graphiql: {
      title: 'ShelfOps Gateway',
      ...(options.graphiqlToken
        ? { headers: JSON.stringify({ Authorization: `Bearer ${options.graphiqlToken}` }) }
        : {}),
    },
    // Unexpected errors reach the client as "Unexpected error." and the log in full.
    maskedErrors: { isDev: config.nodeEnv === 'development' },
    context: async ({ request }) => {
      const viewer = await verifier(bearerToken(request));
      const db = new RequestDb(database.pool, {
        customerId: viewer.customerId,
        role: viewer.role,
        storeIds: viewer.storeIds,
        statementTimeoutMs: config.statementTimeoutMs,
      });
      open.set(request, db);
      return {
        requestId: request.headers.get('x-request-id') ?? randomUUID(),
        viewer,
        db,
        loaders: new LoaderCache(),
        backend: database.backend,
        maintenancePool: database.pool,
      };
    },
    plugins: [
      useRequestTransaction(open),
      usePrometheus({ endpoint: '/metrics', metrics: { graphql_yoga_http_duration: true } }),
      {
        async onRequest({ url, endResponse, fetchAPI }) {
          if (url.pathname !== '/ready') return;
          try {
            const status = await migrationStatus(database.pool, config.timescaledb);
            const ready = status.pending.length === 0;
            endResponse(
              fetchAPI.Response.json(
                { ready, backend: database.backend, pendingMigrations: status.pending },
                { status: ready ? 200 : 503 },
              ),
            );
          } catch (error) {
            logger.warn({ err: error }, 'readiness check failed');
            endResponse(
              fetchAPI.Response.json(
                { ready: false, error: 'database unreachable' },
                { status: 503 },
              ),
            );
          }
        },
      },
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
}

/** Serves the gateway over HTTP; resolves once listening. */
export async function listen(gateway: Gateway, host: string, port: number): Promise<Server> {
  const server = createServer(gateway);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}
