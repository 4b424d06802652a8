import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Signed digests over global ranges of the event store (docs/event-store.md, "Signed digests"): each row covers
 * the events after the previous digest up to a cursor, holds their hashes' digest and per-stream counts, links
 * to the previous digest and is signed with Ed25519. Append-only like the events.
 */
export class SignedDigests1764300000000 implements MigrationInterface {
  name = 'SignedDigests1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE es_digests (
        seq bigint PRIMARY KEY CHECK (seq >= 1),
        from_transaction_id xid8 NOT NULL,
        from_global_position bigint NOT NULL,
        to_transaction_id xid8 NOT NULL,
        to_global_position bigint NOT NULL,
        event_count integer NOT NULL,
        events_sha256 text NOT NULL,
        streams jsonb NOT NULL,
        prev_signature text,
        key_id text NOT NULL,
        signature text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TRIGGER es_digests_no_update_or_delete BEFORE UPDATE OR DELETE ON es_digests
      FOR EACH ROW EXECUTE FUNCTION es_events_refuse_change()`);
    await queryRunner.query(`
      CREATE TRIGGER es_digests_no_truncate BEFORE TRUNCATE ON es_digests
      FOR EACH STATEMENT EXECUTE FUNCTION es_events_refuse_change()`);
    await queryRunner.query(`ALTER TABLE es_digests OWNER TO clawgate_owner`);
    await queryRunner.query(`GRANT SELECT, INSERT ON es_digests TO clawgate_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE es_digests`);
  }
}
