import { readFile } from 'node:fs/promises';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  SignJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { Config } from '../config.js';
import { userError } from '../errors.js';
import { ROLES, type Role, type Viewer } from './viewer.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Verifies a bearer token and returns the viewer, or throws a 401 GraphQL error. */
export type TokenVerifier = (token: string) => Promise<Viewer>;

function unauthenticated(message: string) {
  return userError(message, 'UNAUTHENTICATED');
}

function viewerFromClaims(payload: JWTPayload): Viewer {
  const customerId = payload['customer_id'];
  const role = payload['role'];
  const storeIds = payload['store_ids'];
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
    role: role as Role,
    storeIds: storeIds === undefined ? null : (storeIds as string[]).map((s) => s.toLowerCase()),
  };
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'token audience is not this gateway';
    if (error.claim === 'iss') return 'token issuer is not trusted';
    if (error.claim === 'nbf') return 'token is not valid yet';
    return `token claim ${error.claim} is invalid`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token algorithm is not accepted';
  if (error instanceof errors.JWKSNoMatchingKey) return 'token key id (kid) is not known';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return 'token is malformed';
  }
  return 'token could not be verified';
}

/** Builds the verifier for the configured keys: HS256 secret and/or a JWKS (RS256, ES256). */
export async function createTokenVerifier(jwt: Config['jwt']): Promise<TokenVerifier> {
  const options = {
    issuer: jwt.issuer,
    audience: jwt.audience,
    clockTolerance: jwt.clockToleranceSeconds,
    requiredClaims: ['exp'],
  };
  const secret = jwt.secret ? new TextEncoder().encode(jwt.secret) : null;
  let jwks: JWTVerifyGetKey | null = null;
  if (jwt.jwksFile) {
    jwks = createLocalJWKSet(JSON.parse(await readFile(jwt.jwksFile, 'utf8')));
  } else if (jwt.jwksUrl) {
    jwks = createRemoteJWKSet(new URL(jwt.jwksUrl), {
      cacheMaxAge: 600_000,
      cooldownDuration: 30_000,
    });
  }
  if (!secret && !jwks) throw new Error('no JWT key configured (JWT_SECRET or a JWKS)');
  return async (token) => {
    let payload: JWTPayload;
    try {
      const header = JSON.parse(
        Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'),
      ) as { alg?: unknown };
      if (header.alg === 'HS256' && secret) {
        ({ payload } = await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] }));
      } else if ((header.alg === 'RS256' || header.alg === 'ES256') && jwks) {
        ({ payload } = await jwtVerify(token, jwks, {
          ...options,
          algorithms: ['RS256', 'ES256'],
        }));
      } else {
        throw unauthenticated('token algorithm is not accepted');
      }
    } catch (error) {
      if (error instanceof Error && error.name === 'GraphQLError') throw error;
      throw unauthenticated(describe(error));
    }
    return viewerFromClaims(payload);
  };
}

export interface MintOptions {
  secret: string;
  issuer: string;
  audience: string;
  customerId: string;
  role: Role;
  storeIds?: readonly string[];
  subject?: string;
  expiresIn?: string;
}

/** Signs an HS256 development token with the gateway's claims. */
export async function mintToken(options: MintOptions): Promise<string> {
  return new SignJWT({
    customer_id: options.customerId,
    role: options.role,
    ...(options.storeIds ? { store_ids: options.storeIds } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject ?? `${options.role}@${options.customerId}`)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h')
    .sign(new TextEncoder().encode(options.secret));
}
