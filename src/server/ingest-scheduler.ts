import type { Plugin } from 'graphql-yoga';
import type { BulkPacing } from '../sales/chunked-insert.js';

/** How uploads' inserts give way to interactive requests (UPLOAD_CHUNK_LINES, UPLOAD_YIELD_MS). */
export interface IngestSchedule {
  /** Lines per insert statement of an upload; 0: the whole upload in one statement. */
  chunkLines: number;
  /** Longest an upload's next statement waits for interactive operations to end; 0: never. */
  yieldMs: number;
}

/** What the scheduler did, for /metrics and the benchmark. */
export interface IngestSchedulerObserver {
  /** An upload's statement waited `ms` before it started (it found interactive work running). */
  waited(ms: number): void;
}

/**
 * Gives interactive operations priority over uploads' inserts. PostgreSQL has no priority of
 * its own between statements: a 5 000-line insert (with its rollup trigger and key checks,
 * about a second of a backend's CPU) and a dashboard's statements share the cores. So while
 * interactive operations execute, an upload inserts in chunks, inside its one transaction, and
 * before each chunk waits for them to end, at most `yieldMs` a chunk, so that uploads still
 * progress under a steady stream of queries. A chunk under way is not interrupted: the chunk's
 * size bounds how long a query can share the cores with it. With none executing, an upload's
 * statement takes several chunks (each statement costs a lone upload time: 0.87 of the owner's
 * INSERT at 5 000 lines in chunks of 500, 0.94 four chunks at a time), and a query that starts
 * meanwhile shares the cores with those.
 */
export class IngestScheduler implements BulkPacing {
  private interactive = 0;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly schedule: IngestSchedule,
    private readonly observer?: IngestSchedulerObserver,
  ) {
    this.interactivePacing = {
      chunkLines: schedule.chunkLines,
      turn: () => Promise.resolve(),
      idle: () => true,
    };
  }

  get chunkLines(): number {
    return this.schedule.chunkLines;
  }

  /**
   * The pacing of an interactive request's own inserts (a small recordSales): one statement,
   * never a wait, since it is itself one of the operations uploads give way to.
   */
  readonly interactivePacing: BulkPacing;

  /** Interactive operations executing now. */
  get running(): number {
    return this.interactive;
  }

  /** Whether no interactive operation executes: an upload's next statement then takes several chunks. */
  idle(): boolean {
    return this.interactive === 0;
  }

  /** Uploads waiting for their next chunk now. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** An interactive operation starts executing; the function returned ends it (once). */
  begin(): () => void {
    this.interactive += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.interactive -= 1;
      if (this.interactive === 0) this.wakeAll();
    };
  }

  /** Resolves when no interactive operation executes, or after `yieldMs` at most. */
  turn(): Promise<void> {
    if (this.interactive === 0 || this.schedule.yieldMs <= 0) return Promise.resolve();
    const since = performance.now();
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        const index = this.waiters.indexOf(wake);
        if (index >= 0) this.waiters.splice(index, 1);
        this.observer?.waited(performance.now() - since);
        resolve();
      };
      const timer = setTimeout(wake, this.schedule.yieldMs);
      this.waiters.push(wake);
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

/**
 * Counts the operations that `isBulk` does not name as interactive while they execute: queries
 * and small mutations. Subscriptions are streams, not waits a person sees, and do not count.
 */
export function useInteractivePriority(
  scheduler: IngestScheduler,
  isBulk: (request: Request) => boolean,
): Plugin {
  const ends = new WeakMap<Request, () => void>();
  return {
    onExecute({ args }) {
      const { request } = args.contextValue as { request: Request };
      if (isBulk(request)) return;
      const end = scheduler.begin();
      ends.set(request, end);
      return { onExecuteDone: end };
    },
    onResponse({ request }) {
      // An execution that threw never reached onExecuteDone.
      ends.get(request)?.();
      ends.delete(request);
    },
  };
}
