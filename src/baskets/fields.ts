import type { GraphQLResolveInfo, SelectionSetNode } from 'graphql';
import { builder } from '../builder.js';
import {
  needsLines,
  RECEIPT_MEASURE_NAMES,
  RECEIPT_MEASURES,
  type ReceiptMeasureValues,
} from './measures.js';

type SchemaTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
type FieldBuilder<R> = PothosSchemaTypes.ObjectFieldBuilder<SchemaTypes, R>;

/** A field for every receipt measure, as each answer offering them has. */
export function receiptMeasureFields<R extends ReceiptMeasureValues>(t: FieldBuilder<R>) {
  return Object.fromEntries(
    RECEIPT_MEASURE_NAMES.map((name) => {
      const m = RECEIPT_MEASURES[name];
      return [
        name,
        m.type === 'Int'
          ? t.int({ description: m.description, resolve: (r) => Number(r[name]) })
          : t.field({
              type: 'Decimal',
              nullable: true,
              description: m.description,
              resolve: (r) => r[name] as string | null,
            }),
      ];
    }),
  );
}

/** The receipt measures of a sales bucket. */
export const BasketMeasuresRef = builder
  .objectRef<ReceiptMeasureValues>('BasketMeasures')
  .implement({
    description:
      'The receipt measures of a bucket. Asking for receipts, averageReceiptValue or unitsPerReceipt reads the range from the raw sale lines (no rollup keeps receipts); averageUnitPrice alone is read like any measure.',
    fields: (t) => receiptMeasureFields(t),
  });

/** The names of the fields selected under every `field` of the answer (fragments followed). */
function selectedUnder(info: GraphQLResolveInfo, field: string): string[] {
  const names: string[] = [];
  const walk = (set: SelectionSetNode | undefined, inside: boolean) => {
    for (const s of set?.selections ?? []) {
      if (s.kind === 'Field') {
        if (inside) names.push(s.name.value);
        else if (s.name.value === field) walk(s.selectionSet, true);
      } else if (s.kind === 'InlineFragment') walk(s.selectionSet, inside);
      else walk(info.fragments[s.name.value]?.selectionSet, inside);
    }
  };
  for (const node of info.fieldNodes) walk(node.selectionSet, false);
  return names;
}

/**
 * What a trend must read for the receipt measures its answer asks for under `baskets`: raw
 * lines when one of them is read from lines only, the rollups' parts otherwise, nothing when
 * none is asked for.
 */
export function basketsRoute(info: GraphQLResolveInfo): 'lines' | 'rollups' | undefined {
  const names = selectedUnder(info, 'baskets');
  if (names.length === 0) return undefined;
  return needsLines(names) ? 'lines' : 'rollups';
}
