import type { RequestDb } from '../db/request-db.js';
import { userError } from '../errors.js';
import { productIdsBySku, storeIdsByCode } from './catalog-store.js';

/** A line naming its store and product by id or by the tenant's own code and SKU. */
export interface CatalogRefs {
  storeId?: string | null;
  storeCode?: string | null;
  productId?: string | null;
  sku?: string | null;
}

/** The same line with both references as ids, or why it names them wrongly. */
export type ResolvedRefs = { storeId: string; productId: string } | { problem: string };

/** Why a reference names both or neither of its id and its code. */
export const bothOrNeitherProblem = (id: string, code: string) =>
  `give exactly one of ${id} and ${code}`;

/** Why a code names nothing: it is not one of the caller's `rows` (or is hidden from it). */
export const unknownCodeProblem = (argument: string, code: string, rows: 'stores' | 'products') =>
  `${argument} ${JSON.stringify(code)} is not one of your ${rows}`;

/** Why a line does not name exactly one of id or code for its store and product, or null. */
export function refShapeProblem(line: CatalogRefs): string | null {
  if ((line.storeId == null) === (line.storeCode == null)) {
    return bothOrNeitherProblem('storeId', 'storeCode');
  }
  if ((line.productId == null) === (line.sku == null))
    return bothOrNeitherProblem('productId', 'sku');
  return null;
}

/**
 * Resolves the store codes and SKUs of `lines` to ids in two statements at most (none when
 * every line uses ids), under the caller's row-level security: a code of another tenant or
 * outside the caller's store scope is unknown. Lines keep their order.
 */
export async function resolveCatalogRefs(
  db: RequestDb,
  lines: readonly CatalogRefs[],
): Promise<ResolvedRefs[]> {
  const codes = [...new Set(lines.flatMap((l) => (l.storeCode == null ? [] : [l.storeCode])))];
  const skus = [...new Set(lines.flatMap((l) => (l.sku == null ? [] : [l.sku])))];
  const storeByCode = codes.length ? await storeIdsByCode(db, codes) : new Map<string, string>();
  const productBySku = skus.length ? await productIdsBySku(db, skus) : new Map<string, string>();
  return lines.map((line) => {
    const storeId =
      line.storeCode == null ? line.storeId?.toLowerCase() : storeByCode.get(line.storeCode);
    if (storeId == null)
      return { problem: unknownCodeProblem('storeCode', line.storeCode ?? '', 'stores') };
    const productId = line.sku == null ? line.productId?.toLowerCase() : productBySku.get(line.sku);
    if (productId == null)
      return { problem: unknownCodeProblem('sku', line.sku ?? '', 'products') };
    return { storeId, productId };
  });
}

/**
 * The ids of `lines` for a mutation that takes the batch whole: the first line naming its
 * store or product wrongly fails the call with its index (`argument[index]`).
 */
export async function requireCatalogRefs<T extends CatalogRefs>(
  db: RequestDb,
  lines: readonly T[],
  argument: string,
): Promise<(T & { storeId: string; productId: string })[]> {
  lines.forEach((line, index) => {
    const problem = refShapeProblem(line);
    if (problem) throw userError(`${argument}[${index}]: ${problem}`);
  });
  const resolved = await resolveCatalogRefs(db, lines);
  return lines.map((line, index) => {
    const r = resolved[index];
    if (r === undefined || 'problem' in r) {
      throw userError(`${argument}[${index}].${r?.problem ?? 'reference is missing'}`, 'NOT_FOUND');
    }
    return { ...line, ...r };
  });
}
