import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The sessions read model the projector keeps (docs/projector.md). Disposable: it is folded from the events
 * and can be rebuilt at any time by emptying it and resetting the `projector:sessions` checkpoint. The
 * application role may write it (the projector runs as the application) but, as before, not the events.
 */
export class SessionsReadModel1764100000000 implements MigrationInterface {
  name = 'SessionsReadModel1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE rm_sessions (
        session_key text PRIMARY KEY,
        agent_id text NOT NULL,
        channel text NOT NULL,
        account text NOT NULL,
        user_id text NOT NULL,
        messages integer NOT NULL DEFAULT 0,
        replies integer NOT NULL DEFAULT 0,
        failures integer NOT NULL DEFAULT 0,
        tool_calls integer NOT NULL DEFAULT 0,
        input_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        last_activity timestamptz NOT NULL,
        -- The global position of the last event folded in.
        last_position bigint NOT NULL
      )`);
    // `clawgate sessions list` shows the most recent sessions first, optionally of one agent or user.
    await queryRunner.query(`CREATE INDEX rm_sessions_last_activity_idx ON rm_sessions (last_activity DESC)`);
    await queryRunner.query(`ALTER TABLE rm_sessions OWNER TO clawgate_owner`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON rm_sessions TO clawgate_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE rm_sessions`);
  }
}
