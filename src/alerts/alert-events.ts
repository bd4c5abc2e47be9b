import pg from 'pg';
import sql from 'sql-template-tag';
import type { Pool } from '../db/pool.js';
import type { RequestDb } from '../db/request-db.js';
import type { Logger } from '../logger.js';

/** The PostgreSQL NOTIFY channel raiseAlert publishes on. */
export const ALERT_CHANNEL = 'shelfops_alert_raised';

/** What a notification carries: only ids; subscribers read the alert under their own RLS. */
export interface AlertRaisedEvent {
  customerId: string;
  storeId: string;
  alertId: string;
}

type Listener = (event: AlertRaisedEvent) => void;

function parseEvent(payload: string | undefined): AlertRaisedEvent | null {
  try {
    const value: unknown = JSON.parse(payload ?? '');
    if (value === null || typeof value !== 'object') return null;
    const { customerId, storeId, alertId } = value as Record<string, unknown>;
    return typeof customerId === 'string' &&
      typeof storeId === 'string' &&
      typeof alertId === 'string'
      ? { customerId, storeId, alertId }
      : null;
  } catch {
    return null;
  }
}

/**
 * Fans alert events out to the subscriptions of this process. With a pool of several
 * connections it keeps one dedicated connection LISTENing, so alerts raised through any gateway
 * instance reach every instance. A pool of one connection (the embedded database, which serves
 * one process) has none to spare: events are then published in-process after the raising
 * transaction commits.
 */
export class AlertEventHub {
  private readonly listeners = new Set<Listener>();
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly logger?: Logger,
  ) {}

  /** True when events travel through LISTEN/NOTIFY rather than in-process. */
  get usesNotify(): boolean {
    return (this.pool.options.max ?? 10) > 1;
  }

  /** Registers a listener; resolves once it will receive every later event. */
  async subscribe(listener: Listener): Promise<() => void> {
    this.listeners.add(listener);
    if (this.usesNotify) await this.listen();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) void this.stopListening();
    };
  }

  /** Delivers an event to this process's listeners. */
  publish(event: AlertRaisedEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private listen(): Promise<void> {
    this.connecting ??= (async () => {
      const client = new pg.Client(this.pool.options);
      client.on('notification', (message) => {
        const event = message.channel === ALERT_CHANNEL ? parseEvent(message.payload) : null;
        if (event) this.publish(event);
      });
      client.on('error', (error) => {
        this.logger?.warn({ err: error }, 'alert LISTEN connection failed');
        this.client = null;
        this.connecting = null;
      });
      await client.connect();
      await client.query(`/* listenAlerts */ LISTEN ${ALERT_CHANNEL}`);
      this.client = client;
    })().catch((error: unknown) => {
      this.connecting = null;
      throw error;
    });
    return this.connecting;
  }

  private async stopListening(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.connecting = null;
    await client?.end().catch(() => undefined);
  }
}

const hubs = new WeakMap<Pool, AlertEventHub>();

/** The event hub of a database pool (one per gateway). */
export function alertEventHub(pool: Pool): AlertEventHub {
  let hub = hubs.get(pool);
  if (!hub) {
    hub = new AlertEventHub(pool);
    hubs.set(pool, hub);
  }
  return hub;
}

/**
 * Announces a raised alert once the request's transaction commits (never when it rolls back):
 * by NOTIFY, which PostgreSQL itself delivers only on commit, or in-process after commit.
 */
export async function announceAlertRaised(
  db: RequestDb,
  hub: AlertEventHub,
  event: AlertRaisedEvent,
): Promise<void> {
  if (hub.usesNotify) {
    await db.query(sql`/* notifyAlertRaised */
      SELECT pg_notify(${ALERT_CHANNEL}, ${JSON.stringify(event)})`);
  } else {
    db.onCommit(async () => hub.publish(event));
  }
}
