import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../context.js';
import { asUnavailable } from '../db/unavailable.js';
import { databaseUnavailableError } from './unavailable.js';

/**
 * Ends each request's transaction when execution is done: commit when the operation raised no
 * error, roll back otherwise, so a failed mutation changes nothing. Requests that never reach
 * execution never open one; `onResponse` rolls back whatever is still open. A commit that the
 * database could not confirm replaces the result: its data would claim a write that may be lost.
 * With `snapshotReads`, a query's transaction is one read-only snapshot: its answer and the
 * facts told beside it (freshness, the archive horizon its statements are routed by) agree.
 * Citus gives no snapshot across its shards, so there queries read as mutations do.
 */
export function useRequestTransaction(
  open: WeakMap<Request, GraphQLContext['db']>,
  snapshotReads: boolean,
): Plugin<GraphQLContext> {
  return {
    onExecute({ args }) {
      args.contextValue.db.readsOneSnapshot =
        snapshotReads && getOperationAST(args.document, args.operationName)?.operation === 'query';
      return {
        async onExecuteDone({ args, result, setResult }) {
          const failed = Symbol.asyncIterator in result || (result.errors?.length ?? 0) > 0;
          try {
            await args.contextValue.db.finish(failed ? 'rollback' : 'commit');
          } catch (error) {
            const unavailable = asUnavailable(error);
            if (unavailable === null) throw error;
            setResult({ data: null, errors: [databaseUnavailableError(unavailable.reason)] });
          }
        },
      };
    },
    async onResponse({ request }) {
      // A failed commit was answered in onExecuteDone; a rollback never fails.
      await open
        .get(request)
        ?.finish('rollback')
        .catch(() => undefined);
    },
  };
}
