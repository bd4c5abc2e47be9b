import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';

const SECRET_FILE = 'shelfops-jwt-secret';

/**
 * The HS256 secret: JWT_SECRET when set; otherwise (development only) one generated once and
 * kept beside the data, so tokens printed at start, or by the operator commands on the same
 * data, keep working after a restart. Null in production or with a JWKS.
 */
export async function developmentSecret(
  config: Config,
  database: Database,
): Promise<string | null> {
  if (config.jwt.secret) return config.jwt.secret;
  if (config.nodeEnv === 'production' || config.jwt.jwksFile || config.jwt.jwksUrl) return null;
  const dataDir = database.embedded?.dataDir;
  const file = dataDir
    ? join(dataDir, SECRET_FILE)
    : database.embedded
      ? null
      : resolve('.shelfops', SECRET_FILE);
  if (file === null) return randomBytes(32).toString('base64url');
  try {
    const stored = (await readFile(file, 'utf8')).trim();
    if (stored.length >= 32) return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(32).toString('base64url');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
