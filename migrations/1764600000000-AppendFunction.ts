import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `es_append(jsonb)`: one or more appends — each to its own stream, with its own expected version — in one
 * statement and one transaction, whatever the streams' heads (docs/event-store.md, "Decisions"). Each stream's
 * row is locked (streams in byte order of their ids, so two calls do not wait on each other's stream rows in a cycle), its
 * version checked, the hash chain continued from the head it holds, the events inserted, the head moved.
 *
 * The hash is the one `eventHash` computes in Node (canonical-json.ts): SHA-256 over the previous hash, a newline
 * and the canonical JSON of the event's fields. The caller sends the parts only it can encode canonically
 * — data and metadata as canonical JSON text, the stream id and type as JSON strings, the recording time as ISO
 * 8601 — and the function puts in the version and previous hash, which only the locked head knows.
 *
 * Input: `[{ s, sj, x, ra, e: [{ id, t, tj, sv, d, m }] }]` — stream id, its JSON string, the expected version
 * (null for any; 0 also for no stream), recorded at, the events (id lower-case, type, its JSON string, schema
 * version, data and metadata text). One row per inserted event (`ok`), or per append not made: `wrong-version`
 * (`r_version` = the stream's version) or `id-taken` (an event id is recorded already; nothing of the append is
 * written). Either way the other appends of the call go ahead.
 */
export class AppendFunction1764600000000 implements MigrationInterface {
  name = 'AppendFunction1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION es_chain_hashes(p_prev_hash text, p_version integer, p_events jsonb, p_recorded_at text, p_stream_json text)
      RETURNS text[] LANGUAGE plpgsql IMMUTABLE AS $$
      DECLARE
        ev jsonb;
        h text := p_prev_hash;
        v integer := p_version;
        hashes text[] := ARRAY[]::text[];
      BEGIN
        FOR ev IN SELECT value FROM jsonb_array_elements(p_events) LOOP
          v := v + 1;
          h := encode(sha256(convert_to(
            coalesce(h, '') || E'\\n{"data":' || (ev->>'d') || ',"eventId":"' || (ev->>'id') || '","metadata":' || (ev->>'m') ||
            ',"recordedAt":"' || p_recorded_at || '","schemaVersion":' || (ev->>'sv') || ',"streamId":' || p_stream_json ||
            ',"streamVersion":' || v || ',"type":' || (ev->>'tj') || '}', 'UTF8')), 'hex');
          hashes := hashes || h;
        END LOOP;
        RETURN hashes;
      END
      $$`);
    await queryRunner.query(`
      CREATE FUNCTION es_event_ids_recorded(p_events jsonb) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
      DECLARE
        ev jsonb;
      BEGIN
        FOR ev IN SELECT value FROM jsonb_array_elements(p_events) LOOP
          PERFORM FROM es_events WHERE event_id = (ev->>'id')::uuid;
          IF FOUND THEN RETURN true; END IF;
        END LOOP;
        RETURN false;
      END
      $$`);
    await queryRunner.query(`
      CREATE FUNCTION es_append(p_appends jsonb)
      RETURNS TABLE (r_index integer, r_outcome text, r_version integer, r_position text, r_transaction text, r_prev_hash text, r_hash text)
      LANGUAGE plpgsql
      -- Planned for each call's values: a generic plan cached while the tables were small scans them
      -- sequentially, and a pooled connection would keep it until the next ANALYZE.
      SET plan_cache_mode = force_custom_plan
      -- One call holds up the appends queued behind it in its process: a lock held elsewhere (DDL, an
      -- operator's SELECT … FOR UPDATE) fails the call after 10 s instead of stalling the service.
      SET lock_timeout = '10s'
      AS $$
      DECLARE
        a record;
        ev jsonb;
        head_version integer;
        head_hash text;
        found_stream boolean;
        created boolean;
        taken boolean;
        hashes text[];
        k integer;
      BEGIN
        FOR a IN
          SELECT (x.ordinality - 1)::integer AS idx, x.value->>'s' AS s, x.value->>'sj' AS sj, (x.value->>'x')::integer AS expected,
                 x.value->>'ra' AS ra, (x.value->>'ra')::timestamptz AS recorded_at, x.value->'e' AS events
          FROM jsonb_array_elements(p_appends) WITH ORDINALITY AS x
          ORDER BY x.value->>'s' COLLATE "C", x.ordinality
        LOOP
          r_index := a.idx;
          r_position := NULL; r_transaction := NULL; r_prev_hash := NULL; r_hash := NULL;
          -- Lock the stream's row, or create it: at its final head, in one write, when the stream is new. An id
          -- already recorded is looked for once the lock is held (or before creating): a writer of the same
          -- event that held the lock first has committed it by then, so it is found, not a unique violation
          -- that would abort the other appends of this call.
          created := false;
          LOOP
            SELECT st.version, st.last_hash INTO head_version, head_hash FROM es_streams st WHERE st.stream_id = a.s FOR UPDATE;
            found_stream := FOUND;
            IF NOT found_stream THEN head_version := 0; head_hash := NULL; END IF;
            taken := es_event_ids_recorded(a.events);
            EXIT WHEN found_stream OR taken OR (a.expected IS NOT NULL AND a.expected <> 0);
            hashes := es_chain_hashes(NULL, 0, a.events, a.ra, a.sj);
            INSERT INTO es_streams (stream_id, version, last_hash, created_at, updated_at)
            VALUES (a.s, cardinality(hashes), hashes[cardinality(hashes)], a.recorded_at, a.recorded_at)
            ON CONFLICT (stream_id) DO NOTHING;
            IF FOUND THEN created := true; EXIT; END IF;
            -- Created meanwhile by another transaction, now committed: lock it as it stands.
          END LOOP;

          IF taken THEN
            r_outcome := 'id-taken'; r_version := NULL;
            RETURN NEXT;
            CONTINUE;
          END IF;
          IF a.expected IS NOT NULL AND a.expected <> head_version THEN
            r_outcome := 'wrong-version'; r_version := head_version;
            RETURN NEXT;
            CONTINUE;
          END IF;

          IF NOT created THEN
            hashes := es_chain_hashes(head_hash, head_version, a.events, a.ra, a.sj);
            UPDATE es_streams SET version = head_version + cardinality(hashes), last_hash = hashes[cardinality(hashes)], updated_at = a.recorded_at
            WHERE stream_id = a.s;
          END IF;

          r_outcome := 'ok';
          r_prev_hash := head_hash;
          k := 0;
          FOR ev IN SELECT value FROM jsonb_array_elements(a.events) LOOP
            k := k + 1;
            r_version := head_version + k;
            r_hash := hashes[k];
            INSERT INTO es_events (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
            VALUES (a.s, r_version, (ev->>'id')::uuid, ev->>'t', (ev->>'sv')::integer, (ev->>'d')::jsonb, (ev->>'m')::jsonb,
                    a.recorded_at, r_prev_hash, r_hash)
            RETURNING global_position::text, transaction_id::text INTO r_position, r_transaction;
            RETURN NEXT;
            r_prev_hash := r_hash;
          END LOOP;
        END LOOP;
      END
      $$`);
    for (const signature of ['es_chain_hashes(text, integer, jsonb, text, text)', 'es_event_ids_recorded(jsonb)', 'es_append(jsonb)']) {
      await queryRunner.query(`ALTER FUNCTION ${signature} OWNER TO clawgate_owner`);
      await queryRunner.query(`REVOKE ALL ON FUNCTION ${signature} FROM PUBLIC`);
      await queryRunner.query(`GRANT EXECUTE ON FUNCTION ${signature} TO clawgate_app`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION es_append(jsonb)`);
    await queryRunner.query(`DROP FUNCTION es_event_ids_recorded(jsonb)`);
    await queryRunner.query(`DROP FUNCTION es_chain_hashes(text, integer, jsonb, text, text)`);
  }
}
