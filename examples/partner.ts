// A partner app calling trusted documents by id: the hashes come from the manifest GraphQL Code
// Generator's client preset writes (persisted-documents.json, keys `sha256:<hex>`); the gateway
// serves that file as TRUSTED_DOCUMENTS_FILE and partners never send a query text.
// Run: GATEWAY_URL=… TOKEN=<partner token> MANIFEST=persisted-documents.json npx tsx examples/partner.ts
import { readFile } from 'node:fs/promises';

/** The manifest's id of the operation called `name`. */
export async function documentIdOf(manifestFile: string, name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Record<string, string>;
  const entry = Object.entries(manifest).find(([, document]) =>
    new RegExp(`(query|mutation) ${name}\\b`).test(document),
  );
  if (!entry) throw new Error(`${name} is not in ${manifestFile}`);
  return entry[0];
}

/** Runs the trusted operation `documentId` with `variables`; throws on GraphQL errors. */
export async function runTrusted<T>(
  url: string,
  token: string,
  documentId: string,
  variables: Record<string, unknown>,
): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ documentId, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data as T;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { GATEWAY_URL = 'http://localhost:4000', TOKEN = '', MANIFEST = '' } = process.env;
  const id = await documentIdOf(MANIFEST, 'PartnerStores');
  const data = await runTrusted(GATEWAY_URL, TOKEN, id, { first: 10 });
  process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
}
