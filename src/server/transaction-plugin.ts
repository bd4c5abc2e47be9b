import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../context.js';

/**
 * Ends each request's transaction when execution is done: commit when the operation raised no
 * error, roll back otherwise, so a failed mutation changes nothing. Requests that never reach
 * execution never open one; `onResponse` rolls back whatever is still open.
 */
export function useRequestTransaction(
  open: WeakMap<Request, GraphQLContext['db']>,
): Plugin<GraphQLContext> {
  return {
    onExecute() {
      return {
        async onExecuteDone({ args, result }) {
          const failed = Symbol.asyncIterator in result || (result.errors?.length ?? 0) > 0;
          await args.contextValue.db.finish(failed ? 'rollback' : 'commit');
        },
      };
    },
    async onResponse({ request }) {
      await open.get(request)?.finish('rollback');
    },
  };
}
