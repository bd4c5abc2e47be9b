import { OPERATOR } from '../auth/viewer.js';
import { builder } from '../builder.js';
import { userError } from '../errors.js';
import type { RunningRequest } from './activity.js';

const ActiveQueryRef = builder.objectRef<RunningRequest>('ActiveQuery').implement({
  description: 'A request of this gateway process that is running now.',
  fields: (t) => ({
    id: t.exposeString('id', {
      description:
        'The request id (X-Request-Id when the client sent one): what cancelQuery takes.',
    }),
    operation: t.exposeString('operation', {
      description: 'The GraphQL operation name ("anonymous" for an unnamed one).',
    }),
    customerId: t.expose('customerId', { type: 'UUID', description: 'Tenant id.' }),
    startedAt: t.field({
      type: 'DateTime',
      description: 'When its execution started.',
      resolve: (r) => new Date(r.startedAt),
    }),
    durationMs: t.int({
      description: 'How long it has run, in milliseconds.',
      resolve: (r) => Date.now() - r.startedAt,
    }),
    statement: t.string({
      nullable: true,
      description: 'The SQL statement running for it now; null between statements.',
      resolve: (r) => r.db.current?.text ?? null,
    }),
    statementMs: t.int({
      nullable: true,
      description: 'How long that statement has run, in milliseconds.',
      resolve: (r) =>
        r.db.current ? Math.round(performance.now() - r.db.current.startedAt) : null,
    }),
    pid: t.int({
      nullable: true,
      description: 'The database server process of its connection, once it has one.',
      resolve: (r) => r.db.backendPid,
    }),
  }),
});

// A tenant admin's view is its own tenant's requests; the operator's, every tenant's.
const scopeOf = (viewer: { role: string; customerId: string }) =>
  viewer.role === OPERATOR ? null : viewer.customerId;

builder.queryField('activeQueries', (t) =>
  t.field({
    type: [ActiveQueryRef],
    authScopes: { admin: true, operator: true },
    description:
      'Requests of your tenant running now on this gateway process (admins; the operator sees every tenant’s).',
    resolve: (_root, _args, ctx) => ctx.operator.activity.active(scopeOf(ctx.viewer)),
  }),
);

builder.mutationField('cancelQuery', (t) =>
  t.boolean({
    authScopes: { admin: true, operator: true },
    description:
      'Ends a running request of your tenant (its id from activeQueries); its client receives QUERY_CANCELLED. The operator may give a database process id instead.',
    args: {
      id: t.arg.string({ required: true, description: 'The request id (or, operator: a pid).' }),
    },
    resolve: (_root, { id }, ctx) => {
      if (!ctx.operator.activity.cancel(id, scopeOf(ctx.viewer))) {
        throw userError(`no running request ${id} of your tenant on this gateway`, 'NOT_FOUND');
      }
      return true;
    },
  }),
);

builder.queryField('operatorReport', (t) =>
  t.field({
    type: 'JSONObject',
    authScopes: { operator: true },
    description:
      'The operator’s health report (what `npm run doctor` prints): active statements, slowest operations, slow statements with their plans, unused indexes, sizes and compression, rollup lag and jobs, usage per tenant. Operator tokens only.',
    resolve: async (_root, _args, ctx) =>
      (await ctx.operator.report()) as unknown as Record<string, unknown>,
  }),
);
