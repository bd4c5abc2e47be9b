import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  publicJwk: JWK;
  publicPem: string;
}

/** A fresh asymmetric signing key with its public JWK (carrying kid, alg and use). */
export async function signingKey(
  alg: 'RS256' | 'ES256',
  kid: string = randomUUID(),
): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk, publicPem: await exportSPKI(publicKey) };
}

/** Writes a JWKS file of the given keys and returns its path. */
export async function writeJwks(keys: SigningKey[]): Promise<string> {
  const file = join(tmpdir(), `shelfops-jwks-${randomUUID()}.json`);
  await writeFile(file, JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
  return file;
}

export interface ClaimsOptions {
  issuer: string;
  audience: string;
  claims: JWTPayload;
  /** Seconds from now; negative for the past. Omitted: no exp claim. */
  expiresIn?: number;
  notBefore?: number;
}

function withTimes(jwt: SignJWT, options: ClaimsOptions): SignJWT {
  const now = Math.floor(Date.now() / 1000);
  jwt.setIssuer(options.issuer).setAudience(options.audience).setIssuedAt(now);
  if (options.expiresIn !== undefined) jwt.setExpirationTime(now + options.expiresIn);
  if (options.notBefore !== undefined) jwt.setNotBefore(now + options.notBefore);
  return jwt;
}

/** Signs a token with an asymmetric key, its kid in the header. */
export function signWithKey(key: SigningKey, options: ClaimsOptions, alg = key.alg) {
  return withTimes(new SignJWT(options.claims), options)
    .setProtectedHeader({ alg, kid: key.kid, typ: 'JWT' })
    .sign(key.privateKey);
}

/** Signs an HS256 token with the given secret bytes. */
export function signWithSecret(secret: string, options: ClaimsOptions) {
  return withTimes(new SignJWT(options.claims), options)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(secret));
}

/** An unsigned token (`alg: none`). */
export function unsignedToken(claims: JWTPayload): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

export interface JwksServer {
  url: string;
  /** How often the JWKS was fetched. */
  fetches: number;
  serve(keys: SigningKey[]): void;
  close(): Promise<void>;
}

/** A loopback JWKS endpoint whose keys can be rotated. */
export async function startJwksServer(keys: SigningKey[]): Promise<JwksServer> {
  let current = keys;
  const state = { fetches: 0 };
  const server: Server = createServer((_request, response) => {
    state.fetches += 1;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: current.map((k) => k.publicJwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    get fetches() {
      return state.fetches;
    },
    serve(next) {
      current = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
