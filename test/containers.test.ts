import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PostgreSqlContainer, type StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, mintToken } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { createLogger } from '../src/logger.js';
import { seedDatabase, type SeedResult } from '../src/seed/index.js';
import { createGateway, listen } from '../src/server/app.js';
import { findDockerEngine } from './support/foundation-docker.js';

/** The TimescaleDB server image docker-compose.yml runs. */
const IMAGE = 'timescale/timescaledb:2.28.3-pg15';
const SECRET = 'containers-secret-containers-secret-0001';
const docker = await findDockerEngine();

if (!docker.reachable) {
  it.skip(`TimescaleDB server in a container (${IMAGE}): no Docker engine reachable (${docker.detail})`, () => {});
} else {
  describe(`TimescaleDB server in a container (${IMAGE})`, () => {
    let container: StartedPostgreSqlContainer;
    let database: Database;
    let server: Server;
    let url: string;
    let seeded: SeedResult;

    beforeAll(async () => {
      container = await new PostgreSqlContainer(IMAGE).withStartupTimeout(120_000).start();
      const config = loadConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATABASE_URL: container.getConnectionUri(),
        JWT_SECRET: SECRET,
      });
      const logger = createLogger(config.logLevel);
      database = await openDatabase(config, logger);
      seeded = await seedDatabase(database.pool, database.backend, {
        tenants: 2,
        storesPerTenant: 3,
        productsPerTenant: 5,
        days: 14,
        seed: 1,
      });
      const gateway = createGateway({
        config,
        database,
        verifier: await createTokenVerifier(config.jwt),
        logger,
      });
      server = await listen(gateway, '127.0.0.1', 0);
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }, 240_000);
    afterAll(async () => {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await database?.close();
      await container?.stop();
    });

    it('migrates with hypertables and continuous aggregates, and serves a tenant its stores', async () => {
      expect(database.backend).toBe('timescale');
      const { rows } = await database.pool.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM timescaledb_information.continuous_aggregates
         WHERE view_schema = 'rollup' AND NOT materialized_only`,
      );
      expect(rows).toEqual([{ n: '2' }]);
      const tenant = seeded.tenants[0];
      const token = await mintToken({
        secret: SECRET,
        issuer: 'shelfops-dev',
        audience: 'shelfops-gateway',
        customerId: tenant?.customerId ?? '',
        role: 'analyst',
      });
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ stores { edges { node { id } } } }' }),
      });
      const body = (await response.json()) as {
        data: { stores: { edges: { node: { id: string } }[] } };
      };
      expect(body.data.stores.edges.map((e) => e.node.id).sort()).toEqual(
        [...(tenant?.storeIds ?? [])].sort(),
      );
    });
  });
}
