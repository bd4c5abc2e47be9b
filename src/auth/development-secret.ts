import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config.js';

const SECRET_FILE = 'shelfops-jwt-secret';

/**
 * Where a development gateway without JWT_SECRET keeps the secret it generated: beside the
 * embedded data (`.shelfops/data/shelfops-jwt-secret` by default), or `.shelfops/` against a
 * server. Null where none is kept: production, a JWKS, or embedded data held in memory.
 */
export function developmentSecretFile(config: Config): string | null {
  if (config.nodeEnv === 'production' || config.jwt.jwksFile || config.jwt.jwksUrl) return null;
  if (config.databaseUrl) return resolve('.shelfops', SECRET_FILE);
  return config.embeddedDataDir === null
    ? null
    : join(resolve(config.embeddedDataDir), SECRET_FILE);
}

async function readSecret(file: string): Promise<string | null> {
  try {
    const stored = (await readFile(file, 'utf8')).trim();
    return stored.length >= 32 ? stored : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return null;
  }
}

/**
 * The HS256 secret: JWT_SECRET when set; otherwise (development only) one generated once and
 * kept beside the data, so tokens printed at start, or by the operator commands on the same
 * data, keep working after a restart. Null in production or with a JWKS.
 */
export async function developmentSecret(config: Config): Promise<string | null> {
  if (config.jwt.secret) return config.jwt.secret;
  if (config.nodeEnv === 'production' || config.jwt.jwksFile || config.jwt.jwksUrl) return null;
  const file = developmentSecretFile(config);
  if (file === null) return randomBytes(32).toString('base64url');
  const stored = await readSecret(file);
  if (stored !== null) return stored;
  const secret = randomBytes(32).toString('base64url');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/**
 * The secret the gateway signs with, for commands that only mint tokens: JWT_SECRET, or the
 * one a development gateway generated (never a new one: a token signed with it would be
 * refused). Null when there is neither.
 */
export async function existingSecret(config: Config): Promise<string | null> {
  if (config.jwt.secret) return config.jwt.secret;
  const file = developmentSecretFile(config);
  return file === null ? null : readSecret(file);
}
