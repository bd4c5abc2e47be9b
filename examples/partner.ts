// A partner app calling trusted documents by id: the hashes come from the manifest GraphQL Code
// Generator's client preset writes (persisted-documents.json, keys `sha256:<hex>`); the gateway
// serves that file as TRUSTED_DOCUMENTS_FILE and partners never send a query text. A partner
// knows its own store codes and SKUs, never the gateway's ids: it upserts its catalog by them
// and names them in its sale lines (syncCatalogAndSales). The repository ships such a manifest,
// persisted/trusted-documents.json (start the gateway with TRUSTED_DOCUMENTS_FILE set to it).
// Run: GATEWAY_URL=… TOKEN=<partner token> MANIFEST=persisted/trusted-documents.json npx tsx examples/partner.ts
// It syncs a kiosk store and a product by their codes, records a sale of them, and lists stores.
import { randomUUID } from 'node:crypto';
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

/** A POS sale line as a partner knows it: its store's code and its product's SKU. */
export interface PartnerSale {
  transactionId: string;
  time: string;
  storeCode: string;
  sku: string;
  quantity: number;
  unitPrice: string;
}

/**
 * A POS vendor's sync: its stores and products by code and SKU (created or updated), then sale
 * lines naming them by code, all through trusted documents. Returns what each step changed.
 */
export async function syncCatalogAndSales(
  url: string,
  token: string,
  manifestFile: string,
  catalog: {
    stores: { code: string; name: string; region: string; timeZone: string }[];
    products: { sku: string; name: string; category: string; unitPrice: string }[];
  },
  sales: PartnerSale[],
) {
  const run = async <T>(name: string, variables: Record<string, unknown>) =>
    runTrusted<T>(url, token, await documentIdOf(manifestFile, name), variables);
  const stores = await run<{ upsertStores: { created: number; updated: number } }>(
    'PartnerUpsertStores',
    { stores: catalog.stores },
  );
  const products = await run<{ upsertProducts: { created: number; updated: number } }>(
    'PartnerUpsertProducts',
    { products: catalog.products },
  );
  const recorded = await run<{ recordSales: { accepted: number; duplicates: number } }>(
    'PartnerRecordSales',
    { sales },
  );
  const changed = ({ created, updated }: { created: number; updated: number }) => ({
    created,
    updated,
  });
  return {
    stores: changed(stores.upsertStores),
    products: changed(products.upsertProducts),
    sales: recorded.recordSales,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const {
    GATEWAY_URL = 'http://localhost:4000',
    TOKEN = '',
    MANIFEST = 'persisted/trusted-documents.json',
  } = process.env;
  const synced = await syncCatalogAndSales(
    GATEWAY_URL,
    TOKEN,
    MANIFEST,
    {
      stores: [{ code: 'KIOSK-1', name: 'Station kiosk', region: 'Central', timeZone: 'UTC' }],
      products: [{ sku: 'COFFEE-1', name: 'Filter coffee', category: 'Drinks', unitPrice: '2.40' }],
    },
    [
      {
        transactionId: randomUUID(),
        time: new Date().toISOString(),
        storeCode: 'KIOSK-1',
        sku: 'COFFEE-1',
        quantity: 1,
        unitPrice: '2.40',
      },
    ],
  );
  process.stdout.write(`${JSON.stringify(synced)}\n`);
  const stores = await runTrusted(
    GATEWAY_URL,
    TOKEN,
    await documentIdOf(MANIFEST, 'PartnerStores'),
    { first: 10 },
  );
  process.stdout.write(`${JSON.stringify(stores, null, 2)}\n`);
}
