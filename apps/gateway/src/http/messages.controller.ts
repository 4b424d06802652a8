import { type IncomingMessage, type ServerResponse } from 'node:http';
import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { BusError } from '#bus';
import { type OutboundReply } from '#contracts';
import { ClientAuthenticator } from '../auth/client-authenticator.js';
import { bearerToken } from '../auth/secret-digest.js';
import { ReplyWaiters } from '../delivery/reply-waiters.js';
import { type GatewaySettings } from '../gateway-options.js';
import { GATEWAY_SETTINGS } from '../gateway.tokens.js';
import { SendWebchatMessageUseCase } from '../usecases/send-webchat-message/send-webchat-message.usecase.js';
import { describeProblems, SendMessageBodySchema } from '../websocket/webchat-protocol.js';
import { clientAddress } from './client-address.js';
import { GatewayHttpError } from './gateway-http-error.js';
import { requireAuthenticated } from './request-auth.js';

export interface SendMessageResponse {
  readonly messageId: string;
  readonly reply: { readonly replyId: string; readonly kind: OutboundReply['kind']; readonly text: string };
}

/** `POST /api/messages`: a WebChat user sends a message and waits for the answer (scripts, tests). */
@Controller('api/messages')
export class MessagesController {
  constructor(
    @Inject(ClientAuthenticator) private readonly authenticator: ClientAuthenticator,
    @Inject(SendWebchatMessageUseCase) private readonly sendMessage: SendWebchatMessageUseCase,
    @Inject(ReplyWaiters) private readonly waiters: ReplyWaiters,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  @Post()
  @HttpCode(200)
  async send(
    @Req() request: IncomingMessage,
    @Res({ passthrough: true }) response: ServerResponse,
    @Body() body: unknown,
  ): Promise<SendMessageResponse> {
    const user = requireAuthenticated(
      this.authenticator.webchatUser(clientAddress(request), bearerToken(request.headers.authorization)),
      'a WebChat user token is required',
    );
    const parsed = SendMessageBodySchema.safeParse(body ?? undefined);
    if (!parsed.success) throw new GatewayHttpError(400, 'invalid_body', describeProblems(parsed.error));

    const command = { user, text: parsed.data.text, clientMessageId: parsed.data.id };
    const messageId = this.sendMessage.messageIdFor(command);
    const waiter = this.waiters.register(messageId);
    // The client hung up before the answer: stop waiting (the reply then goes to the user's open sockets).
    const onClientGone = () => waiter.cancel();
    response.once('close', onClientGone);
    const timer = setTimeout(() => waiter.cancel(), this.settings.replyTimeoutMs);
    try {
      try {
        const traceparent = request.headers.traceparent;
        await this.sendMessage.execute(command, messageId, typeof traceparent === 'string' ? traceparent : undefined);
      } catch (error) {
        waiter.cancel();
        if (error instanceof BusError) {
          throw new GatewayHttpError(503, 'publish_failed', 'the message could not be queued (the message bus is unavailable); send it again');
        }
        throw error;
      }
      const reply = await waiter.settled;
      if (reply === undefined) {
        throw new GatewayHttpError(
          504,
          'reply_timeout',
          `no reply within ${Math.round(this.settings.replyTimeoutMs / 1_000)} s; the message ${messageId} was accepted ` +
            'and its reply will be delivered to your open WebChat connections',
        );
      }
      return { messageId, reply: { replyId: reply.replyId, kind: reply.kind, text: reply.text } };
    } finally {
      clearTimeout(timer);
      response.off('close', onClientGone);
    }
  }
}
