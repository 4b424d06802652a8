import { setTimeout as sleep } from 'node:timers/promises';
import {
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { StreamDefinition, Subjects } from '#contracts';
import { BusStreamSetupError, errorMessage } from './errors.js';

/** Publishes carrying the same `Nats-Msg-Id` within this window are stored once. */
export const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;
/** PostgreSQL is the record; the streams only hold work in flight, plus a week for diagnosis. */
export const STREAM_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

const STREAM_NAME_IN_USE = 10058;
const STREAM_NOT_FOUND = 10059;
/**
 * "subjects overlap with an existing stream": what nats-server 2.9 answers, instead of 10058, to one of two
 * concurrent creations of the same stream when the other wins between its checks (seen once in the full suite,
 * under load). Only a stream of this name settles that; another stream owning the subject is a real overlap.
 */
const STREAM_SUBJECTS_OVERLAP = 10065;
/**
 * "error creating store for stream": seen on nats-server 2.9 when the account's last stream is deleted while
 * another is being created (the server removes the account's store directory under the creation). Transient.
 */
const STREAM_STORE_CREATE_FAILED = 10077;
const STORE_CREATE_ATTEMPTS = 5;

export function streamConfig(definition: StreamDefinition): Partial<StreamConfig> & { name: string } {
  return {
    name: definition.name,
    description: `Clawgate ${definition.flow} messages (${definition.subject})`,
    subjects: [definition.subject],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(STREAM_MAX_AGE_MS),
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    num_replicas: 1,
  };
}

/**
 * Creates the prefix's streams or brings their configuration up to date. Creating a stream whose
 * identical configuration already exists succeeds, so services may run this concurrently at start-up.
 */
export async function ensureStreams(manager: JetStreamManager, subjects: Subjects): Promise<void> {
  await Promise.all(subjects.streams().map((definition) => ensureStream(manager, definition)));
}

async function ensureStream(manager: JetStreamManager, definition: StreamDefinition): Promise<void> {
  const config = streamConfig(definition);
  for (let attempt = 1; ; attempt++) {
    try {
      await manager.streams.add(config);
      return;
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === STREAM_STORE_CREATE_FAILED && attempt < STORE_CREATE_ATTEMPTS) {
        await sleep(50 * attempt);
        continue;
      }
      if (error instanceof JetStreamApiError && error.code === STREAM_NAME_IN_USE) break;
      if (error instanceof JetStreamApiError && error.code === STREAM_SUBJECTS_OVERLAP && (await streamExists(manager, definition.name))) break;
      throw new BusStreamSetupError(definition.name, `cannot create stream ${definition.name}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
  const { name: _name, storage, retention, ...updatable } = config;
  let updated: StreamInfo;
  try {
    updated = await manager.streams.update(definition.name, updatable);
  } catch (error) {
    throw new BusStreamSetupError(
      definition.name,
      `stream ${definition.name} exists with a configuration that cannot be updated (${errorMessage(error)}); ` +
        'compare it with `nats stream info` and delete or migrate it',
      { cause: error },
    );
  }
  // Storage and retention cannot change in place; the update keeps the old values without complaint.
  if (updated.config.storage !== storage || updated.config.retention !== retention) {
    throw new BusStreamSetupError(
      definition.name,
      `stream ${definition.name} exists with ${updated.config.storage} storage and ${updated.config.retention} retention, ` +
        `expected ${storage} and ${retention}; these cannot be changed in place, so delete or migrate the stream`,
    );
  }
}

/** Whether a stream of this name can be read now; if not (missing, or the question failed), the caller's error stands. */
async function streamExists(manager: JetStreamManager, name: string): Promise<boolean> {
  return manager.streams.info(name).then(
    () => true,
    () => false,
  );
}

/** Deletes the prefix's streams and with them their consumers; streams that do not exist are skipped. */
export async function deleteStreams(manager: JetStreamManager, subjects: Subjects): Promise<void> {
  await Promise.all(
    subjects.streams().map(async (definition) => {
      try {
        await manager.streams.delete(definition.name);
      } catch (error) {
        if (error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND) return;
        throw new BusStreamSetupError(definition.name, `cannot delete stream ${definition.name}: ${errorMessage(error)}`, {
          cause: error,
        });
      }
    }),
  );
}
