import { type IncomingMessage } from 'node:http';
import { Body, Controller, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { BusError } from '#bus';
import { SecretDigest } from '../../auth/secret-digest.js';
import { GatewayHttpError } from '../../http/gateway-http-error.js';
import { PublishTelegramMessageUseCase } from '../../usecases/publish-telegram-message/publish-telegram-message.usecase.js';
import { grammySignal } from './grammy-signal.js';
import { type TelegramBot } from './telegram-bots.js';
import { TELEGRAM_BOTS } from './telegram.tokens.js';
import { inboundFromUpdate, type TelegramBotIdentity, TelegramUpdateSchema } from './telegram-update.js';

const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

/**
 * `POST /telegram/<account>/webhook`, for bots configured with `channels.telegram.webhook`. The request must carry
 * the configured secret in `X-Telegram-Bot-Api-Secret-Token` (compared in constant time). The answer is 200 only
 * once the message is in JetStream; anything else makes Telegram send the update again, so nothing is lost.
 */
@Controller('telegram')
export class TelegramWebhookController {
  private readonly secrets = new Map<string, SecretDigest>();
  private readonly identities = new Map<string, Promise<TelegramBotIdentity>>();

  constructor(
    @Inject(TELEGRAM_BOTS) private readonly bots: readonly TelegramBot[],
    @Inject(PublishTelegramMessageUseCase) private readonly publishMessage: PublishTelegramMessageUseCase,
  ) {
    for (const bot of bots) if (bot.webhook !== undefined) this.secrets.set(bot.account, new SecretDigest(bot.webhook.secretToken));
  }

  @Post(':account/webhook')
  @HttpCode(200)
  async receive(@Param('account') account: string, @Req() request: IncomingMessage, @Body() body: unknown): Promise<{ ok: true }> {
    const bot = this.bots.find((candidate) => candidate.account === account && candidate.webhook !== undefined);
    const secret = this.secrets.get(account);
    if (bot === undefined || secret === undefined) throw new GatewayHttpError(404, 'not_found', 'no Telegram bot receives updates by webhook at this address');
    const presented = request.headers[SECRET_HEADER];
    if (typeof presented !== 'string' || !secret.matches(presented)) {
      throw new GatewayHttpError(401, 'unauthorized', 'the X-Telegram-Bot-Api-Secret-Token header is missing or does not match the configured secret');
    }
    const parsed = TelegramUpdateSchema.safeParse(body);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
      throw new GatewayHttpError(400, 'invalid_update', `not a Telegram update: invalid fields ${fields}`);
    }
    const identity = await this.identity(bot);
    const inbound = inboundFromUpdate(parsed.data, { account, bot: identity, groupActivation: bot.groupActivation }, new Date());
    if ('skip' in inbound) return { ok: true };
    try {
      await this.publishMessage.execute(inbound.publish);
    } catch (error) {
      if (error instanceof BusError) throw new GatewayHttpError(503, 'publish_failed', 'the update could not be stored; Telegram will send it again');
      throw error;
    }
    return { ok: true };
  }

  /** The bot's own id and username (for mentions in groups), asked once; a failure is asked again next time. */
  private identity(bot: TelegramBot): Promise<TelegramBotIdentity> {
    let known = this.identities.get(bot.account);
    if (known === undefined) {
      known = bot.api.getMe(grammySignal(AbortSignal.timeout(10_000))).then(
        (me) => ({ id: me.id, username: me.username }),
        (error: unknown) => {
          this.identities.delete(bot.account);
          throw new GatewayHttpError(503, 'telegram_unavailable', `could not ask Telegram who the bot is (${error instanceof Error ? error.message : 'unknown error'}); Telegram will send the update again`);
        },
      );
      this.identities.set(bot.account, known);
    }
    return known;
  }
}
