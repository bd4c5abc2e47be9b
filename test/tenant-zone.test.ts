import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, migrateDown, migrateUp } from '../src/db/migrate.js';
import { BACKENDS, variantOf, WITH_CLUSTER, type BackendKind } from './support/backends.js';
import { openMigratedDatabase } from './support/foundation-db.js';
import { startTestGateway, TEST_SECRET, type TestGateway } from './support/gateway.js';
import { insertTenant, uuid, type TenantFixture } from './support/fixtures.js';
import { runCli } from './support/cli.js';

const AUTO = { timescaledb: 'auto' } as const;
/** The migration that brought the tenant's reporting zone. */
const ZONE_VERSION = 26;

/** A tenant with stores in `zones`, one each. */
function tenantIn(group: number, zones: string[]): TenantFixture {
  return {
    customerId: uuid(group, 0),
    name: `Zones ${group}`,
    stores: zones.map((timeZone, i) => ({
      id: uuid(group, i + 1),
      code: `Z${i + 1}`,
      name: `Store ${i + 1}`,
      timeZone,
    })),
    products: [],
  };
}

describe.each(WITH_CLUSTER)(
  'the reporting zone’s migration on %s',
  { timeout: 300_000 },
  (kind) => {
    it('starts as the zone most of a tenant’s stores keep, UTC without stores, and goes away down', async () => {
      const db = await openMigratedDatabase(kind);
      try {
        const versions = (await loadMigrations(variantOf(kind))).map((m) => m.version);
        const since = versions.filter((v) => v >= ZONE_VERSION).length;
        expect(await migrateDown(db.owner, { ...AUTO, count: since })).toContain(ZONE_VERSION);
        const tenants = [
          tenantIn(0x261, ['Europe/Berlin', 'America/New_York', 'America/New_York']),
          // A tie goes to the first zone by name.
          tenantIn(0x262, ['Europe/London', 'Asia/Kolkata']),
          tenantIn(0x263, []),
        ];
        for (const t of tenants) await insertTenant(db.owner, t);
        await migrateUp(db.owner, AUTO);
        const { rows } = await db.owner.query<{ id: string; zone: string }>(
          'SELECT id::text AS id, time_zone AS zone FROM customers ORDER BY id',
        );
        expect(rows).toEqual([
          { id: uuid(0x261, 0), zone: 'America/New_York' },
          { id: uuid(0x262, 0), zone: 'Asia/Kolkata' },
          { id: uuid(0x263, 0), zone: 'UTC' },
        ]);
        // A tenant made after it reports in UTC until it sets its zone.
        await insertTenant(db.owner, tenantIn(0x264, ['Asia/Kolkata']));
        const { rows: made } = await db.owner.query<{ zone: string }>(
          'SELECT time_zone AS zone FROM customers WHERE id = $1',
          [uuid(0x264, 0)],
        );
        expect(made).toEqual([{ zone: 'UTC' }]);
        await migrateDown(db.owner, { ...AUTO, count: since });
        const { rows: columns } = await db.owner.query(
          `SELECT column_name FROM information_schema.columns
         WHERE table_name = 'customers' AND column_name = 'time_zone'`,
        );
        expect(columns).toEqual([]);
      } finally {
        await db.close();
      }
    });
  },
);

describe.each(BACKENDS)('the tenant’s reporting zone on %s', (kind: BackendKind) => {
  describe('through the API', () => {
    let gw: TestGateway;
    const tenant = tenantIn(0x265, ['Europe/Berlin', 'Europe/Berlin', 'America/New_York']);
    let admin: string;
    let analyst: string;
    const shown = async () =>
      (
        await gw.graphql<{ tenantCalendar: { timeZone: string } }>(
          '{ tenantCalendar { timeZone weekStart } }',
          {},
          analyst,
        )
      ).data?.tenantCalendar.timeZone;

    beforeAll(async () => {
      gw = await startTestGateway(kind);
      await insertTenant(gw.owner, tenant);
      admin = await gw.token(tenant.customerId, 'admin');
      analyst = await gw.token(tenant.customerId, 'analyst');
    }, 120_000);
    afterAll(() => gw?.close());

    it('is UTC for a tenant that set none, set by an unscoped admin, and refused otherwise', async () => {
      expect(await shown()).toBe('UTC');
      const set = await gw.graphql(
        'mutation { setCalendar(timeZone: "Europe/Berlin") { timeZone weekStart retailCalendar } }',
        {},
        admin,
      );
      expect(set.errors).toBeUndefined();
      expect(set.data).toEqual({
        setCalendar: { timeZone: 'Europe/Berlin', weekStart: 'MONDAY', retailCalendar: null },
      });
      expect(await shown()).toBe('Europe/Berlin');

      // Setting the week start leaves the zone as it is.
      const week = await gw.graphql(
        'mutation { setCalendar(weekStart: SUNDAY) { timeZone weekStart } }',
        {},
        admin,
      );
      expect(week.data).toEqual({
        setCalendar: { timeZone: 'Europe/Berlin', weekStart: 'SUNDAY' },
      });

      const refusals = [
        [analyst, 'mutation { setCalendar(timeZone: "Asia/Kolkata") { timeZone } }', 'FORBIDDEN'],
        [
          await gw.token(tenant.customerId, 'admin', [tenant.stores[0]?.id ?? '']),
          'mutation { setCalendar(timeZone: "Asia/Kolkata") { timeZone } }',
          'FORBIDDEN',
        ],
        [admin, 'mutation { setCalendar(timeZone: "Mars/Olympus") { timeZone } }', null],
      ] as const;
      for (const [token, mutation, code] of refusals) {
        const refused = await gw.graphql(mutation, {}, token);
        expect(refused.errors?.length, mutation).toBe(1);
        if (code) expect(refused.errors?.[0]?.extensions?.['code']).toBe(code);
        else expect(refused.errors?.[0]?.message).toMatch(/Mars\/Olympus|time ?zone/i);
      }
      expect(await shown()).toBe('Europe/Berlin');
    });

    it.runIf(kind === 'postgres')(
      'is set by npm run tenant -- set --time-zone, which refuses an unknown zone',
      async () => {
        const env = {
          ...process.env,
          DATABASE_URL: gw.config.databaseUrl,
          JWT_SECRET: TEST_SECRET,
          NODE_ENV: 'test',
          LOG_LEVEL: 'silent',
        };
        const command = (...args: string[]) =>
          runCli('tenant', ['set', '--tenant', tenant.customerId, ...args], {
            env,
          });
        const set = await command('--time-zone', 'America/New_York');
        expect(set.stdout.trim()).toBe(
          `tenant ${tenant.customerId} reports in America/New_York; weeks start on SUNDAY; no retail calendar`,
        );
        expect(await shown()).toBe('America/New_York');
        const refused = await command('--time-zone', 'Mars/Olympus').then(
          () => null,
          (error: { code: number; stderr: string }) => error,
        );
        expect(refused?.code).toBe(2);
        expect(refused?.stderr).toMatch(/--time-zone: an IANA time zone/);
        expect(await shown()).toBe('America/New_York');
      },
      120_000,
    );
  });
});
