import type { RequestDb } from '../db/request-db.js';

/** A request running now: what activeQueries lists and cancelQuery ends. */
export interface RunningRequest {
  id: string;
  customerId: string;
  operation: string;
  /** When it started, ms since the epoch. */
  startedAt: number;
  db: RequestDb;
}

/** An operation's timings since start (count, p50, p95, max in ms). */
export interface OperationTimings {
  operation: string;
  count: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

/** A tenant's requests and database time over the last hour. */
export interface TenantHour {
  customerId: string;
  requests: number;
  databaseMs: number;
}

// Percentiles come from the latest durations of each operation: bounded memory per name.
const SAMPLE_SIZE = 1024;
const MAX_OPERATIONS = 500;
const MINUTE_MS = 60_000;
const HOUR_MINUTES = 60;

interface Timings {
  count: number;
  maxMs: number;
  sample: number[];
  next: number;
}

interface Minute {
  minute: number;
  requests: number;
  databaseMs: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

const rounded = (ms: number) => Math.round(ms * 10) / 10;

/**
 * What this gateway process runs and has run: the requests in flight (by request id), each
 * operation's timings since start, and each tenant's requests and database time per minute
 * over the last hour. In memory, per replica.
 */
export class OperatorActivity {
  private readonly running = new Map<string, RunningRequest>();
  private readonly timings = new Map<string, Timings>();
  private readonly minutes = new Map<string, Minute[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Registers a request as running; returns what ends its registration. */
  start(request: RunningRequest): () => void {
    this.running.set(request.id, request);
    return () => {
      if (this.running.get(request.id) === request) this.running.delete(request.id);
    };
  }

  /** Counts a finished operation: its duration and its database time. */
  record(customerId: string, operation: string, durationMs: number, databaseMs: number): void {
    let timings = this.timings.get(operation);
    if (!timings) {
      if (this.timings.size >= MAX_OPERATIONS) return;
      timings = { count: 0, maxMs: 0, sample: [], next: 0 };
      this.timings.set(operation, timings);
    }
    timings.count += 1;
    timings.maxMs = Math.max(timings.maxMs, durationMs);
    timings.sample[timings.next] = durationMs;
    timings.next = (timings.next + 1) % SAMPLE_SIZE;

    const minute = Math.floor(this.now() / MINUTE_MS);
    const kept = (this.minutes.get(customerId) ?? []).filter(
      (m) => m.minute > minute - HOUR_MINUTES,
    );
    let current = kept.at(-1);
    if (current?.minute !== minute) {
      current = { minute, requests: 0, databaseMs: 0 };
      kept.push(current);
    }
    current.requests += 1;
    current.databaseMs += databaseMs;
    this.minutes.set(customerId, kept);
  }

  /** The running requests of one tenant, or of every tenant (null), oldest first. */
  active(customerId: string | null): RunningRequest[] {
    return [...this.running.values()].filter(
      (r) => customerId === null || r.customerId === customerId,
    );
  }

  /**
   * Cancels a running request by its id, or (the operator's `--cancel <pid>`) by the server
   * process of its connection; only a request of `customerId` unless it is null. Returns
   * whether one was found.
   */
  cancel(id: string, customerId: string | null): boolean {
    const pid = /^\d+$/.test(id) && customerId === null ? Number(id) : null;
    const found = this.active(customerId).find(
      (r) => r.id === id || (pid !== null && r.db.backendPid === pid),
    );
    found?.db.cancelByOperator();
    return found !== undefined;
  }

  /** The operations by their p95, slowest first. */
  slowestOperations(limit = 20): OperationTimings[] {
    return [...this.timings.entries()]
      .map(([operation, t]) => {
        const sorted = [...t.sample].sort((x, y) => x - y);
        return {
          operation,
          count: t.count,
          p50Ms: rounded(percentile(sorted, 50)),
          p95Ms: rounded(percentile(sorted, 95)),
          maxMs: rounded(t.maxMs),
        };
      })
      .sort((x, y) => y.p95Ms - x.p95Ms)
      .slice(0, limit);
  }

  /** Each tenant's requests and database time over the last hour. */
  lastHour(): TenantHour[] {
    const since = Math.floor(this.now() / MINUTE_MS) - HOUR_MINUTES;
    return [...this.minutes.entries()].map(([customerId, minutes]) => {
      const recent = minutes.filter((m) => m.minute > since);
      return {
        customerId,
        requests: recent.reduce((sum, m) => sum + m.requests, 0),
        databaseMs: rounded(recent.reduce((sum, m) => sum + m.databaseMs, 0)),
      };
    });
  }
}
