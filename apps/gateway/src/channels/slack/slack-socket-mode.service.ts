import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { type SocketModeClient } from '@slack/socket-mode';
import { redactSecrets } from '../redact-secrets.js';
import { ReceiveSlackEventUseCase } from '../../usecases/receive-slack-event/receive-slack-event.usecase.js';
import { type SlackAppResolution } from './slack-app.js';
import { SlackEnvelopeSchema } from './slack-event.js';
import { SLACK_APP } from './slack.tokens.js';

interface SocketModeEnvelope {
  readonly type: string;
  readonly body: unknown;
  ack(): Promise<void>;
}

/**
 * Socket Mode (the default): the gateway opens the WebSocket to Slack, so no public ingress is needed. It uses
 * `@slack/socket-mode`, the client under Bolt's `SocketModeReceiver`, directly: Bolt's `App` acknowledges an
 * Events API envelope before its listeners run, and here the envelope is acknowledged only once the message is
 * in JetStream. An envelope left unacknowledged (the bus was down, the gateway died) is sent again by Slack.
 */
@Injectable()
export class SlackSocketModeService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SlackSocketModeService.name);
  private client: SocketModeClient | undefined;

  constructor(
    @Inject(SLACK_APP) private readonly slack: SlackAppResolution,
    @Inject(ReceiveSlackEventUseCase) private readonly receiveEvent: ReceiveSlackEventUseCase,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!('app' in this.slack) || this.slack.app.mode !== 'socket') return;
    const app = this.slack.app;
    const appToken = app.appToken;
    if (appToken === undefined) return;
    const { LogLevel, SocketModeClient } = await import('@slack/socket-mode');
    const client = new SocketModeClient({
      appToken,
      logLevel: LogLevel.ERROR,
      ...(app.apiUrl !== undefined ? { clientOptions: { slackApiUrl: app.apiUrl } } : {}),
    });
    client.on('slack_event', (envelope: SocketModeEnvelope) => {
      void this.handle(envelope).catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        this.logger.warn(`slack: an event was not stored and is left for Slack to send again: ${redactSecrets(reason, app.secrets)}`);
      });
    });
    this.client = client;
    // Connecting (and reconnecting) goes on in the background; the rest of the gateway does not wait for Slack.
    void client.start().catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.error(`slack: Socket Mode could not connect: ${redactSecrets(reason, app.secrets)}`);
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.client?.disconnect();
  }

  private async handle(envelope: SocketModeEnvelope): Promise<void> {
    if (!('app' in this.slack)) return;
    if (envelope.type !== 'events_api') {
      // Interactivity and slash commands are not used; acknowledged so Slack does not send them again.
      await envelope.ack();
      return;
    }
    const parsed = SlackEnvelopeSchema.safeParse(envelope.body);
    if (!parsed.success || parsed.data.type !== 'event_callback') {
      const fields = parsed.success ? 'type' : parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
      this.logger.warn(`slack: dropping an Events API envelope that is not an event callback (invalid fields: ${fields})`);
      await envelope.ack();
      return;
    }
    await this.receiveEvent.execute(this.slack.app, parsed.data);
    await envelope.ack();
  }
}
