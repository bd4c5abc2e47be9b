import type { Plugin } from 'graphql-yoga';
import { userError } from '../errors.js';

/** Deepest nesting of variables: the schema's deepest input is a few levels deep. */
export const MAX_VARIABLE_DEPTH = 32;

// `\u0000` or `\u{0}` in a document's strings: GraphQL's escapes for U+0000.
const NUL_ESCAPE = /\\u(?:0000|\{0+\})/i;

const refusal = (message: string) =>
  userError(message, 'BAD_USER_INPUT', { http: { status: 400 } });

/** What is wrong with `variables` for any argument: too deep, or text holding U+0000; or null. */
export function variablesProblem(variables: unknown): string | null {
  // Iterative: a 100 000-deep value would overflow the stack of a recursive walk.
  const pending: Array<{ value: unknown; path: string; depth: number }> = [
    { value: variables, path: '$', depth: 0 },
  ];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, path, depth } = next;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) {
        return `${path} contains a NUL character (U+0000), which no text argument can hold; remove it`;
      }
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_VARIABLE_DEPTH) {
      return `variables nest deeper than ${MAX_VARIABLE_DEPTH} levels (at ${path}); no argument takes that`;
    }
    for (const [key, item] of Object.entries(value)) {
      const at = Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`;
      if (key.includes('\u0000')) return `${path} has a key with a NUL character (U+0000)`;
      pending.push({ value: item, path: at, depth: depth + 1 });
    }
  }
  return null;
}

/**
 * Refuses, with a typed 400 before anything reads them, inputs that no argument can take and
 * that would otherwise fail deep inside as "Unexpected error.": variables nested deeper than
 * MAX_VARIABLE_DEPTH (coercion recurses, and a 100 000-deep value overflows the stack) and
 * text holding U+0000, in variables or in the document's strings (PostgreSQL text cannot
 * hold it).
 */
export function useInputChecks(): Plugin {
  return {
    onParams({ params }) {
      if (typeof params.query === 'string' && NUL_ESCAPE.test(params.query)) {
        throw refusal(
          'the document contains a NUL character (\\u0000), which no text argument can hold; remove it',
        );
      }
      if (params.variables === undefined || params.variables === null) return;
      const problem = variablesProblem(params.variables);
      if (problem !== null) throw refusal(problem);
    },
  };
}
