import sql from 'sql-template-tag';
import { durationSeconds } from '../auth/tokens.js';
import { OPERATOR, type Role } from '../auth/viewer.js';
import { builder } from '../builder.js';
import { userError } from '../errors.js';
import { RoleEnum } from './schema.js';

/** The longest lifetime of a token issued through the API. */
export const MAX_ISSUED_TOKEN_SECONDS = 90 * 86_400;

const IssuedToken = builder
  .objectRef<{ token: string; expiresAt: Date; storeIds: string[] | null }>('IssuedToken')
  .implement({
    description: 'A bearer token issued by issueToken.',
    fields: (t) => ({
      token: t.exposeString('token', { description: 'The bearer token (a JWT).' }),
      expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When it expires.' }),
      storeIds: t.field({
        type: ['UUID'],
        nullable: true,
        description: 'Stores it is limited to; null for every store of the tenant.',
        resolve: (issued) => issued.storeIds,
      }),
    }),
  });

builder.mutationField('issueToken', (t) =>
  t.field({
    type: IssuedToken,
    description:
      'Issues a token of the caller’s tenant (admin): any role, within the caller’s own store scope, for at most 90 days.',
    authScopes: { admin: true },
    args: {
      role: t.arg({ type: RoleEnum, required: true, description: 'The role it carries.' }),
      stores: t.arg({
        type: ['UUID'],
        description:
          'Stores it is limited to (within the caller’s scope); by default the caller’s scope.',
      }),
      expiresIn: t.arg.string({
        defaultValue: '12h',
        description: 'Lifetime such as "30m", "12h", "30d"; at most 90 days.',
      }),
    },
    resolve: async (_root, args, ctx) => {
      if (args.role === OPERATOR) {
        throw userError(
          'role OPERATOR belongs to no tenant: its tokens come from npm run token -- --operator',
          'FORBIDDEN',
        );
      }
      const issue = ctx.issueToken;
      if (!issue) {
        throw userError(
          'this gateway verifies tokens with keys of an identity provider (JWKS) and holds no secret to sign one; issue tokens there',
          'FORBIDDEN',
        );
      }
      const seconds = durationSeconds(args.expiresIn ?? '12h');
      if (seconds === null || seconds > MAX_ISSUED_TOKEN_SECONDS) {
        throw userError(
          `expiresIn ${JSON.stringify(args.expiresIn)} must be a duration such as "30m", "12h" or "30d", at most 90 days`,
        );
      }
      const requested = args.stores ? [...new Set(args.stores.map((s) => s.toLowerCase()))] : null;
      if (requested && (requested.length === 0 || requested.length > 1000)) {
        throw userError('stores must name 1 to 1000 stores, or be left out for the caller’s scope');
      }
      // Stores outside the caller's scope are invisible under its row-level security: unknown.
      if (requested) {
        const found = await ctx.db.query<{ id: string }>(sql`/* issueTokenStores */
          SELECT s.id::text AS "id" FROM stores s
          WHERE s.customer_id = ${ctx.db.customerId}::uuid AND s.id = ANY(${requested}::uuid[])`);
        const known = new Set(found.map((r) => r.id));
        const unknown = requested.filter((id) => !known.has(id));
        if (unknown.length > 0) {
          throw userError(`stores: no store ${unknown.join(', ')} in your scope`, 'NOT_FOUND');
        }
      }
      const storeIds = requested ?? (ctx.viewer.storeIds ? [...ctx.viewer.storeIds] : null);
      const token = await issue({
        customerId: ctx.viewer.customerId,
        role: args.role as Role,
        ...(storeIds ? { storeIds } : {}),
        subject: `${args.role}@${ctx.viewer.customerId} (issued by ${ctx.viewer.subject})`,
        expiresIn: `${seconds}s`,
      });
      return { token, expiresAt: new Date(Date.now() + seconds * 1000), storeIds };
    },
  }),
);
