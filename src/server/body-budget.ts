interface Waiter {
  tenant: string;
  bytes: number;
  grant(): void;
}

/**
 * Bytes of request bodies the gateway holds at once, in total and per tenant, granted in
 * arrival order: a request that does not fit waits for earlier ones to finish, at most
 * `waitMs`. A request held back only by its own tenant's share does not hold up other
 * tenants' requests behind it, so one tenant's uploads cannot starve another's. A tenant's
 * share may be smaller than the largest body: one body at a time is always within it.
 */
export class BodyBudget {
  private held = 0;
  private readonly heldByTenant = new Map<string, number>();
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly capacity: number,
    private readonly tenantCapacity: number,
  ) {}

  /** Resolves true once `bytes` are granted to `tenant`, or false when not within `waitMs`. */
  acquire(tenant: string, bytes: number, waitMs: number): Promise<boolean> {
    if (this.tryAcquire(tenant, bytes)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const entry: Waiter = {
        tenant,
        bytes,
        grant: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.waiting.push(entry);
      // Set before granting: a grant below clears it.
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        // A request behind this one may fit now.
        this.grantWaiting();
        resolve(false);
      }, waitMs);
      this.grantWaiting();
    });
  }

  /** Grants `bytes` to `tenant` now if they fit and nobody waits before it; else false. */
  tryAcquire(tenant: string, bytes: number): boolean {
    const tenantHeld = this.heldByTenant.get(tenant) ?? 0;
    const fits = this.held + bytes <= this.capacity && this.withinShare(tenantHeld, bytes);
    if (this.waiting.length > 0 || !fits) return false;
    this.held += bytes;
    this.heldByTenant.set(tenant, tenantHeld + bytes);
    return true;
  }

  /** Returns bytes granted to `tenant` by `acquire`. */
  release(tenant: string, bytes: number): void {
    this.held -= bytes;
    const left = (this.heldByTenant.get(tenant) ?? 0) - bytes;
    if (left > 0) this.heldByTenant.set(tenant, left);
    else this.heldByTenant.delete(tenant);
    this.grantWaiting();
  }

  /** A tenant holding nothing may always take one body, however large; beyond it, its share. */
  private withinShare(tenantHeld: number, bytes: number): boolean {
    return tenantHeld === 0 || tenantHeld + bytes <= this.tenantCapacity;
  }

  private grantWaiting(): void {
    for (let index = 0; index < this.waiting.length;) {
      const next = this.waiting[index] as Waiter;
      const tenantHeld = this.heldByTenant.get(next.tenant) ?? 0;
      if (!this.withinShare(tenantHeld, next.bytes)) {
        index += 1;
        continue;
      }
      // First come, first served across tenants: a request too large for the room left keeps
      // smaller later ones from overtaking it again and again.
      if (this.held + next.bytes > this.capacity) return;
      this.waiting.splice(index, 1);
      this.held += next.bytes;
      this.heldByTenant.set(next.tenant, tenantHeld + next.bytes);
      next.grant();
    }
  }
}
