import { Worker } from 'node:worker_threads';
import type { IngestTimeRule } from '../ingest-time.js';
import type { Logger } from '../logger.js';
import type { UploadReading } from './upload-body.js';

/** What an upload worker is sent: one body to read. */
export interface UploadTask {
  id: number;
  bytes: Uint8Array;
  times: IngestTimeRule;
}

interface Slot {
  worker: Worker;
  /** Once the worker has loaded what it reads bodies with. */
  ready: boolean;
  pending: Map<number, (reading: UploadReading) => void>;
}

const AS_IS: UploadReading = { kind: 'as-is' };

/**
 * Worker threads that read upload bodies (`readUploadBody`): parsing, coercing and checking
 * 5 000 sale lines and writing their columns costs tens of milliseconds of CPU, which on the
 * main thread would hold every other request (a dashboard's queries) for as long. A body goes
 * to the ready worker with the fewest bodies in hand. Workers start with the first upload;
 * until one has loaded the schema, and for bodies in hand of a worker that fails (it is
 * replaced), the answer is "read by nobody" and the main thread parses the body as before.
 */
export class UploadWorkers {
  private readonly slots: (Slot | null)[];
  private nextId = 0;
  private closed = false;

  constructor(
    size: number,
    private readonly times: IngestTimeRule,
    private readonly logger: Logger,
  ) {
    this.slots = Array.from({ length: size }, () => null);
  }

  /** What a worker made of `bytes` (a copy is sent; the caller keeps its own). */
  read(bytes: Uint8Array): Promise<UploadReading> {
    const slot = this.closed ? null : this.leastBusy();
    if (!slot) return Promise.resolve(AS_IS);
    const id = (this.nextId += 1);
    return new Promise((resolve) => {
      slot.pending.set(id, resolve);
      const task: UploadTask = { id, bytes, times: this.times };
      slot.worker.postMessage(task);
    });
  }

  /** Ends every worker; bodies in hand are answered as read by nobody. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map((slot, index) => {
        this.slots[index] = null;
        if (!slot) return undefined;
        this.settle(slot);
        return slot.worker.terminate();
      }),
    );
  }

  /** The ready worker with the fewest bodies in hand; null (and those missing started) if none. */
  private leastBusy(): Slot | null {
    let best: Slot | null = null;
    this.slots.forEach((slot, index) => {
      if (!slot) this.start(index);
      else if (slot.ready && (!best || slot.pending.size < best.pending.size)) best = slot;
    });
    return best;
  }

  private start(index: number): Slot {
    const worker = import.meta.url.endsWith('.ts')
      ? // Run from the TypeScript sources (tsx, the tests): tsx's loader first, then the worker.
        new Worker(
          `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./upload-worker.ts', import.meta.url).href)}); })`,
          { eval: true },
        )
      : new Worker(new URL('./upload-worker.js', import.meta.url));
    const slot: Slot = { worker, ready: false, pending: new Map() };
    worker.unref();
    worker.on('message', (message: 'ready' | { id: number; reading: UploadReading }) => {
      if (message === 'ready') {
        slot.ready = true;
        return;
      }
      const { id, reading } = message;
      const resolve = slot.pending.get(id);
      slot.pending.delete(id);
      resolve?.(reading);
    });
    const fail = (error?: unknown) => {
      if (this.slots[index] !== slot) return;
      this.slots[index] = null;
      this.settle(slot);
      if (!this.closed) this.logger.error({ err: error }, 'upload worker stopped; replaced');
    };
    worker.on('error', fail);
    worker.on('exit', () => fail(new Error('exited')));
    this.slots[index] = slot;
    return slot;
  }

  private settle(slot: Slot): void {
    for (const resolve of slot.pending.values()) resolve(AS_IS);
    slot.pending.clear();
  }
}
