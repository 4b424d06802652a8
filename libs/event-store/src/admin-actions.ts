import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import pg from 'pg';
import { EVENT_TYPES, type AdminActionPerformed, type EventMetadata } from '#contracts';
import { eventHash } from './canonical-json.js';

/**
 * Appends `AdminActionPerformed` through `record_admin_action` (so that even the auditor's login, which may
 * not write events, leaves its trail), with the database login as the actor. Throws when it cannot: a command
 * that must leave a trail does not run without one.
 */
export async function recordAdminAction(databaseUrl: string, action: Omit<AdminActionPerformed, 'osUser'>): Promise<{ eventId: string; globalPosition: string }> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'clawgate-admin-action' });
  await client.connect();
  try {
    return await appendAdminAction(client, action);
  } finally {
    await client.end();
  }
}

/** The same on a connection the caller holds, e.g. inside the transaction whose action it records. */
export async function appendAdminAction(client: pg.ClientBase, action: Omit<AdminActionPerformed, 'osUser'>): Promise<{ eventId: string; globalPosition: string }> {
  const login = (await client.query<{ login: string }>('SELECT session_user::text AS login')).rows[0]!.login;
  const eventId = randomUUID();
  const recordedAt = new Date();
  const data: AdminActionPerformed = { ...action, osUser: safeOsUser() };
  const metadata: EventMetadata = { correlationId: eventId, causationId: eventId, actor: { kind: 'admin', id: login }, service: 'cli' };
  const hash = eventHash(null, {
    streamId: `admin:${eventId}`,
    streamVersion: 1,
    eventId,
    type: EVENT_TYPES.AdminActionPerformed,
    schemaVersion: 1,
    data,
    metadata,
    recordedAt,
  });
  const { rows } = await client.query<{ position: string }>('SELECT record_admin_action($1, $2::jsonb, $3::jsonb, $4, $5)::text AS position', [
    eventId,
    JSON.stringify(data),
    JSON.stringify(metadata),
    recordedAt.toISOString(),
    hash,
  ]);
  return { eventId, globalPosition: rows[0]!.position };
}

function safeOsUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
