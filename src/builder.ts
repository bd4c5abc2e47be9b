import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { JSONObjectResolver, LocalDateResolver, TimeZoneResolver } from 'graphql-scalars';
import type { GraphQLContext } from './context.js';
import { userError } from './errors.js';
import { BigIntScalar, DateTimeScalar, DecimalScalar, UUIDScalar } from './scalars.js';
import { costLimitOf } from './server/cost-limit.js';

/** The one Pothos builder; domain modules add their types and fields to it. */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  AuthScopes: {
    analyst: boolean;
    partner: boolean;
    admin: boolean;
    writer: boolean;
    operator: boolean;
  };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    Date: { Input: string; Output: string };
    UUID: { Input: string; Output: string };
    TimeZone: { Input: string; Output: string };
    BigInt: { Input: bigint; Output: bigint | string | number };
    Decimal: { Input: string; Output: string };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
  };
}>({
  plugins: [ScopeAuthPlugin, RelayPlugin, ComplexityPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: (context) => ({
      analyst: context.viewer.role === 'analyst',
      partner: context.viewer.role === 'partner',
      admin: context.viewer.role === 'admin',
      writer: context.viewer.role === 'admin' || context.viewer.role === 'partner',
      operator: context.viewer.role === 'operator',
    }),
    unauthorizedError: (_parent, _context, info) =>
      userError(`your role may not use ${info.parentType.name}.${info.fieldName}`, 'FORBIDDEN'),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    // A connection's own complexity multiplies by its page size; edges must not count again.
    edgesFieldOptions: { complexity: { field: 0, multiplier: 1 } },
  },
  complexity: {
    defaultComplexity: 1,
    defaultListMultiplier: 10,
    // Each role's limit (MAX_COST_*), checked before the operation's first resolver runs.
    limit: (context) => ({ complexity: costLimitOf(context.viewer) }),
    complexityError: (_kind, { complexity, maxComplexity }) =>
      userError(
        `the operation costs ${complexity}, over your limit of ${maxComplexity ?? 0}; ask for fewer rows (first), buckets or nested fields`,
        'COST_LIMIT',
        { cost: complexity, maxCost: maxComplexity },
      ),
  },
});

builder.addScalarType('DateTime', DateTimeScalar);
builder.addScalarType('Date', LocalDateResolver);
builder.addScalarType('UUID', UUIDScalar);
builder.addScalarType('TimeZone', TimeZoneResolver);
builder.addScalarType('BigInt', BigIntScalar);
builder.addScalarType('Decimal', DecimalScalar);
builder.addScalarType('JSONObject', JSONObjectResolver);

builder.queryType({ description: 'Analytics over the caller’s tenant, scoped by its token.' });
builder.mutationType({ description: 'Ingest and lifecycle changes; role-checked, RLS-guarded.' });
