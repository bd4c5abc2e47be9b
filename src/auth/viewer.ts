/** The roles a token may carry. */
export const ROLES = ['analyst', 'partner', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: the tenant, the role and the optional store scope, from a verified token. */
export interface Viewer {
  subject: string;
  customerId: string;
  role: Role;
  /** null: every store of the tenant. */
  storeIds: readonly string[] | null;
  /** When the token expires (`exp`, ms since the epoch): an open stream ends then. */
  expiresAt: number;
}
