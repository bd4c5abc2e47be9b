import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Kind, parse, type GraphQLSchema } from 'graphql';
import { loadTrustedDocuments, type TrustedDocuments } from '../server/trusted-documents.js';

/** The manifest shipped with the gateway (`npm run manifest`), beside src/ and dist/. */
export const SHIPPED_MANIFEST = fileURLToPath(
  new URL('../../persisted/trusted-documents.json', import.meta.url),
);

/** The dashboard's operations are the manifest's operations named `Dashboard…`. */
const DASHBOARD_OPERATION = /^Dashboard[A-Z]/;

/** The dashboard's persisted operations: operation name → hash. */
export type DashboardOperations = Readonly<Record<string, string>>;

/** The operation name of a trusted document (it holds exactly one). */
function operationName(document: string): string | undefined {
  const operation = parse(document).definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  return operation?.kind === Kind.OPERATION_DEFINITION ? operation.name?.value : undefined;
}

/** Whether a trusted document is one of the dashboard's operations. */
function isDashboardDocument(document: string): boolean {
  return DASHBOARD_OPERATION.test(operationName(document) ?? '');
}

/** The dashboard's operations among trusted documents, by name. */
export function dashboardOperations(trusted: TrustedDocuments): DashboardOperations {
  const found: Record<string, string> = {};
  for (const [hash, document] of trusted) {
    const name = operationName(document);
    if (name && DASHBOARD_OPERATION.test(name)) found[name] = hash;
  }
  return found;
}

/**
 * The dashboard's own entries of the shipped manifest, so /dashboard runs on persisted documents
 * whether or not TRUSTED_DOCUMENTS_FILE is set (and whichever partner manifest it names). They
 * are runnable by analysts and admins only: a partner runs exactly the manifest it was given.
 */
export function dashboardDocuments(
  schema: GraphQLSchema,
  manifest: string = SHIPPED_MANIFEST,
): TrustedDocuments {
  if (!existsSync(manifest)) return new Map();
  return new Map(
    [...loadTrustedDocuments(manifest, schema)].filter(([, document]) =>
      isDashboardDocument(document),
    ),
  );
}
