import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../context.js';
import type { OperatorDesk } from './desk.js';

/**
 * Names each request's statements after its operation (the connection's tag), lists the request
 * as running while it executes, and counts its time and database time when it is done.
 */
export function useOperatorDesk(desk: OperatorDesk): Plugin<GraphQLContext> {
  return {
    onExecute({ args }) {
      const context = args.contextValue;
      const operation =
        getOperationAST(args.document, args.operationName)?.name?.value ?? 'anonymous';
      context.db.operation = operation;
      const startedAt = Date.now();
      const end = desk.activity.start({
        id: context.requestId,
        customerId: context.viewer.customerId,
        operation,
        startedAt,
        db: context.db,
      });
      return {
        onExecuteDone() {
          end();
          desk.activity.record(
            context.viewer.customerId,
            operation,
            Date.now() - startedAt,
            context.db.databaseMs,
          );
        },
      };
    },
  };
}
