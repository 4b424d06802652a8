import { type IncomingMessage, type Server } from 'node:http';
import { type Duplex } from 'node:stream';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { type AuthOutcome, ClientAuthenticator } from '../auth/client-authenticator.js';
import { bearerToken } from '../auth/secret-digest.js';
import { type WebchatUser } from '../auth/webchat-users.js';
import { type WebchatConnection, WebchatConnections } from '../delivery/webchat-connections.js';
import { type GatewaySettings } from '../gateway-options.js';
import { GATEWAY_SETTINGS } from '../gateway.tokens.js';
import { clientAddress } from '../http/client-address.js';
import { SendWebchatMessageUseCase } from '../usecases/send-webchat-message/send-webchat-message.usecase.js';
import { type ClientFrame, ClientFrameSchema, CLOSE_CODES, describeProblems, type ServerFrame } from './webchat-protocol.js';

export const WEBCHAT_SOCKET_PATH = '/ws';
const MAX_FRAME_BYTES = 256 * 1024;
const HEARTBEAT_MS = 30_000;

/**
 * The WebChat WebSocket (`/ws`, protocol in docs/gateway.md): a client signs in with its token — in an
 * `Authorization: Bearer` header of the upgrade, or in a first `auth` frame, which browsers need — then sends
 * messages and receives the replies and tool-call activity addressed to its user.
 */
@Injectable()
export class WebchatSocketServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebchatSocketServer.name);
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly alive = new WeakSet<WebSocket>();

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(ClientAuthenticator) private readonly authenticator: ClientAuthenticator,
    @Inject(WebchatConnections) private readonly connections: WebchatConnections,
    @Inject(SendWebchatMessageUseCase) private readonly sendMessage: SendWebchatMessageUseCase,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  onApplicationBootstrap(): void {
    const httpServer = this.adapterHost.httpAdapter.getHttpServer() as Server;
    httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket, head));
    this.heartbeat = setInterval(() => this.checkAlive(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.heartbeat);
    for (const socket of this.server.clients) socket.close(CLOSE_CODES.goingAway, 'the gateway is restarting');
    this.server.close();
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(request.url ?? '/', 'http://gateway').pathname;
    if (path !== WEBCHAT_SOCKET_PATH) {
      rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    const client = clientAddress(request);
    const headerToken = bearerToken(request.headers.authorization);
    let user: WebchatUser | undefined;
    if (headerToken !== undefined) {
      const outcome = this.authenticator.webchatUser(client, headerToken);
      if (!outcome.ok) {
        rejectUpgrade(socket, outcome.reason === 'throttled' ? 429 : 401, outcome.reason === 'throttled' ? 'Too Many Requests' : 'Unauthorized');
        return;
      }
      user = outcome.value;
    }
    this.server.handleUpgrade(request, socket, head, (webSocket) => this.accept(webSocket, client, user));
  }

  private accept(socket: WebSocket, client: string, signedIn: WebchatUser | undefined): void {
    this.alive.add(socket);
    socket.on('pong', () => this.alive.add(socket));
    let connection: WebchatConnection | undefined;
    let user: WebchatUser | undefined;
    const signInTimer = setTimeout(() => {
      if (connection === undefined) socket.close(CLOSE_CODES.authTimeout, 'sign in with an auth frame first');
    }, this.settings.signInTimeoutMs);

    const signIn = (signedInUser: WebchatUser) => {
      clearTimeout(signInTimer);
      user = signedInUser;
      connection = socketConnection(socket, user.id);
      void connection.send({ type: 'ready', user: user.name === undefined ? { id: user.id } : { id: user.id, name: user.name } });
      this.connections.add(connection);
    };

    socket.on('message', (data: RawData, isBinary: boolean) => {
      const frame = parseFrame(data, isBinary);
      if (!frame.ok) {
        void send(socket, { type: 'error', code: 'invalid_frame', message: frame.message });
        return;
      }
      if (frame.value.type === 'ping') {
        void send(socket, { type: 'pong' });
      } else if (frame.value.type === 'auth') {
        if (connection !== undefined) {
          void send(socket, { type: 'error', code: 'invalid_frame', message: 'already signed in' });
          return;
        }
        const outcome = this.authenticator.webchatUser(client, frame.value.token);
        if (outcome.ok) signIn(outcome.value);
        else refuseSignIn(socket, outcome);
      } else if (user === undefined) {
        void send(socket, { type: 'error', code: 'auth_required', message: 'sign in first: {"type":"auth","token":"..."}' });
      } else {
        void this.publish(socket, user, frame.value);
      }
    });
    socket.on('close', () => {
      clearTimeout(signInTimer);
      if (connection !== undefined) this.connections.remove(connection);
    });
    socket.on('error', (error) => this.logger.warn(`WebChat connection error: ${error.message}`));

    if (signedIn !== undefined) signIn(signedIn);
  }

  private async publish(socket: WebSocket, user: WebchatUser, frame: Extract<ClientFrame, { type: 'message' }>): Promise<void> {
    const command = { user, text: frame.text, clientMessageId: frame.id };
    const messageId = this.sendMessage.messageIdFor(command);
    try {
      await this.sendMessage.execute(command, messageId);
    } catch (error) {
      this.logger.error(`cannot publish a WebChat message of ${user.id}: ${error instanceof Error ? error.message : String(error)}`);
      await send(socket, {
        type: 'error',
        code: 'publish_failed',
        message: 'the message could not be queued; send it again',
        ...(frame.id !== undefined ? { id: frame.id } : {}),
      });
      return;
    }
    await send(socket, { type: 'accepted', messageId, ...(frame.id !== undefined ? { id: frame.id } : {}) });
  }

  private checkAlive(): void {
    for (const socket of this.server.clients) {
      if (!this.alive.has(socket)) {
        socket.terminate();
        continue;
      }
      this.alive.delete(socket);
      socket.ping();
    }
  }
}

function socketConnection(socket: WebSocket, userId: string): WebchatConnection {
  return { userId, send: (frame) => send(socket, frame) };
}

function send(socket: WebSocket, frame: ServerFrame): Promise<boolean> {
  if (socket.readyState !== WebSocket.OPEN) return Promise.resolve(false);
  return new Promise((resolve) => socket.send(JSON.stringify(frame), (error) => resolve(error === undefined || error === null)));
}

function refuseSignIn(socket: WebSocket, outcome: Exclude<AuthOutcome<WebchatUser>, { ok: true }>): void {
  if (outcome.reason === 'throttled') {
    const message = `too many failed sign-ins from this address; try again in ${outcome.retryAfterSeconds} s`;
    void send(socket, { type: 'error', code: 'too_many_attempts', message, retryAfterSeconds: outcome.retryAfterSeconds }).then(() =>
      socket.close(CLOSE_CODES.throttled, 'too many attempts'),
    );
    return;
  }
  void send(socket, { type: 'error', code: 'unauthorized', message: 'this token does not belong to a WebChat user' }).then(() =>
    socket.close(CLOSE_CODES.unauthorized, 'unauthorized'),
  );
}

function parseFrame(data: RawData, isBinary: boolean): { ok: true; value: ClientFrame } | { ok: false; message: string } {
  if (isBinary) return { ok: false, message: 'frames must be JSON text' };
  let json: unknown;
  try {
    json = JSON.parse(rawText(data));
  } catch {
    return { ok: false, message: 'frames must be JSON text' };
  }
  const parsed = ClientFrameSchema.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, message: describeProblems(parsed.error) };
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
