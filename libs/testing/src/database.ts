import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DEFAULT_DATABASE_URL, runMigrations } from '#event-store';

export interface TestDatabase {
  /** URL of the new database, as the superuser of the local cluster. */
  url: string;
  name: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

/** The cluster tests create their databases on: `TEST_DATABASE_URL`, else the local default. */
function clusterUrl(): URL {
  return new URL(process.env.TEST_DATABASE_URL ?? DEFAULT_DATABASE_URL);
}

/**
 * A fresh, migrated database no other test file (or run) uses, e.g. `t_appends_5f0c2a9e1b`. Roles are
 * cluster-wide and shared; everything else belongs to this database alone.
 */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const safeLabel = label.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 20) || 'test';
  const name = `t_${safeLabel}_${randomBytes(5).toString('hex')}`;
  const url = clusterUrl();
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const maintenance = clusterUrl();
      maintenance.pathname = '/postgres';
      const client = new pg.Client({ connectionString: maintenance.toString() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
