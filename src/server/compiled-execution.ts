import {
  getOperationAST,
  GraphQLError,
  Kind,
  visit,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { isPromise, type Plugin } from 'graphql-yoga';

type Compiled = CompiledQuery<Record<string, unknown>, Record<string, unknown>>;

/**
 * Whether graphql-jit answers `document` as the reference executor does. It builds each
 * object by assigning its response keys, so a key `__proto__` sets the object's prototype
 * instead of adding a field (the field vanishes from the answer).
 */
function compilable(document: DocumentNode): boolean {
  let safe = true;
  visit(document, {
    Field(node) {
      if ((node.alias ?? node.name).value === '__proto__') safe = false;
    },
  });
  return safe;
}

/**
 * The field nodes an error at `path` belongs to: those of its response key, through
 * fragments, under the nodes of the previous key (list indices skipped).
 */
function fieldNodesAt(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  path: readonly (string | number)[],
): FieldNode[] {
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  let sets: SelectionSetNode[] = [operation.selectionSet];
  let found: FieldNode[] = [];
  for (const key of path) {
    if (typeof key === 'number') continue;
    found = [];
    const collect = (set: SelectionSetNode) => {
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          if ((selection.alias ?? selection.name).value === key) found.push(selection);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          collect(selection.selectionSet);
        } else {
          const fragment = fragments.get(selection.name.value);
          if (fragment) collect(fragment.selectionSet);
        }
      }
    };
    sets.forEach(collect);
    sets = found.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  }
  return found;
}

/**
 * The compiled answer as the reference executor writes it: an error a resolver raised is
 * located at its fields as graphql's `locatedError` does (graphql-jit's own error type loses
 * its locations once masked), and `errors` comes first.
 */
function asReference(
  result: ExecutionResult,
  document: DocumentNode,
  operationName: string | null,
): ExecutionResult {
  if (!result.errors?.length) return result;
  const operation = getOperationAST(document, operationName);
  const errors = result.errors.map((error) => {
    if (!error.path || !operation) return error;
    return new GraphQLError(error.message, {
      nodes: fieldNodesAt(document, operation, error.path),
      path: error.path,
      originalError: error.originalError ?? error,
      extensions: error.extensions,
    });
  });
  const { data, extensions } = result;
  return extensions === undefined ? { errors, data } : { errors, data, extensions };
}

/**
 * Runs queries and mutations with graphql-jit: each operation is compiled once (Yoga's parse
 * cache hands back the same document object for the same text) into a function that resolves
 * and completes its fields without the reference executor's per-field bookkeeping (a resolve
 * info, a path and an argument map per field and row), which cost a third of the CPU of a
 * nested 100-row page. Its answers are those of the reference executor, byte for byte (a
 * differential test holds it to that): errors get their locations back, and what it cannot
 * match keeps the reference executor: variables the compiled function refuses (so a bad
 * variable gets the same message and HTTP 400), documents it would answer differently
 * (`compilable`), operations it cannot compile, and every subscription.
 */
export function useCompiledExecution(): Plugin {
  const compiled = new WeakMap<DocumentNode, Map<string | null, Compiled | null>>();

  const compiledFor = (schema: GraphQLSchema, document: DocumentNode, name: string | null) => {
    let byName = compiled.get(document);
    if (!byName) {
      byName = new Map();
      compiled.set(document, byName);
    }
    let query = byName.get(name);
    if (query === undefined) {
      const result = compilable(document)
        ? compileQuery(schema, document, name ?? undefined)
        : null;
      query = result && isCompiledQuery(result) ? (result as Compiled) : null;
      byName.set(name, query);
    }
    return query;
  };

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const name = args.operationName ?? null;
      const query = compiledFor(args.schema, args.document, name);
      if (query === null) return;
      setExecuteFn((run: ExecutionArgs) => {
        const variables = (run.variableValues ?? {}) as Record<string, unknown>;
        const result = query.query(run.rootValue, run.contextValue, variables);
        const checked = (done: Awaited<typeof result>) =>
          'data' in done ? asReference(done, run.document, name) : executeFn(run);
        return isPromise(result) ? result.then(checked) : checked(result);
      });
    },
  };
}
