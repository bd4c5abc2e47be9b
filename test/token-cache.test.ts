import { describe, expect, it } from 'vitest';
import { createTokenVerifier, mintToken } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';
import { TEST_SECRET } from './support/gateway.js';

const config = loadConfig({ JWT_SECRET: TEST_SECRET, JWT_CLOCK_TOLERANCE_SECONDS: '0' });
const customerId = '0000000a-0000-4000-8000-000000000000';
const mint = (expiresIn: string) =>
  mintToken({
    secret: TEST_SECRET,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    customerId,
    role: 'analyst',
    expiresIn,
  });

describe('verified-token cache', () => {
  it('verifies a token once and answers its repeats from the cache', async () => {
    const verify = await createTokenVerifier(config.jwt);
    const token = await mint('1h');
    const first = await verify(token);
    expect(first).toMatchObject({ customerId, role: 'analyst', storeIds: null });
    // The same object: the repeat was not verified (nor its claims mapped) again.
    expect(await verify(token)).toBe(first);
    const other = await verify(await mint('2h'));
    expect(other).not.toBe(first);
    // The same viewer, but for its expiry (an hour later, give or take the second minted in).
    expect({ ...other, expiresAt: first.expiresAt }).toEqual(first);
    expect(other.expiresAt - first.expiresAt).toBeGreaterThanOrEqual(3_600_000);
    expect(other.expiresAt - first.expiresAt).toBeLessThanOrEqual(3_601_000);
  });

  it('knows at once only a token it verified, and not past its exp', async () => {
    const verify = await createTokenVerifier(config.jwt);
    const token = await mint('2s');
    expect(verify.known?.(token)).toBeUndefined();
    const viewer = await verify(token);
    expect(verify.known?.(token)).toBe(viewer);
    const forged = `${token.slice(0, -2)}${token.endsWith('A') ? 'BB' : 'AA'}`;
    await expect(verify(forged)).rejects.toThrow('token signature is invalid');
    expect(verify.known?.(forged)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(verify.known?.(token)).toBeUndefined();
  });

  it('never answers a token from the cache past its exp', async () => {
    const verify = await createTokenVerifier(config.jwt);
    const token = await mint('2s');
    expect((await verify(token)).customerId).toBe(customerId);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await expect(verify(token)).rejects.toThrow('token expired');
  });

  it('remembers no failure: a bad token is refused every time', async () => {
    const verify = await createTokenVerifier(config.jwt);
    const token = await mint('1h');
    const forged = `${token.slice(0, -2)}${token.endsWith('A') ? 'BB' : 'AA'}`;
    await expect(verify(forged)).rejects.toThrow('token signature is invalid');
    await expect(verify(forged)).rejects.toThrow('token signature is invalid');
    expect((await verify(token)).customerId).toBe(customerId);
  });
});
