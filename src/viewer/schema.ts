import sql from 'sql-template-tag';
import type { Viewer, ViewerRole } from '../auth/viewer.js';
import { builder } from '../builder.js';
import { tenantRetention } from '../analytics/data-freshness.js';

/** The roles a token may carry, as GraphQL names them. */
export const RoleEnum = builder.enumType('Role', {
  description: 'What a caller may do.',
  values: {
    ANALYST: { value: 'analyst', description: 'Any query within limits; GraphiQL.' },
    PARTNER: {
      value: 'partner',
      description: 'Trusted operations only; may ingest sales and stock.',
    },
    ADMIN: { value: 'admin', description: 'Every query and every write of its tenant.' },
    OPERATOR: {
      value: 'operator',
      description:
        'No tenant: the operator’s report and every tenant’s running requests, never a tenant’s rows (npm run token -- --operator).',
    },
  } satisfies Record<Uppercase<ViewerRole>, { value: string; description: string }>,
});

const ViewerRef = builder.objectRef<Viewer>('Viewer').implement({
  description: 'The caller, as its token describes it.',
  fields: (t) => ({
    subject: t.exposeString('subject', { description: 'Token subject.' }),
    customerId: t.expose('customerId', { type: 'UUID', description: 'Tenant id.' }),
    customerName: t.string({
      nullable: true,
      description: 'Tenant name; null when the tenant does not exist.',
      resolve: async (_viewer, _args, ctx) => {
        const rows = await ctx.db.query<{ name: string }>(sql`/* viewerCustomer */
          SELECT c.name AS "name" FROM customers c`);
        return rows[0]?.name ?? null;
      },
    }),
    retention: t.string({
      description:
        'How long the tenant keeps sale lines (e.g. "2 years"): older lines are refused and deleted. Admins change it with setRetention.',
      resolve: (_viewer, _args, ctx) => tenantRetention(ctx),
    }),
    role: t.field({ type: RoleEnum, description: 'Role.', resolve: (v) => v.role }),
    storeIds: t.field({
      type: ['UUID'],
      nullable: true,
      description: 'Stores the caller is limited to; null for every store of the tenant.',
      resolve: (v) => v.storeIds,
    }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: ViewerRef,
    description: 'Who the caller is.',
    resolve: (_r, _a, ctx) => ctx.viewer,
  }),
);
