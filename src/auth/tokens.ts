import { createSecretKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { GraphQLError } from 'graphql';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  SignJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config.js';
import { NO_TENANT, OPERATOR, ROLES, type Viewer, type ViewerRole } from './viewer.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Verifies a bearer token and returns the viewer, or throws a 401 GraphQL error. */
export interface TokenVerifier {
  (token: string): Promise<Viewer>;
  /**
   * The viewer of a token verified before whose verification is still remembered (see
   * VERIFIED_TOKEN_TTL_MS), at once and without a promise; else undefined: the token must be
   * verified.
   */
  known?: (token: string) => Viewer | undefined;
}

/** A 401 error that says what is wrong with the token; never echoes the token or a key. */
export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: 'UNAUTHENTICATED',
      http: {
        status: 401,
        headers: { 'WWW-Authenticate': `Bearer realm="shelfops", error="invalid_token"` },
      },
    },
  });
}

function viewerFromClaims(payload: JWTPayload): Viewer {
  const customerId = payload['customer_id'];
  const role = payload['role'];
  const storeIds = payload['store_ids'];
  if (role === OPERATOR) {
    if (customerId !== undefined || storeIds !== undefined) {
      throw unauthenticated('an operator token carries no customer_id or store_ids claim');
    }
    return {
      subject: payload.sub ?? OPERATOR,
      customerId: NO_TENANT,
      role: OPERATOR,
      storeIds: null,
      expiresAt: (payload.exp ?? 0) * 1000,
    };
  }
  if (typeof customerId !== 'string' || !UUID.test(customerId)) {
    throw unauthenticated('token claim customer_id must be a tenant UUID');
  }
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    throw unauthenticated(`token claim role must be one of ${ROLES.join(', ')}`);
  }
  if (
    storeIds !== undefined &&
    !(Array.isArray(storeIds) && storeIds.every((id) => typeof id === 'string' && UUID.test(id)))
  ) {
    throw unauthenticated('token claim store_ids must be a list of store UUIDs');
  }
  return {
    subject: payload.sub ?? customerId,
    customerId: customerId.toLowerCase(),
    role: role as ViewerRole,
    storeIds: storeIds === undefined ? null : (storeIds as string[]).map((s) => s.toLowerCase()),
    // `exp` is a required claim.
    expiresAt: (payload.exp ?? 0) * 1000,
  };
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return `token has no ${error.claim} claim`;
    if (error.claim === 'aud') return 'token audience is not this gateway';
    if (error.claim === 'iss') return 'token issuer is not trusted';
    if (error.claim === 'nbf') return 'token is not valid yet (nbf)';
    if (error.claim === 'iat') return 'token was issued in the future (iat)';
    return `token claim ${error.claim} is invalid`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token algorithm is not accepted';
  if (error instanceof errors.JWKSNoMatchingKey) return 'token key id (kid) is not known';
  if (error instanceof errors.JWKSMultipleMatchingKeys) return 'token key id (kid) is ambiguous';
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return 'token keys could not be fetched; try again';
  }
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof TypeError
  ) {
    return 'token is malformed';
  }
  return 'token could not be verified';
}

/** Asymmetric algorithms accepted from a JWKS; each key is used only with its own type. */
const JWKS_ALGORITHMS = ['RS256', 'ES256'];

// Dashboards send the same token many times a second: a token verified with the secret is
// remembered for at most a minute, never past its `exp`, and only so many of them (least
// recently used go). JWKS tokens are verified every time, so a key retired from the set is
// refused at once.
const VERIFIED_TOKENS_MAX = 10_000;
const VERIFIED_TOKEN_TTL_MS = 60_000;

/**
 * Builds the verifier for the configured keys: the HS256 secret and/or a JWKS (RS256, ES256).
 * The algorithm is pinned by the kind of key: an HS256 token is only checked against the
 * secret, never against a public key; `none` and every other algorithm are refused.
 */
