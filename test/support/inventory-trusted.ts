import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GraphQLResponse, TestGateway } from './gateway.js';

const sha256 = (document: string) => createHash('sha256').update(document, 'utf8').digest('hex');

/** Writes a trusted-documents manifest (hash → document) and returns its path. */
export async function writeTrustedDocuments(name: string, documents: string[]): Promise<string> {
  const file = join(tmpdir(), `shelfops-${name}-${process.pid}-${Date.now()}.json`);
  await writeFile(file, JSON.stringify(Object.fromEntries(documents.map((d) => [sha256(d), d]))));
  return file;
}

/** Runs a trusted document by its hash, as partner apps do. */
export async function runTrusted<T = Record<string, unknown>>(
  gw: TestGateway,
  document: string,
  variables: Record<string, unknown>,
  token: string,
): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ documentId: `sha256:${sha256(document)}`, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status'>;
  return { status: response.status, ...body };
}
