import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { parseConfigText } from '#config';
import { createTestDatabase, eventually, type TestDatabase, unusedPort } from '#testing';
import { startAgent } from '../../agent/src/start-agent.js';
import { startSandbox } from '../../sandbox/src/start-sandbox.js';
import { startAuthz } from './start-authz.js';

const config = parseConfigText('{ channels: { telegram: { botToken: "t", allowedUsers: [100] } } }', 'start-failure.json5');

describe('a service whose start fails', () => {
  let database: TestDatabase;
  let admin: pg.Client;

  before(async () => {
    database = await createTestDatabase('startfail');
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
  });

  after(async () => {
    await admin.end();
    await database.drop();
  });

  /** Connections to the test database other than this test's own. */
  async function serviceConnections(): Promise<number> {
    const { rows } = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    return rows[0]!.n;
  }

  for (const [name, start] of [
    ['authz', startAuthz],
    ['agent', startAgent],
    ['sandbox', startSandbox],
  ] as const) {
    it(`${name}: fails with the reason and closes the database connections it had opened`, { timeout: 30_000 }, async () => {
      const natsUrl = `nats://127.0.0.1:${await unusedPort()}`;
      await assert.rejects(start({ config, databaseUrl: database.url, natsUrl, logger: false, shutdownHooks: false }), /ECONNREFUSED|CONNECTION_REFUSED|connection refused/i);
      // Closed at once by the start function; without it the pool's idle connections stayed until their timeout.
      await eventually('the connections closed', async () => ((await serviceConnections()) === 0 ? true : undefined), 2_000);
    });
  }
});
