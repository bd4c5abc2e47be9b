import type { TenantGate } from './tenant-gate.js';
import type { TokenVerifier } from './tokens.js';
import { unauthenticated } from './tokens.js';
import type { Viewer } from './viewer.js';

/** Per-request token verification, shared by the plugins that run before the context exists. */
export interface RequestAuthenticator {
  /** Verifies the request's token (once) and returns the viewer; rejects with a 401 error. */
  viewer(request: Request): Promise<Viewer>;
  /** The viewer when the request's token has already been verified, else undefined. */
  verified(request: Request): Viewer | undefined;
  /**
   * Verifies the token of a request given by its URL and Authorization header, remembering
   * nothing (the cache-hit path, which has no Request); rejects with a 401 error.
   */
  fromHeaders(url: string, authorization: string | null): Promise<Viewer>;
  /**
   * What `fromHeaders` would resolve to when that is known at once: the token's verification is
   * remembered and its tenant's admission too; else undefined (a token that would be refused
   * included), and `fromHeaders` must be asked.
   */
  known(url: string, authorization: string | null): Viewer | undefined;
}

const URL_TOKEN_PARAMETERS = ['access_token', 'token', 'jwt', 'authorization'];

/** The bearer token of the Authorization header; a token in the URL is refused. */
export function bearerToken(request: Request): string {
  return bearerTokenOf(request.url, request.headers.get('authorization'));
}

function bearerTokenOf(url: string, header: string | null): string {
  // Most requests carry no query string: parse the URL only when there is one to look at.
  const query = url.includes('?') ? new URL(url, 'http://gateway').searchParams : null;
  if (query && URL_TOKEN_PARAMETERS.some((name) => query.has(name))) {
    throw unauthenticated(
      'tokens in the URL are refused (they end up in logs); send Authorization: Bearer <token>',
    );
  }
  if (!header) throw unauthenticated('missing Authorization: Bearer <token> header');
  const match = /^Bearer\s+([A-Za-z0-9\-_.]+)$/i.exec(header.trim());
  if (!match?.[1]) throw unauthenticated('Authorization header must be "Bearer <token>"');
  return match[1];
}

/**
 * Verifies each request's token, and that its tenant may use the gateway, at most once: plugins that run before the context exists
 * (persisted operations, introspection, rate limit) and the context share one result.
 */
export function createRequestAuthenticator(
  verifier: TokenVerifier,
  admit: TenantGate = Object.assign(async () => undefined, { admitsNow: () => true }),
): RequestAuthenticator {
  const pending = new WeakMap<Request, Promise<Viewer>>();
  const done = new WeakMap<Request, Viewer>();
  const fromHeaders = async (url: string, authorization: string | null) => {
    const verified = await verifier(bearerTokenOf(url, authorization));
    await admit(verified);
    return verified;
  };
  return {
    fromHeaders,
    known(url, authorization) {
      if (!verifier.known || !admit.admitsNow) return undefined;
      let token: string;
      try {
        token = bearerTokenOf(url, authorization);
      } catch {
        return undefined;
      }
      const viewer = verifier.known(token);
      return viewer !== undefined && admit.admitsNow(viewer) ? viewer : undefined;
    },
    viewer(request) {
      let viewer = pending.get(request);
      if (!viewer) {
        viewer = fromHeaders(request.url, request.headers.get('authorization')).then((verified) => {
          done.set(request, verified);
          return verified;
        });
        // Callers await it; this keeps an unobserved failure from being reported as unhandled.
        viewer.catch(() => undefined);
        pending.set(request, viewer);
      }
      return viewer;
    },
    verified: (request) => done.get(request),
  };
}
