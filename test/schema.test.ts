import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { printSchemaSdl } from '../src/schema.js';

describe('schema.graphql', () => {
  it('matches the Pothos schema (run `npm run schema:print` after changing it)', async () => {
    const committed = await readFile(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printSchemaSdl());
  });
});
