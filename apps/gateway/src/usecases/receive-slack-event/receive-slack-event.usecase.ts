import { Inject, Injectable } from '@nestjs/common';
import { type Bus } from '#bus';
import { inSpan } from '#telemetry';
import { type SlackApp } from '../../channels/slack/slack-app.js';
import { SlackChannelNames } from '../../channels/slack/slack-channel-names.js';
import { inboundFromSlackEvent, type SlackEnvelope } from '../../channels/slack/slack-event.js';
import { GATEWAY_BUS } from '../../gateway.tokens.js';

type EventCallback = Extract<SlackEnvelope, { type: 'event_callback' }>;

const REMEMBERED_EVENTS = 10_000;

export type SlackReceiveOutcome = 'published' | 'skipped' | 'duplicate';

/**
 * Turns one Slack `event_callback` into an inbound message and resolves once JetStream stored it (the caller
 * acknowledges Slack only then). A retry of an event id this gateway already stored is dropped here; one
 * that reaches another instance collapses in JetStream on `Nats-Msg-Id` = `slack:<account>:<event_id>`.
 */
@Injectable()
export class ReceiveSlackEventUseCase {
  private readonly stored = new Set<string>();
  private readonly names = new Map<SlackApp, SlackChannelNames>();
  private readonly botUsers = new Map<SlackApp, Promise<string | undefined>>();

  constructor(@Inject(GATEWAY_BUS) private readonly bus: Bus) {}

  async execute(app: SlackApp, envelope: EventCallback): Promise<SlackReceiveOutcome> {
    if (this.stored.has(envelope.event_id)) return 'duplicate';
    const inbound = inboundFromSlackEvent(envelope, { account: app.account, botUserId: await this.botUserOf(app) }, new Date());
    if ('skip' in inbound) return 'skipped';
    const message = inbound.publish;
    if (message.chat.type === 'group') {
      const name = await this.namesOf(app).nameOf(message.chat.id);
      if (name !== undefined) message.chat = { ...message.chat, name };
    }
    const attributes = { 'clawgate.channel': 'slack', 'clawgate.message_id': message.messageId };
    await inSpan('slack.message.receive', { kind: 'consumer', attributes }, (scope) =>
      this.bus.publish(this.bus.subjects.inbound('slack'), message, { msgId: message.messageId, traceparent: scope.traceparent }),
    );
    if (this.stored.size >= REMEMBERED_EVENTS) this.stored.clear();
    this.stored.add(envelope.event_id);
    return 'published';
  }

  private namesOf(app: SlackApp): SlackChannelNames {
    let names = this.names.get(app);
    if (names === undefined) {
      names = new SlackChannelNames(app.client);
      this.names.set(app, names);
    }
    return names;
  }

  /** The app's bot user (`auth.test`), asked once; unknown if Slack cannot say (mentions then stay in the text). */
  private botUserOf(app: SlackApp): Promise<string | undefined> {
    let known = this.botUsers.get(app);
    if (known === undefined) {
      known = app.client.auth.test().then(
        (identity) => (typeof identity.user_id === 'string' ? identity.user_id : undefined),
        () => {
          this.botUsers.delete(app);
          return undefined;
        },
      );
      this.botUsers.set(app, known);
    }
    return known;
  }
}
