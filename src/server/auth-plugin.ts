import type { Plugin } from 'graphql-yoga';
import type { RequestAuthenticator } from '../auth/request-auth.js';

/**
 * Verifies the bearer token of every GraphQL request from its headers, before its body is
 * budgeted or read, so a request without a valid token gets its 401 whatever else is wrong
 * with it and costs no more than its headers.
 */
export function useAuthentication(authenticate: RequestAuthenticator): Plugin {
  return {
    async onRequestParse({ request }) {
      await authenticate.viewer(request);
    },
  };
}
