import { Lexer, Source, TokenKind } from 'graphql';
import { LRUCache } from 'lru-cache';

/**
 * Whether every operation a document defines is a query, read from its tokens without parsing
 * it: at brace depth 0 a definition starts with `{` (a query), `query`, `fragment`, `mutation`
 * or `subscription`. A document the lexer refuses is not one (the pipeline reports why).
 */
function definesQueriesOnly(text: string): boolean {
  try {
    const lexer = new Lexer(new Source(text));
    let depth = 0;
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (token.kind === TokenKind.BRACE_L) depth += 1;
      else if (token.kind === TokenKind.BRACE_R) depth -= 1;
      else if (
        depth === 0 &&
        token.kind === TokenKind.NAME &&
        (token.value === 'mutation' || token.value === 'subscription')
      ) {
        return false;
      }
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * `definesQueriesOnly`, remembered per document text: clients send the same few documents, and
 * a mutation's variables (a 5 000-line upload) must never be read to build a cache key.
 */
export function queryOnlyCheck(maxDocuments = 1000): (text: string) => boolean {
  const known = new LRUCache<string, boolean>({ max: maxDocuments });
  return (text) => {
    let queriesOnly = known.get(text);
    if (queriesOnly === undefined) {
      queriesOnly = definesQueriesOnly(text);
      known.set(text, queriesOnly);
    }
    return queriesOnly;
  };
}
