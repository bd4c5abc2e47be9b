import type { Viewer } from '../auth/viewer.js';

const costLimits = new WeakMap<Viewer, number>();

/** Records the cost limit of one request's viewer (its role's limit). */
export function setCostLimit(viewer: Viewer, limit: number): void {
  costLimits.set(viewer, limit);
}

/** The cost limit of a request's viewer; undefined when none was set (no limit). */
export function costLimitOf(viewer: Viewer): number | undefined {
  return costLimits.get(viewer);
}
