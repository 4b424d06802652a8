import { type IncomingMessage } from 'node:http';
import { Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { BusError } from '#bus';
import { GatewayHttpError } from '../../http/gateway-http-error.js';
import { ReceiveSlackEventUseCase } from '../../usecases/receive-slack-event/receive-slack-event.usecase.js';
import { type SlackAppResolution } from './slack-app.js';
import { SlackEnvelopeSchema } from './slack-event.js';
import { verifySlackSignature } from './slack-signature.js';
import { SLACK_APP } from './slack.tokens.js';

/**
 * `POST /slack/events`, the Events API, when `channels.slack.mode` is `events`. The signature and its timestamp
 * (±5 minutes) are checked before the body is read as JSON; Slack gets its 200 only once the message is stored,
 * so a failure makes Slack retry and nothing is lost; a retry of a stored event id is dropped.
 */
@Controller('slack')
export class SlackEventsController {
  constructor(
    @Inject(SLACK_APP) private readonly slack: SlackAppResolution,
    @Inject(ReceiveSlackEventUseCase) private readonly receiveEvent: ReceiveSlackEventUseCase,
  ) {}

  @Post('events')
  @HttpCode(200)
  async receive(@Req() request: IncomingMessage & { rawBody?: Buffer }): Promise<{ ok: true; outcome?: string } | { challenge: string }> {
    const app = 'app' in this.slack && this.slack.app.mode === 'events' ? this.slack.app : undefined;
    if (app === undefined || app.signingSecret === undefined) throw new GatewayHttpError(404, 'not_found', 'the Slack Events API is not enabled on this gateway');
    const header = (name: string) => {
      const value = request.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    const rawBody = request.rawBody ?? Buffer.alloc(0);
    const verdict = verifySlackSignature(app.signingSecret, { signature: header('x-slack-signature'), timestamp: header('x-slack-request-timestamp') }, rawBody, new Date());
    if (!verdict.ok) throw new GatewayHttpError(401, verdict.code, verdict.message);
    let json: unknown;
    try {
      json = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw new GatewayHttpError(400, 'invalid_event', 'the body is not JSON');
    }
    const parsed = SlackEnvelopeSchema.safeParse(json);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
      throw new GatewayHttpError(400, 'invalid_event', `not a Slack event: invalid fields ${fields}`);
    }
    if (parsed.data.type === 'url_verification') return { challenge: parsed.data.challenge };
    try {
      return { ok: true, outcome: await this.receiveEvent.execute(app, parsed.data) };
    } catch (error) {
      if (error instanceof BusError) throw new GatewayHttpError(503, 'publish_failed', 'the event could not be stored; Slack will send it again');
      throw error;
    }
  }
}
