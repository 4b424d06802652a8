import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The event store (DESIGN.md §3): streams, append-only hash-chained events, subscriber checkpoints, and the
 * three roles. Roles belong to the cluster, not the database, so they are created only where missing: the
 * migration runs in any number of databases of one cluster, also concurrently.
 */
export class EventStore1764000000000 implements MigrationInterface {
  name = 'EventStore1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const role of ['clawgate_owner', 'clawgate_app', 'clawgate_auditor']) {
      await queryRunner.query(`
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN
            CREATE ROLE ${role} NOLOGIN;
          END IF;
        EXCEPTION
          -- Another database of the cluster created it between the check and the CREATE.
          WHEN duplicate_object OR unique_violation THEN NULL;
        END
        $$`);
    }

    await queryRunner.query(`
      CREATE TABLE es_streams (
        stream_id text PRIMARY KEY,
        version integer NOT NULL CHECK (version >= 0),
        last_hash text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE es_events (
        global_position bigint GENERATED ALWAYS AS IDENTITY,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        stream_id text NOT NULL,
        stream_version integer NOT NULL CHECK (stream_version >= 1),
        event_id uuid NOT NULL,
        type text NOT NULL,
        schema_version integer NOT NULL,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        prev_hash text,
        hash text NOT NULL,
        -- The order gap-safe readers page in; global_position alone is unique already (an identity).
        CONSTRAINT es_events_pkey PRIMARY KEY (transaction_id, global_position),
        CONSTRAINT es_events_stream_version_key UNIQUE (stream_id, stream_version),
        CONSTRAINT es_events_event_id_key UNIQUE (event_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE es_checkpoints (
        subscription text PRIMARY KEY,
        transaction_id xid8 NOT NULL DEFAULT '0',
        global_position bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await queryRunner.query(`
      CREATE FUNCTION es_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'es_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER es_events_no_update_or_delete BEFORE UPDATE OR DELETE ON es_events
      FOR EACH ROW EXECUTE FUNCTION es_events_refuse_change()`);
    await queryRunner.query(`
      CREATE TRIGGER es_events_no_truncate BEFORE TRUNCATE ON es_events
      FOR EACH STATEMENT EXECUTE FUNCTION es_events_refuse_change()`);

    await queryRunner.query(`CREATE SCHEMA compliance`);
    for (const object of ['TABLE es_streams', 'TABLE es_events', 'TABLE es_checkpoints', 'FUNCTION es_events_refuse_change()', 'SCHEMA compliance']) {
      await queryRunner.query(`ALTER ${object} OWNER TO clawgate_owner`);
    }

    await queryRunner.query(`GRANT USAGE ON SCHEMA public TO clawgate_app`);
    // Column grants: the application cannot choose transaction_id or global_position, which would let it
    // place an event behind the cursors of gap-safe readers.
    await queryRunner.query(`GRANT SELECT ON es_events TO clawgate_app`);
    await queryRunner.query(`
      GRANT INSERT (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
      ON es_events TO clawgate_app`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON es_streams TO clawgate_app`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON es_checkpoints TO clawgate_app`);
    await queryRunner.query(`GRANT USAGE ON SCHEMA compliance TO clawgate_auditor`);
    await queryRunner.query(`ALTER DEFAULT PRIVILEGES FOR ROLE clawgate_owner IN SCHEMA compliance GRANT SELECT ON TABLES TO clawgate_auditor`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER DEFAULT PRIVILEGES FOR ROLE clawgate_owner IN SCHEMA compliance REVOKE SELECT ON TABLES FROM clawgate_auditor`);
    await queryRunner.query(`DROP SCHEMA compliance CASCADE`);
    // es_events refuses TRUNCATE and DELETE, not DROP: undoing the migration is a deliberate owner's act.
    await queryRunner.query(`DROP TABLE es_checkpoints, es_events, es_streams`);
    await queryRunner.query(`DROP FUNCTION es_events_refuse_change()`);
    await queryRunner.query(`REVOKE USAGE ON SCHEMA public FROM clawgate_app`);
  }
}