export async function createTokenVerifier(jwt: Config['jwt']): Promise<TokenVerifier> {
  const options = {
    issuer: jwt.issuer,
    audience: jwt.audience,
    clockTolerance: jwt.clockToleranceSeconds,
    requiredClaims: ['exp'],
  };
  // Imported once: jose would otherwise import raw key bytes again on every verification.
  const secret = jwt.secret ? createSecretKey(Buffer.from(jwt.secret, 'utf8')) : null;
  let jwks: JWTVerifyGetKey | null = null;
  if (jwt.jwksFile) {
    jwks = createLocalJWKSet(JSON.parse(await readFile(jwt.jwksFile, 'utf8')));
  } else if (jwt.jwksUrl) {
    jwks = createRemoteJWKSet(new URL(jwt.jwksUrl), {
      cacheMaxAge: jwt.jwksCacheSeconds * 1000,
      cooldownDuration: jwt.jwksCooldownSeconds * 1000,
      timeoutDuration: 5000,
    });
  }
  if (!secret && !jwks) throw new Error('no JWT key configured (JWT_SECRET or a JWKS)');
  const accepted = [...(secret ? ['HS256'] : []), ...(jwks ? JWKS_ALGORITHMS : [])].join(', ');
  const verified = new LRUCache<string, Viewer>({
    max: VERIFIED_TOKENS_MAX,
    ttl: VERIFIED_TOKEN_TTL_MS,
  });
  const verify = async (token: string): Promise<Viewer> => {
    const known = verified.get(token);
    if (known) return known;
    let payload: JWTPayload;
    let bySecret = false;
    try {
      const { alg } = decodeProtectedHeader(token);
      if (alg === 'HS256' && secret) {
        ({ payload } = await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] }));
        bySecret = true;
      } else if (alg !== undefined && JWKS_ALGORITHMS.includes(alg) && jwks) {
        ({ payload } = await jwtVerify(token, jwks, { ...options, algorithms: JWKS_ALGORITHMS }));
      } else {
        throw unauthenticated(`token algorithm is not accepted; this gateway accepts ${accepted}`);
      }
    } catch (error) {
      if (error instanceof GraphQLError) throw error;
      throw unauthenticated(describe(error));
    }
    const viewer = viewerFromClaims(payload);
    // `exp` is required, so every verified token has one.
    const untilExpiry = (payload.exp ?? 0) * 1000 - Date.now();
    if (bySecret && untilExpiry > 0) {
      verified.set(token, viewer, { ttl: Math.min(VERIFIED_TOKEN_TTL_MS, untilExpiry) });
    }
    return viewer;
  };
  return Object.assign(verify, { known: (token: string) => verified.get(token) });
}

export interface MintOptions {
  secret: string;
  issuer: string;
  audience: string;
  /** Ignored for the operator, whose token names no tenant. */
  customerId: string;
  role: ViewerRole;
  storeIds?: readonly string[];
  subject?: string;
  expiresIn?: string;
}

/** Signs an HS256 development token with the gateway's claims. */
export async function mintToken(options: MintOptions): Promise<string> {
  const operator = options.role === OPERATOR;
  return new SignJWT({
    ...(operator ? {} : { customer_id: options.customerId }),
    role: options.role,
    ...(options.storeIds && !operator ? { store_ids: options.storeIds } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject ?? (operator ? OPERATOR : `${options.role}@${options.customerId}`))
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h')
    .sign(new TextEncoder().encode(options.secret));
}

const DURATION =
  /^(\d{1,7})\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)$/i;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** A token lifetime such as "30m", "12h" or "7 days" in seconds; null when unreadable or 0. */
export function durationSeconds(text: string): number | null {
  const [, count, unit] = DURATION.exec(text.trim()) ?? [];
  const seconds = Number(count) * (UNIT_SECONDS[unit?.[0]?.toLowerCase() ?? ''] ?? 0);
  return seconds > 0 ? seconds : null;
}
