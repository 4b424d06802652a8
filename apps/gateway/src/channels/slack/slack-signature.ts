import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a request's timestamp may lie from our clock, either way, before it is refused as a replay. */
export const SLACK_TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

export type SlackSignatureVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'missing_signature' | 'invalid_timestamp' | 'stale_timestamp' | 'future_timestamp' | 'bad_signature'; readonly message: string };

/**
 * Checks Slack's request signature (`X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>">`)
 * and refuses timestamps more than 5 minutes in the past **or the future** (Bolt's own check only looks back).
 * `now` comes from the caller so the rule is testable without a clock.
 */
export function verifySlackSignature(
  signingSecret: string,
  headers: { readonly signature: string | undefined; readonly timestamp: string | undefined },
  rawBody: Buffer,
  now: Date,
): SlackSignatureVerdict {
  if (headers.signature === undefined || headers.timestamp === undefined) {
    return { ok: false, code: 'missing_signature', message: 'X-Slack-Signature and X-Slack-Request-Timestamp are required' };
  }
  if (!/^\d{1,12}$/.test(headers.timestamp)) return { ok: false, code: 'invalid_timestamp', message: 'X-Slack-Request-Timestamp must be whole seconds since 1970' };
  const skew = Number(headers.timestamp) - Math.floor(now.getTime() / 1_000);
  if (skew < -SLACK_TIMESTAMP_TOLERANCE_SECONDS) return { ok: false, code: 'stale_timestamp', message: 'the request timestamp is more than 5 minutes old' };
  if (skew > SLACK_TIMESTAMP_TOLERANCE_SECONDS) return { ok: false, code: 'future_timestamp', message: 'the request timestamp is more than 5 minutes in the future' };
  const expected = Buffer.from(`v0=${createHmac('sha256', signingSecret).update(`v0:${headers.timestamp}:`).update(rawBody).digest('hex')}`, 'utf8');
  const presented = Buffer.from(headers.signature, 'utf8');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    return { ok: false, code: 'bad_signature', message: 'the request signature does not match the signing secret' };
  }
  return { ok: true };
}

/** What Slack sends: for tests playing Slack, and for nothing else. */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}
