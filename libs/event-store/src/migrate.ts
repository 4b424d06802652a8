import pg from 'pg';
import { MIGRATIONS, MIGRATIONS_TABLE } from '../../../migrations/index.js';
import { databaseName, parseDatabaseUrl, withDatabase } from './database-url.js';

export interface MigrationReport {
  database: string;
  /** Whether the database itself had to be created. */
  createdDatabase: boolean;
  /** Names of the migrations applied now, oldest first; empty when the schema was up to date. */
  applied: string[];
}

/** Any fixed number: it only has to be the same for every process migrating one database. */
const MIGRATION_LOCK_KEY = 7_301_964_221;

/**
 * Creates the database if it does not exist, then applies the migrations it lacks, each in a transaction of
 * its own. Safe to run concurrently: processes migrating the same database wait for each other.
 */
export async function runMigrations(databaseUrl: string): Promise<MigrationReport> {
  const name = databaseName(parseDatabaseUrl(databaseUrl));
  const createdDatabase = await createDatabaseIfMissing(databaseUrl, name);

  const lock = new pg.Client({ connectionString: databaseUrl, application_name: 'clawgate-migrate' });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    // Loaded here, not with the module: TypeORM and its drivers are ~10 MB of code that only migrations need,
    // and every service imports the event store.
    const { DataSource } = await import('typeorm');
    const dataSource = new DataSource({
      type: 'postgres',
      url: databaseUrl,
      applicationName: 'clawgate-migrate',
      migrations: MIGRATIONS,
      migrationsTableName: MIGRATIONS_TABLE,
      synchronize: false,
      logging: false,
    });
    await dataSource.initialize();
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return { database: name, createdDatabase, applied: applied.map((migration) => migration.name) };
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await lock.end();
  }
}

async function createDatabaseIfMissing(databaseUrl: string, name: string): Promise<boolean> {
  const maintenance = new pg.Client({ connectionString: withDatabase(databaseUrl, 'postgres'), application_name: 'clawgate-migrate' });
  await maintenance.connect();
  try {
    const existing = await maintenance.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount) return false;
    try {
      await maintenance.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      return true;
    } catch (error) {
      // Created by a concurrent migrate between the check and the CREATE.
      if (error instanceof Error && (error as { code?: string }).code === '42P04') return false;
      throw error;
    }
  } finally {
    await maintenance.end();
  }
}
