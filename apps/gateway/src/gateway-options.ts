import { type ResolvedConfig } from '#config';
import { type AuthThrottleSettings } from './auth/auth-throttle.js';
import { type DeliveryRecorder } from './delivery/delivery-recorder.js';

export interface GatewayModuleOptions {
  readonly config: ResolvedConfig;
  readonly natsUrl?: string | undefined;
  /** The event store's database; default `DATABASE_URL`. Not used when `deliveryRecorder` is given. */
  readonly databaseUrl?: string | undefined;
  /** Subject and stream prefix; tests use their own. */
  readonly subjectPrefix?: string | undefined;
  /** How long `POST /api/messages` waits for the reply before answering 504. Default 120 s. */
  readonly replyTimeoutMs?: number | undefined;
  /**
   * How long a reply for a person with no open WebChat connection is held for them to sign in, before it is
   * recorded as `ReplyDeliveryFailed`. Default 10 minutes.
   */
  readonly holdUndeliveredMs?: number | undefined;
  /** How long a new WebSocket may take to send its `auth` frame. Default 10 s. */
  readonly signInTimeoutMs?: number | undefined;
  readonly authThrottle?: Partial<AuthThrottleSettings> | undefined;
  /** Records `ReplyDelivered` / `ReplyDeliveryFailed`; the default appends them to the event store. */
  readonly deliveryRecorder?: DeliveryRecorder | undefined;
}

export interface GatewaySettings {
  readonly replyTimeoutMs: number;
  readonly holdUndeliveredMs: number;
  readonly signInTimeoutMs: number;
}

export const GATEWAY_SETTINGS_DEFAULTS: GatewaySettings = {
  replyTimeoutMs: 120_000,
  holdUndeliveredMs: 10 * 60_000,
  signInTimeoutMs: 10_000,
};

export function gatewaySettings(options: GatewayModuleOptions): GatewaySettings {
  return {
    replyTimeoutMs: options.replyTimeoutMs ?? GATEWAY_SETTINGS_DEFAULTS.replyTimeoutMs,
    holdUndeliveredMs: options.holdUndeliveredMs ?? GATEWAY_SETTINGS_DEFAULTS.holdUndeliveredMs,
    signInTimeoutMs: options.signInTimeoutMs ?? GATEWAY_SETTINGS_DEFAULTS.signInTimeoutMs,
  };
}
