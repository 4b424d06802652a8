import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `AdminActionPerformed` for everyone who runs an auditor or admin command — also the auditor, who may not write
 * events: a SECURITY DEFINER function appends exactly one such event, in a stream of its own
 * (`admin:<eventId>`, so no chain is shared and nothing contends), and only with the database login that calls
 * it as the actor. The caller computes the event's hash (as every writer does); `clawgate audit verify` checks it.
 */
export class AdminActions1764400000000 implements MigrationInterface {
  name = 'AdminActions1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION record_admin_action(p_event_id uuid, p_data jsonb, p_metadata jsonb, p_recorded_at timestamptz, p_hash text)
      RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        position bigint;
      BEGIN
        IF p_metadata->'actor'->>'kind' IS DISTINCT FROM 'admin' OR p_metadata->'actor'->>'id' IS DISTINCT FROM session_user::text THEN
          RAISE EXCEPTION 'an admin action is recorded with the calling login (%) as its actor', session_user USING ERRCODE = 'insufficient_privilege';
        END IF;
        INSERT INTO es_streams (stream_id, version, last_hash, created_at, updated_at)
        VALUES ('admin:' || p_event_id, 1, p_hash, p_recorded_at, p_recorded_at);
        INSERT INTO es_events (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
        VALUES ('admin:' || p_event_id, 1, p_event_id, 'AdminActionPerformed', 1, p_data, p_metadata, p_recorded_at, NULL, p_hash)
        RETURNING global_position INTO position;
        RETURN position;
      END
      $$`);
    await queryRunner.query(`ALTER FUNCTION record_admin_action(uuid, jsonb, jsonb, timestamptz, text) OWNER TO clawgate_owner`);
    await queryRunner.query(`REVOKE ALL ON FUNCTION record_admin_action(uuid, jsonb, jsonb, timestamptz, text) FROM PUBLIC`);
    await queryRunner.query(`GRANT EXECUTE ON FUNCTION record_admin_action(uuid, jsonb, jsonb, timestamptz, text) TO clawgate_app, clawgate_auditor`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION record_admin_action(uuid, jsonb, jsonb, timestamptz, text)`);
  }
}
