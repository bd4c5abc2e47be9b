/** The roles a token may carry. */
export const ROLES = ['analyst', 'partner', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * The operator: no tenant's caller. Its requests run as the database role shelfops_operator
 * (statistics only, no tenant row) and reach the operator fields (operatorReport, every
 * tenant's activeQueries).
 */
export const OPERATOR = 'operator';

/** A role a verified token may carry: a tenant's, or the operator's. */
export type ViewerRole = Role | typeof OPERATOR;

/** The tenant id an operator's requests carry: no tenant has it, so every policy matches none. */
export const NO_TENANT = '00000000-0000-0000-0000-000000000000';

/** Who is calling: the tenant, the role and the optional store scope, from a verified token. */
export interface Viewer {
  subject: string;
  customerId: string;
  role: ViewerRole;
  /** null: every store of the tenant. */
  storeIds: readonly string[] | null;
  /** When the token expires (`exp`, ms since the epoch): an open stream ends then. */
  expiresAt: number;
}
