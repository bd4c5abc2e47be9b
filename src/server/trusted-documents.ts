import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Kind, parse, validate, type GraphQLSchema } from 'graphql';

/** The trusted documents: hash → document, as GraphQL Code Generator's client preset emits them. */
export type TrustedDocuments = ReadonlyMap<string, string>;

/** The SHA-256 of a document, in hex: the hash clients send for it. */
export function documentHash(document: string, algorithm: 'sha256' | 'sha1' = 'sha256'): string {
  return createHash(algorithm).update(document, 'utf8').digest('hex');
}

// GraphQL Code Generator's client preset writes `persisted-documents.json` keys as
// `sha256:<hex>`; older versions and `npm run manifest` write the bare hex.
const SHA256_PREFIX = /^sha256:/i;

/** The key a manifest entry is served under: the bare, lower-case hash. */
function manifestKey(hash: string): string {
  return hash.replace(SHA256_PREFIX, '').toLowerCase();
}

/** Raised when the trusted-documents file cannot be served; lists every problem. */
export class TrustedDocumentsError extends Error {
  constructor(
    file: string,
    readonly problems: string[],
  ) {
    super(`Trusted documents ${file} are invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'TrustedDocumentsError';
  }
}

/** Checks one manifest entry against its hash and the schema; returns what is wrong. */
function entryProblems(schema: GraphQLSchema, hash: string, document: unknown): string[] {
  if (typeof document !== 'string') return [`${hash}: the document must be a string`];
  const key = manifestKey(hash);
  const sha1 = !SHA256_PREFIX.test(hash) && key === documentHash(document, 'sha1');
  if (key !== documentHash(document) && !sha1) {
    return [`${hash}: the hash is neither the SHA-256 nor the SHA-1 of its document`];
  }
  let parsed;
  try {
    parsed = parse(document);
  } catch (error) {
    return [`${hash}: ${error instanceof Error ? error.message : String(error)}`];
  }
  const operations = parsed.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1) return [`${hash}: a document must hold exactly one operation`];
  return validate(schema, parsed).map((error) => `${hash}: ${error.message}`);
}

/**
 * Reads a trusted-documents manifest (a JSON object of hash → document, hashes bare or
 * `sha256:`-prefixed as Code Generator's client preset writes them) and checks every
 * entry: the hash matches the document and the document is valid against the schema, so a
 * deployment whose schema broke a partner's operation fails at start, not at the partner.
 */
export function loadTrustedDocuments(file: string, schema: GraphQLSchema): TrustedDocuments {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new TrustedDocumentsError(file, [error instanceof Error ? error.message : String(error)]);
  }
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) {
    throw new TrustedDocumentsError(file, ['expected a JSON object of hash → document']);
  }
  const entries = Object.entries(manifest);
  const problems = entries.flatMap(([hash, document]) => entryProblems(schema, hash, document));
  if (problems.length > 0) throw new TrustedDocumentsError(file, problems);
  return new Map(
    (entries as [string, string][]).map(([hash, document]) => [manifestKey(hash), document]),
  );
}
