import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { GraphQLError } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import type { RequestAuthenticator } from '../auth/request-auth.js';
import type { Logger } from '../logger.js';
import type { PersistedQueryStore } from './apq-store.js';
import { documentHash, type TrustedDocuments } from './trusted-documents.js';

export interface PersistedOperationsOptions {
  /** The trusted documents: the only operations partners may run. */
  trusted: TrustedDocuments;
  /** The gateway's own pages' documents (the dashboard's), runnable by id by analysts and admins. */
  shipped: TrustedDocuments;
  /** Automatic persisted queries registered by analysts and admins (BI dashboards). */
  store: PersistedQueryStore;
  /** Largest document an automatic persisted query may register, in bytes. */
  maxQueryBytes: number;
  authenticate: RequestAuthenticator;
  logger: Logger;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function policyError(message: string, code: string, status: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status } } });
}

/** The `extensions.persistedQuery.sha256Hash` of the automatic-persisted-queries protocol. */
export function apqHash(params: GraphQLParams): string | null {
  const persisted: unknown = params.extensions?.['persistedQuery'];
  if (persisted === null || typeof persisted !== 'object') return null;
  const { version, sha256Hash } = persisted as { version?: unknown; sha256Hash?: unknown };
  return version === 1 && typeof sha256Hash === 'string' ? sha256Hash.toLowerCase() : null;
}

/** The key a client's id is looked up under: bare, lower-case hex. */
export const idKey = (id: string) => id.replace(/^sha256:/i, '').toLowerCase();

/** The persisted-operation id: `documentId` (GraphQL over HTTP) or the APQ hash. */
export function operationId(params: GraphQLParams): string | null {
  const documentId: unknown = (params as { documentId?: unknown }).documentId;
  if (typeof documentId === 'string') return idKey(documentId);
  return apqHash(params);
}

export const notInList = () =>
  policyError(
    'this operation is not in the trusted documents; add it to the manifest and deploy it',
    'PERSISTED_QUERY_NOT_IN_LIST',
    404,
  );

export const persistedOnly = () =>
  policyError(
    'partners may only run trusted documents: send the documentId (or ' +
      'extensions.persistedQuery.sha256Hash) of an operation in the manifest, without a query',
    'PERSISTED_QUERY_ONLY',
    403,
  );

const idRequired = () =>
  policyError(
    'send a query, or the hash of a persisted operation as documentId or ' +
      'extensions.persistedQuery.sha256Hash',
    'PERSISTED_QUERY_ID_REQUIRED',
    400,
  );

/**
 * Persisted operations for the three kinds of callers. Partners run only trusted documents,
 * sent by hash. Analysts and admins may also send any query, and may register automatic
 * persisted queries (BI dashboards): the query's SHA-256 must equal the hash it is sent with,
 * and it is stored only once it has passed validation.
 */
export function usePersistedOperationPolicy(options: PersistedOperationsOptions): Plugin[] {
  const { trusted, shipped, store, authenticate, logger } = options;
  const registrations = new WeakMap<Request, { hash: string; query: string }>();
  const isPartner = (request: Request) => authenticate.verified(request)?.role === 'partner';
  const register = async (request: Request) => {
    const registered = registrations.get(request);
    if (!registered) return;
    registrations.delete(request);
    await store.set(registered.hash, registered.query).catch((failure: unknown) => {
      logger.warn({ err: failure }, 'could not store an automatic persisted query');
    });
  };

  const registration: Plugin = {
    async onParams({ request, params }) {
      const hash = apqHash(params);
      if (hash === null || typeof params.query !== 'string') return;
      const viewer = await authenticate.viewer(request);
      // A partner's query is refused below as not persisted; it never reaches the store.
      if (viewer.role === 'partner') return;
      if (Buffer.byteLength(params.query, 'utf8') > options.maxQueryBytes) {
        throw policyError(
          `a persisted query may be at most ${options.maxQueryBytes} bytes`,
          'PERSISTED_QUERY_TOO_LARGE',
          400,
        );
      }
      if (!SHA256_HEX.test(hash) || documentHash(params.query) !== hash) {
        throw policyError(
          'extensions.persistedQuery.sha256Hash is not the SHA-256 of the query; nothing was stored',
          'PERSISTED_QUERY_HASH_MISMATCH',
          400,
        );
      }
      if (!trusted.has(hash) && !shipped.has(hash))
        registrations.set(request, { hash, query: params.query });
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      return request && register(request);
    },
    // A query answered from the response cache never executes; its answer was stored by a
    // request that executed the same text, so the text is valid and is registered now.
    onExecutionResult({ request, result }) {
      if (!result || Array.isArray(result) || Symbol.asyncIterator in result) return;
      if ((result.errors?.length ?? 0) === 0) return register(request);
    },
  };

  const persisted = usePersistedOperations({
    extractPersistedOperationId: operationId,
    allowArbitraryOperations: async (request) =>
      (await authenticate.viewer(request)).role !== 'partner',
    async getPersistedOperation(key, request) {
      const document = trusted.get(key);
      if (document !== undefined) return document;
      if ((await authenticate.viewer(request)).role === 'partner') return null;
      return shipped.get(key) ?? store.get(key);
    },
    customErrors: {
      notFound: ({ request }) =>
        isPartner(request)
          ? notInList()
          : // The exact message and code automatic-persisted-queries clients react to.
            policyError('PersistedQueryNotFound', 'PERSISTED_QUERY_NOT_FOUND', 200),
      persistedQueryOnly: persistedOnly,
      keyNotFound: idRequired,
    },
  });

  return [registration, persisted];
}
