import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// TimescaleDB's own schemas: their tables and functions change between releases (2.28 dropped
// `_timescaledb_catalog.chunk.dropped`, which 2.23 had). A schema-qualified name is a read or
// a call; `GRANT USAGE ON SCHEMA _timescaledb_internal` names the schema alone: it is a
// privilege TimescaleDB itself needs on the gateway role's cold connections (chunk routing,
// decompression), not a read, and is not matched.
const INTERNAL = /\b_timescaledb_(?:catalog|internal|functions|config|cache)\s*\.\s*"?\w/i;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.(sql|ts)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** The code of a file without its comments, so that prose about the catalog is allowed. */
function code(path: string, text: string): string[] {
  const withoutBlocks = path.endsWith('.ts') ? text.replace(/\/\*[\s\S]*?\*\//g, '') : text;
  return withoutBlocks
    .split('\n')
    .map((line) => line.replace(path.endsWith('.sql') ? /--.*$/ : /(^|\s)\/\/.*$/, ''));
}

/** `path:line` of every reference to TimescaleDB's internal schemas in the given files. */
async function internalReads(paths: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const path of paths) {
    const lines = code(path, await readFile(path, 'utf8'));
    lines.forEach((line, n) => {
      if (INTERNAL.test(line)) found.push(`${relative(ROOT, path)}:${n + 1}: ${line.trim()}`);
    });
  }
  return found;
}

describe("only TimescaleDB's public interface", () => {
  it('no migration and no query reads TimescaleDB’s internal catalog or functions', async () => {
    const paths = [
      ...(await filesUnder(join(ROOT, 'sql'))),
      ...(await filesUnder(join(ROOT, 'src'))),
    ];
    expect(paths.length).toBeGreaterThan(30);
    expect(await internalReads(paths)).toEqual([]);
  });

  it('the scan finds a catalog read and lets a schema privilege and comments pass', () => {
    const read = code('x.sql', 'SELECT status FROM _timescaledb_catalog.chunk c WHERE true');
    const call = code('x.ts', "const q = `SELECT _timescaledb_functions.chunk_status('t')`;");
    const quoted = code('x.sql', 'SELECT * FROM _timescaledb_internal."_hyper_1_1_chunk"');
    const grant = code('x.sql', 'GRANT USAGE ON SCHEMA _timescaledb_internal TO shelfops_gateway;');
    const comment = code('x.ts', '// not _timescaledb_catalog.chunk: it changes between releases');
    expect([read, call, quoted].map((lines) => lines.some((l) => INTERNAL.test(l)))).toEqual([
      true,
      true,
      true,
    ]);
    expect([grant, comment].map((lines) => lines.some((l) => INTERNAL.test(l)))).toEqual([
      false,
      false,
    ]);
  });
});
