import { GraphQLError } from 'graphql';
import { DatabaseError } from 'pg';
import { userError } from '../errors.js';

// Messages keyed by constraint name: what the caller did wrong, without SQL details.
const CONSTRAINTS: Record<string, string> = {
  inventory_on_hand_non_negative: 'onHand must not be negative',
  inventory_allocated_non_negative: 'allocated must not be negative',
  inventory_allocated_within_on_hand: 'allocated must not exceed onHand',
  reorder_point_non_negative: 'reorderPoint must not be negative',
  reorder_quantity_positive: 'reorderQuantity must be positive',
  reorder_points_one_current_idx: 'this store/product already has a current reorder point',
  alerts_one_open_idx: 'an unresolved alert of this type already exists for this store/product',
  alerts_message_check: 'message must be 1 to 2000 characters',
  reorder_points_period_ordered:
    'the current reorder point starts in the future; it cannot be replaced before it starts',
  forecasts_bounds_ordered: 'forecast bounds must satisfy lower <= units <= upper',
  product_costs_period_ordered:
    'a product’s new cost must take effect after its current cost did (costFrom); history is never rewritten',
};

/** What the client of a request cancelled by its tenant's admin or the operator receives. */
export function queryCancelledError(): GraphQLError {
  return userError(
    'an administrator cancelled this request (cancelQuery); run it again, narrower if it was slow',
    'QUERY_CANCELLED',
  );
}

/**
 * The constraint an error names. Citus passes a shard's error on without the field, naming the
 * constraint in its message only (as `constraint "…"`, or first, for a trigger's own check), and
 * an index by its shard's name (the shard id appended).
 */
function constraintOf(error: DatabaseError): string {
  const named =
    error.constraint ??
    /constraint "([^"]+)"/.exec(error.message)?.[1] ??
    /^(\w+):/.exec(error.message)?.[1] ??
    '';
  return Object.hasOwn(CONSTRAINTS, named) ? named : named.replace(/_\d+$/, '');
}

/**
 * Turns a PostgreSQL error a caller can cause (constraint, privilege, timeout) into a typed
 * GraphQL error; returns the error unchanged when it is a server fault, so it stays masked.
 */
export function translateDatabaseError(error: unknown): unknown {
  if (error instanceof GraphQLError || !(error instanceof DatabaseError)) return error;
  const constraint = constraintOf(error);
  switch (error.code) {
    case '23514':
    case '23505':
    case '23P01':
      return userError(
        CONSTRAINTS[constraint] ?? `the change conflicts with existing data (${constraint})`,
        error.code === '23514' ? 'CONSTRAINT_VIOLATION' : 'CONFLICT',
        { constraint },
      );
    case '23503':
      return userError('a referenced store or product does not exist for this tenant', 'NOT_FOUND');
    case '23502':
      return userError(`a required value is missing (${error.column ?? 'unknown column'})`);
    case '22003':
      return userError('a number is out of range', 'BAD_USER_INPUT');
    case '42501':
      return userError('your role or store scope does not allow this change', 'FORBIDDEN');
    case '57014':
      return userError('the query took longer than the statement timeout; narrow it', 'TIMEOUT');
    default:
      return error;
  }
}
