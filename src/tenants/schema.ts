import { builder } from '../builder.js';
import { userError } from '../errors.js';
import { normalRetention, retentionHorizon } from '../sales/retention.js';
import { setTenantRetention, type RetentionChange } from './tenant-store.js';

const RetentionPayload = builder.objectRef<RetentionChange>('RetentionPayload').implement({
  description: 'The tenant’s retention horizon after setRetention.',
  fields: (t) => ({
    retention: t.exposeString('retention', { description: 'The horizon, e.g. "20 years".' }),
    horizon: t.field({
      type: 'DateTime',
      description: 'Sale lines older than this are refused from now on.',
      resolve: (change) => retentionHorizon(change.retention),
    }),
    linesToDelete: t.exposeInt('linesOlder', {
      description: 'Stored sale lines older than the horizon: the next retention run deletes them.',
    }),
  }),
});

builder.mutationField('setRetention', (t) =>
  t.field({
    type: RetentionPayload,
    description:
      'Sets how long the tenant keeps sale lines (admin without a store scope). A horizon under which stored lines would be deleted needs confirm: true; the refusal says how many.',
    authScopes: { admin: true },
    args: {
      retention: t.arg.string({
        required: true,
        description: 'A count of minutes, hours, days, weeks, months or years, e.g. "20 years".',
      }),
      confirm: t.arg.boolean({
        defaultValue: false,
        description:
          'Delete the stored lines older than the new horizon (at the next retention run).',
      }),
    },
    resolve: async (_root, args, ctx) => {
      if (ctx.viewer.storeIds !== null) {
        throw userError('a store-scoped token may not change the tenant’s retention', 'FORBIDDEN');
      }
      const retention = normalRetention(args.retention);
      if (retention === null) {
        throw userError(
          `retention ${JSON.stringify(args.retention)} is not a count of minutes, hours, days, weeks, months or years from 1 to 9999, e.g. "20 years"`,
        );
      }
      const change = await setTenantRetention(ctx.db, retention, args.confirm ?? false);
      if (!change.changed) {
        throw userError(
          `retention "${retention}" would delete ${change.linesOlder} stored sale lines older than it; send confirm: true to delete them`,
          'BAD_USER_INPUT',
          { linesToDelete: change.linesOlder },
        );
      }
      return change;
    },
  }),
);
