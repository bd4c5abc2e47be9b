/** What every connection of the gateway is called in pg_stat_activity outside a request. */
export const TAG_PREFIX = 'shelfops';

// PostgreSQL keeps application_name to NAMEDATALEN - 1 bytes.
const MAX_TAG_BYTES = 63;

/**
 * The application_name a request's transaction sets, so that pg_stat_activity (and the logs)
 * tell which operation of which tenant each statement belongs to: `shelfops/<tenant>/<operation>`,
 * the operation cut to fit. Operation names are GraphQL names (ASCII), the tenant a UUID.
 */
export function statementTag(customerId: string, operation: string): string {
  const head = `${TAG_PREFIX}/${customerId}/`;
  return head + operation.replace(/[^A-Za-z0-9_]/g, '').slice(0, MAX_TAG_BYTES - head.length);
}

/** The tenant and operation of a tag; null for anything the gateway did not tag. */
export function parseStatementTag(
  applicationName: string,
): { customerId: string; operation: string } | null {
  const [prefix, customerId, operation, ...rest] = applicationName.split('/');
  if (prefix !== TAG_PREFIX || !customerId || operation === undefined || rest.length > 0) {
    return null;
  }
  return { customerId, operation };
}
