import { EventStore1764000000000 } from './1764000000000-EventStore.js';
import { SessionsReadModel1764100000000 } from './1764100000000-SessionsReadModel.js';
import { ComplianceViews1764200000000 } from './1764200000000-ComplianceViews.js';
import { SignedDigests1764300000000 } from './1764300000000-SignedDigests.js';
import { AdminActions1764400000000 } from './1764400000000-AdminActions.js';
import { Retention1764500000000 } from './1764500000000-Retention.js';
import { AppendFunction1764600000000 } from './1764600000000-AppendFunction.js';

/** Every migration, oldest first. A new migration is a new timestamped file added here. */
export const MIGRATIONS = [EventStore1764000000000, SessionsReadModel1764100000000, ComplianceViews1764200000000, SignedDigests1764300000000, AdminActions1764400000000, Retention1764500000000, AppendFunction1764600000000];

/** The table in which TypeORM records which migrations ran. */
export const MIGRATIONS_TABLE = 'clawgate_migrations';
