export { canonicalJson, eventHash, type HashedEventFields } from './canonical-json.js';
export { DEFAULT_DATABASE_URL, InvalidDatabaseUrlError, databaseUrlFromEnv, parseDatabaseUrl, redactDatabaseUrl } from './database-url.js';
export {
  EventIdConflictError,
  EventStoreClosedError,
  EventStoreError,
  EventStoreNotMigratedError,
  InvalidAppendError,
  WrongExpectedVersionError,
  type ExpectedVersion,
} from './errors.js';
export { EventStore, type AppendOptions, type AppendResult, type EventStoreOptions, type ReadStreamOptions } from './event-store.js';
export { runMigrations, type MigrationReport } from './migrate.js';
export { writeAuditSettings, type AuditSettings } from './audit-settings.js';
export { appendAdminAction, recordAdminAction } from './admin-actions.js';
export {
  pruneEvents,
  PruneRefusedError,
  verifyPruneCheckpoints,
  type CheckpointFailure,
  type CheckpointReport,
  type PruneCheckpoint,
  type PruneOptions,
  type PruneResult,
} from './retention.js';
export {
  DEFAULT_DIGEST_POLICY,
  keyIdOf,
  loadSigningKey,
  loadVerifyKey,
  writeDigestIfDue,
  type DigestFailure,
  type DigestPolicy,
  type DigestReport,
  type DigestSigningKey,
  type SignedDigest,
} from './digests.js';
export { START_CURSOR, type ReadAllCursor, type ReadAllPage } from './read-all.js';
export { Subscription, type SubscriptionHandler, type SubscriptionOptions, type SubscriptionTransaction } from './subscription.js';
export { type VerifyFailure, type VerifyReport } from './verify.js';
