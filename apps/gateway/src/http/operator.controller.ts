import { type IncomingMessage } from 'node:http';
import { Controller, Get, Inject, Req } from '@nestjs/common';
import { type Bus } from '#bus';
import { ClientAuthenticator } from '../auth/client-authenticator.js';
import { bearerToken } from '../auth/secret-digest.js';
import { WebchatUsers } from '../auth/webchat-users.js';
import { ReplyDeliveryService } from '../delivery/reply-delivery.service.js';
import { ReplyWaiters } from '../delivery/reply-waiters.js';
import { WebchatConnections } from '../delivery/webchat-connections.js';
import { GATEWAY_BUS } from '../gateway.tokens.js';
import { clientAddress } from './client-address.js';
import { requireAuthenticated } from './request-auth.js';

export interface GatewayStatus {
  readonly status: 'ok' | 'degraded';
  readonly bus: { readonly connected: boolean; readonly prefix: string };
  readonly webchat: {
    readonly users: number;
    readonly connections: number;
    readonly heldReplies: number;
    readonly waitingRequests: number;
  };
}

/** Health for load balancers (no token, no details) and status for operators (`gateway.auth.token`). */
@Controller('api')
export class OperatorController {
  constructor(
    @Inject(ClientAuthenticator) private readonly authenticator: ClientAuthenticator,
    @Inject(GATEWAY_BUS) private readonly bus: Bus,
    @Inject(WebchatUsers) private readonly users: WebchatUsers,
    @Inject(WebchatConnections) private readonly connections: WebchatConnections,
    @Inject(ReplyWaiters) private readonly waiters: ReplyWaiters,
    @Inject(ReplyDeliveryService) private readonly delivery: ReplyDeliveryService,
  ) {}

  @Get('health')
  health(): { status: 'ok' | 'degraded' } {
    return { status: this.bus.isClosed() ? 'degraded' : 'ok' };
  }

  @Get('status')
  status(@Req() request: IncomingMessage): GatewayStatus {
    requireAuthenticated(
      this.authenticator.operator(clientAddress(request), bearerToken(request.headers.authorization)),
      'the operator token (gateway.auth.token) is required',
    );
    const connected = !this.bus.isClosed();
    return {
      status: connected ? 'ok' : 'degraded',
      bus: { connected, prefix: this.bus.subjects.prefix },
      webchat: {
        users: this.users.size,
        connections: this.connections.count,
        heldReplies: this.delivery.heldReplies,
        waitingRequests: this.waiters.count,
      },
    };
  }
}
