import type { Plugin } from 'graphql-yoga';

/**
 * Answers 404 for every path other than `endpoint` (and `endpoint/`) that Yoga would serve
 * GraphQL on: Yoga takes any URL that merely ends with the endpoint (`/foo/graphql`,
 * `/x?y=/graphql`), which puts the API under paths a proxy or an allow-list does not expect.
 */
export function useGraphQLPathOnly(endpoint: string): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname === endpoint || url.pathname === `${endpoint}/`) return;
      const path = url.pathname;
      const looksLikeEndpoint = [request.url, path].some(
        (text) => text.endsWith(endpoint) || text.endsWith(`${endpoint}/`),
      );
      if (!looksLikeEndpoint) return;
      endResponse(
        new fetchAPI.Response(`GraphQL is served at ${endpoint} only\n`, { status: 404 }),
      );
    },
  };
}
