import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { DEFAULT_DIGEST_POLICY, loadSigningKey, writeDigestIfDue, type EventStore, type Subscription, type SubscriptionHandler } from '#event-store';
import { type AuditLineSettings } from './audit-file/audit-file-lines.js';
import { AuditFileWriter } from './audit-file/audit-file-writer.js';
import { AUDIT_FILE_SUBSCRIPTION, auditFileHandler, cursorOf } from './audit-file/project-audit-file.js';
import { PROJECTOR_EVENT_STORE, PROJECTOR_SETTINGS } from './projector.tokens.js';
import { projectSessions, SESSIONS_SUBSCRIPTION } from './sessions/project-sessions.js';

/** `logging.auditLog` when it is enabled with a path: the projector keeps the JSONL audit file. */
export interface AuditFileSettings extends AuditLineSettings {
  path: string;
  /** Rotate once the file reaches this many bytes. */
  rotateBytes?: number | undefined;
}

export interface ProjectorSettings {
  /** Events per transaction; default 500. */
  batchSize?: number | undefined;
  /** Wait between polls once caught up; default 200 ms. */
  pollIntervalMs?: number | undefined;
  auditFile?: AuditFileSettings | undefined;
  /** Sign digests over the store with this key file (`logging.auditLog.digests`). */
  digests?: { keyFile: string; everyEvents?: number | undefined; everySeconds?: number | undefined } | undefined;
}

/** The subscription that writes the signed digests; its checkpoint commits with each digest. */
export const DIGESTS_SUBSCRIPTION = 'projector:digests';

/** Keeps the read models: one gap-safe subscription per model, each batch one transaction with its checkpoint. */
@Injectable()
export class ProjectorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ProjectorService.name);
  private sessions: Subscription | undefined;
  private auditFile: { subscription: Subscription; writer: AuditFileWriter } | undefined;
  private digests: Subscription | undefined;

  constructor(
    @Inject(PROJECTOR_EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTOR_SETTINGS) private readonly settings: ProjectorSettings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const options = {
      ...(this.settings.batchSize ? { batchSize: this.settings.batchSize } : {}),
      ...(this.settings.pollIntervalMs ? { pollIntervalMs: this.settings.pollIntervalMs } : {}),
    };
    // Everything that can fail on a setting comes first: a projector that cannot keep its audit file or sign
    // its digests does not start at all, rather than keep some read models and not others.
    let auditFile: { writer: AuditFileWriter; handler: SubscriptionHandler; path: string } | undefined;
    let digestHandler: { handler: SubscriptionHandler; keyId: string } | undefined;
    try {
      auditFile = this.settings.auditFile ? await this.prepareAuditFile(this.settings.auditFile) : undefined;
      digestHandler = this.settings.digests ? await prepareDigests(this.settings.digests) : undefined;
    } catch (error) {
      await auditFile?.writer.close();
      await this.store.close();
      throw error;
    }
    this.sessions = this.store.subscribe(SESSIONS_SUBSCRIPTION, projectSessions, options);
    this.logger.log(`projector ready: subscription ${SESSIONS_SUBSCRIPTION} keeps rm_sessions`);
    if (auditFile) {
      this.auditFile = { subscription: this.store.subscribe(AUDIT_FILE_SUBSCRIPTION, auditFile.handler, options), writer: auditFile.writer };
      this.logger.log(`projector ready: subscription ${AUDIT_FILE_SUBSCRIPTION} appends to ${auditFile.path}`);
    }
    if (digestHandler) {
      this.digests = this.store.subscribe(DIGESTS_SUBSCRIPTION, digestHandler.handler, options);
      this.logger.log(`projector ready: subscription ${DIGESTS_SUBSCRIPTION} signs digests with key ${digestHandler.keyId}`);
    }
  }

  private async prepareAuditFile(file: AuditFileSettings): Promise<{ writer: AuditFileWriter; handler: SubscriptionHandler; path: string }> {
    const { writer, lastEventId } = await AuditFileWriter.open(file.path, file.rotateBytes).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`cannot open the audit file (logging.auditLog.path) ${file.path}: ${reason}; make its directory writable by this user, or change the path`, {
        cause: error,
      });
    });
    const last = lastEventId ? await this.store.readEvent(lastEventId) : undefined;
    if (lastEventId && !last) {
      await writer.close();
      throw new Error(`${file.path}: its last line names event ${lastEventId}, which this event store does not have (another deployment's file?)`);
    }
    const handler = auditFileHandler(writer, { includeMessages: file.includeMessages, includeTools: file.includeTools }, last ? cursorOf(last) : undefined);
    return { writer, handler, path: file.path };
  }


  /**
   * Resolves when the subscription ends: `undefined` after a clean stop, the error when a batch failed (it was
   * rolled back with its checkpoint; a restarted projector does it again).
   */
  get closed(): Promise<Error | undefined> {
    if (!this.sessions) throw new Error('the projector has not started');
    const subscriptions = [this.sessions, ...(this.auditFile ? [this.auditFile.subscription] : []), ...(this.digests ? [this.digests] : [])];
    // The first failure, or undefined once every subscription has stopped cleanly.
    return new Promise((resolve) => {
      let open = subscriptions.length;
      for (const subscription of subscriptions) {
        void subscription.closed.then((error) => {
          open -= 1;
          if (error || open === 0) resolve(error);
        });
      }
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sessions?.stop();
    await this.digests?.stop();
    if (this.auditFile) {
      await this.auditFile.subscription.stop();
      await this.auditFile.writer.close();
    }
  }
}

async function prepareDigests(digests: NonNullable<ProjectorSettings['digests']>): Promise<{ handler: SubscriptionHandler; keyId: string }> {
  const key = loadSigningKey(await readFile(digests.keyFile, 'utf8'));
  const policy = { everyEvents: digests.everyEvents ?? DEFAULT_DIGEST_POLICY.everyEvents, everySeconds: digests.everySeconds ?? DEFAULT_DIGEST_POLICY.everySeconds };
  const handler: SubscriptionHandler = async (events, tx) => {
    const last = events.at(-1)!;
    await writeDigestIfDue(tx, key, policy, { transactionId: last.transactionId, globalPosition: last.globalPosition });
  };
  return { handler, keyId: key.keyId };
}
