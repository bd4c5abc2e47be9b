import type { Plugin } from 'graphql-yoga';
import type { RequestAuthenticator } from '../auth/request-auth.js';

/**
 * Verifies the bearer token of every GraphQL request before anything else looks at it, so a
 * request without a valid token gets its 401 whatever else is wrong with it.
 */
export function useAuthentication(authenticate: RequestAuthenticator): Plugin {
  return {
    async onParams({ request }) {
      await authenticate.viewer(request);
    },
  };
}
