import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Retention (docs/compliance.md, "Retention"): the one way events leave es_events. `es_prune_events`, owned by
 * clawgate_owner and executable by nobody else, deletes the events recorded before a cut-off, keeps each one's
 * place and hash in `es_pruned_events` (what verify checks the chains and the signed digests against) and
 * records an Ed25519-signed `es_prune_checkpoints` row, all in the caller's transaction. The append-only trigger
 * lets a DELETE through only inside that function: running as clawgate_owner, with the transaction-local
 * setting only the function sets, and with the function on the call stack. UPDATE and TRUNCATE stay refused.
 */
export class Retention1764500000000 implements MigrationInterface {
  name = 'Retention1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE es_prune_checkpoints (
        seq bigint PRIMARY KEY CHECK (seq >= 1),
        cutoff timestamptz NOT NULL,
        from_global_position bigint NOT NULL,
        to_global_position bigint NOT NULL,
        event_count integer NOT NULL CHECK (event_count >= 1),
        pruned_sha256 text NOT NULL,
        streams jsonb NOT NULL,
        export_sha256 text NOT NULL,
        pruned_by text NOT NULL,
        prev_signature text,
        key_id text NOT NULL,
        signature text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE es_pruned_events (
        global_position bigint PRIMARY KEY,
        transaction_id xid8 NOT NULL,
        stream_id text NOT NULL,
        stream_version integer NOT NULL,
        event_id uuid NOT NULL,
        recorded_at timestamptz NOT NULL,
        hash text NOT NULL,
        checkpoint_seq bigint NOT NULL REFERENCES es_prune_checkpoints (seq),
        UNIQUE (stream_id, stream_version)
      )`);
    // The digests read ranges in gap-safe order, pruned events included.
    await queryRunner.query(`CREATE INDEX es_pruned_events_gap_safe ON es_pruned_events (transaction_id, global_position)`);
    for (const table of ['es_prune_checkpoints', 'es_pruned_events']) {
      await queryRunner.query(`
        CREATE TRIGGER ${table}_no_update_or_delete BEFORE UPDATE OR DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION es_events_refuse_change()`);
      await queryRunner.query(`
        CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION es_events_refuse_change()`);
      await queryRunner.query(`ALTER TABLE ${table} OWNER TO clawgate_owner`);
      // The projector's digest writer and verify read them; nobody but the prune function writes them.
      await queryRunner.query(`GRANT SELECT ON ${table} TO clawgate_app`);
    }

    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION es_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        stack text;
      BEGIN
        IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'es_events' AND current_user = 'clawgate_owner'
           AND current_setting('clawgate.pruning', true) = 'es_prune_events' THEN
          GET DIAGNOSTICS stack = PG_CONTEXT;
          IF stack LIKE '%function es_prune_events(%' THEN
            RETURN OLD;
          END IF;
        END IF;
        RAISE EXCEPTION 'es_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END
      $$`);

    await queryRunner.query(`
      CREATE FUNCTION es_prune_events(
        p_cutoff timestamptz, p_to_global_position bigint, p_event_count integer, p_pruned_sha256 text, p_streams jsonb,
        p_export_sha256 text, p_pruned_by text, p_seq bigint, p_prev_signature text, p_key_id text, p_signature text)
      RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        deleted integer;
        actual_sha256 text;
        last_seq bigint;
      BEGIN
        LOCK TABLE es_prune_checkpoints IN EXCLUSIVE MODE;
        SELECT max(seq) INTO last_seq FROM es_prune_checkpoints;
        IF p_seq IS DISTINCT FROM coalesce(last_seq, 0) + 1 THEN
          RAISE EXCEPTION 'prune checkpoint % is not the next one (last is %)', p_seq, coalesce(last_seq, 0) USING ERRCODE = 'serialization_failure';
        END IF;
        INSERT INTO es_prune_checkpoints (seq, cutoff, from_global_position, to_global_position, event_count, pruned_sha256, streams,
                                          export_sha256, pruned_by, prev_signature, key_id, signature)
        SELECT p_seq, p_cutoff, min(global_position), max(global_position), p_event_count, p_pruned_sha256, p_streams,
               p_export_sha256, p_pruned_by, p_prev_signature, p_key_id, p_signature
        FROM es_events WHERE recorded_at < p_cutoff AND global_position <= p_to_global_position;

        PERFORM set_config('clawgate.pruning', 'es_prune_events', true);
        WITH gone AS (
          DELETE FROM es_events WHERE recorded_at < p_cutoff AND global_position <= p_to_global_position
          RETURNING global_position, transaction_id, stream_id, stream_version, event_id, recorded_at, hash
        )
        INSERT INTO es_pruned_events (global_position, transaction_id, stream_id, stream_version, event_id, recorded_at, hash, checkpoint_seq)
        SELECT global_position, transaction_id, stream_id, stream_version, event_id, recorded_at, hash, p_seq FROM gone;
        GET DIAGNOSTICS deleted = ROW_COUNT;
        PERFORM set_config('clawgate.pruning', '', true);

        SELECT encode(sha256(convert_to(coalesce(string_agg(hash || E'\\n', '' ORDER BY transaction_id, global_position), ''), 'UTF8')), 'hex')
        INTO actual_sha256 FROM es_pruned_events WHERE checkpoint_seq = p_seq;
        IF deleted IS DISTINCT FROM p_event_count OR actual_sha256 IS DISTINCT FROM p_pruned_sha256 THEN
          RAISE EXCEPTION 'the events to prune changed since they were exported (% deleted, % exported): nothing pruned', deleted, p_event_count
            USING ERRCODE = 'serialization_failure';
        END IF;
        RETURN deleted;
      END
      $$`);
    const signature = 'es_prune_events(timestamptz, bigint, integer, text, jsonb, text, text, bigint, text, text, text)';
    await queryRunner.query(`ALTER FUNCTION ${signature} OWNER TO clawgate_owner`);
    await queryRunner.query(`REVOKE ALL ON FUNCTION ${signature} FROM PUBLIC`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION es_prune_events(timestamptz, bigint, integer, text, jsonb, text, text, bigint, text, text, text)`);
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION es_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'es_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    await queryRunner.query(`DROP TABLE es_pruned_events, es_prune_checkpoints`);
  }
}
