import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import {
  getOperationAST,
  GraphQLError,
  Kind,
  valueFromASTUntyped,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import { pageSize } from '../pagination.js';
import { LIMIT_CODES, markRefusal } from './limit-refusals.js';

/** Size limits checked while parsing and validating, before any resolver runs. */
export function useDocumentLimits(limits: Config['limits']): Plugin {
  return EnvelopArmorPlugin({
    maxDepth: {
      n: limits.maxDepth,
      flattenFragments: true,
      onReject: [markRefusal(LIMIT_CODES.depth)],
    },
    maxAliases: { n: limits.maxAliases, onReject: [markRefusal(LIMIT_CODES.aliases)] },
    maxDirectives: { n: limits.maxDirectives, onReject: [markRefusal(LIMIT_CODES.directives)] },
    maxTokens: { n: limits.maxTokens, onReject: [markRefusal(LIMIT_CODES.tokens)] },
    // Cost is the schema's own (Pothos complexity per field, per role); suggestions are hidden
    // per role by useHiddenSuggestions.
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  }) as Plugin;
}

const SUGGESTION = /\s*Did you mean [^?]*\?/g;

function withoutSuggestions<E extends Error>(error: E): E | GraphQLError {
  const message = error.message.replace(SUGGESTION, '');
  if (message === error.message || !(error instanceof GraphQLError)) return error;
  return new GraphQLError(message, {
    nodes: error.nodes ?? null,
    source: error.source ?? null,
    positions: error.positions ?? null,
    path: error.path ?? null,
    originalError: error.originalError ?? null,
    extensions: error.extensions,
  });
}

/**
 * Removes "Did you mean …?" from validation and variable errors for the callers `hide`
 * selects (partners), so they cannot map the schema by trial and error.
 */
export function useHiddenSuggestions(hide: (request: Request) => boolean): Plugin {
  const requestOf = (context: unknown) => (context as { request?: Request }).request;
  return {
    onValidate({ context }) {
      const request = requestOf(context);
      if (!request || !hide(request)) return;
      return ({ valid, result, setResult }) => {
        if (!valid) setResult(result.map(withoutSuggestions));
      };
    },
    onExecute({ args }) {
      const request = requestOf(args.contextValue);
      if (!request || !hide(request)) return;
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result || !result.errors) return;
          setResult({ ...result, errors: result.errors.map(withoutSuggestions) });
        },
      };
    },
  };
}

/** Every `first` argument of the operation, with variables resolved. */
function pageArguments(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): unknown[] {
  const operation = getOperationAST(document, operationName);
  if (!operation) return [];
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const values: unknown[] = [];
  const seen = new Set<string>();
  const walk = (selections: SelectionSetNode['selections']) => {
    for (const selection of selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !seen.has(fragment.name.value)) {
          seen.add(fragment.name.value);
          walk(fragment.selectionSet.selections);
        }
        continue;
      }
      if (selection.kind === Kind.FIELD) {
        const first = selection.arguments?.find((a) => a.name.value === 'first');
        if (first) values.push(valueFromASTUntyped(first.value, variables ?? undefined));
      }
      if (selection.selectionSet) walk(selection.selectionSet.selections);
    }
  };
  walk(operation.selectionSet.selections);
  return values;
}

/**
 * Refuses an operation any of whose `first` arguments is over the largest page, before the
 * cost check (which would otherwise report the huge cost instead of the page size to fix).
 */
export function usePageSizeLimit(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      for (const first of pageArguments(args.document, args.operationName, args.variableValues)) {
        if (typeof first !== 'number') continue;
        try {
          pageSize(first);
        } catch (error) {
          if (!(error instanceof GraphQLError)) throw error;
          setResultAndStopExecution({ errors: [error] });
          return;
        }
      }
    },
  };
}
