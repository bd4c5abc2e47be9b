/**
 * Bytes of request bodies the gateway holds at once, granted in arrival order: a request that
 * does not fit waits for earlier ones to finish, at most `waitMs`.
 */
export class BodyBudget {
  private held = 0;
  private readonly waiting: Array<{ bytes: number; grant(): void }> = [];

  constructor(private readonly capacity: number) {}

  /** Resolves true once `bytes` are granted, or false when they were not within `waitMs`. */
  acquire(bytes: number, waitMs: number): Promise<boolean> {
    if (this.waiting.length === 0 && this.held + bytes <= this.capacity) {
      this.held += bytes;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const entry = {
        bytes,
        grant: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        // A smaller request behind this one may fit now.
        this.grantWaiting();
        resolve(false);
      }, waitMs);
      this.waiting.push(entry);
    });
  }

  /** Returns bytes granted by `acquire`. */
  release(bytes: number): void {
    this.held -= bytes;
    this.grantWaiting();
  }

  private grantWaiting(): void {
    for (let next = this.waiting[0]; next; next = this.waiting[0]) {
      if (this.held + next.bytes > this.capacity) return;
      this.waiting.shift();
      this.held += next.bytes;
      next.grant();
    }
  }
}
