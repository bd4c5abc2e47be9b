import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../context.js';
import type { RefreshBeforeRead } from '../db/freshness.js';
import type { Logger } from '../logger.js';

/**
 * Before a query runs, refreshes the rollups its tenant's earlier writes left stale (the
 * request's transaction opens only with its first statement, so the refresh runs outside it,
 * as it must). A refresh that fails is logged and retried before the next read and by the
 * maintenance; the query is answered meanwhile.
 */
export function useRefreshBeforeRead(
  refreshes: RefreshBeforeRead,
  logger: Logger,
): Plugin<GraphQLContext> {
  return {
    async onExecute({ args }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'query') return;
      await refreshes
        .beforeRead(args.contextValue.viewer.customerId)
        .catch((error: unknown) =>
          logger.error({ err: error }, 'refreshing stale rollups before a read failed'),
        );
    },
  };
}
