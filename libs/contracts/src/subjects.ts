// NATS subjects and JetStream stream names used between Clawgate services (DESIGN.md §1).
// Everything is derived from one prefix so a test file, or a second installation on the same
// NATS server, gets subjects and streams of its own.

export const DEFAULT_SUBJECT_PREFIX = 'clawgate';

/** The three JetStream flows; each one is stored in a stream of its own. */
export type StreamFlow = 'inbound' | 'run' | 'outbound';

export const STREAM_FLOWS: readonly StreamFlow[] = ['inbound', 'run', 'outbound'];

export interface StreamDefinition {
  readonly flow: StreamFlow;
  /** JetStream stream name, e.g. `CLAWGATE_INBOUND`. */
  readonly name: string;
  /** The wildcard subject the stream captures, e.g. `clawgate.inbound.>`. */
  readonly subject: string;
}

export class InvalidSubjectTokenError extends Error {
  readonly code = 'INVALID_SUBJECT_TOKEN';

  constructor(
    readonly role: string,
    readonly token: string,
    reason: string,
  ) {
    super(`${role} ${JSON.stringify(token)} cannot be used in a NATS subject: ${reason}`);
    this.name = 'InvalidSubjectTokenError';
  }
}

export class InvalidSubjectPrefixError extends Error {
  readonly code = 'INVALID_SUBJECT_PREFIX';

  constructor(readonly prefix: string) {
    super(
      `subject prefix ${JSON.stringify(prefix)} is invalid: use 1 to 32 characters of a-z, 0-9, "_" or "-", ` +
        'starting with a letter (it also names the JetStream streams)',
    );
    this.name = 'InvalidSubjectPrefixError';
  }
}

// Lowercase only, so that upper-casing it into a stream name cannot make two prefixes collide.
const PREFIX_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

// Whitespace and control characters break the NATS protocol line; `.` `*` `>` change the subject's meaning.
function firstForbiddenCharacter(token: string): string | undefined {
  for (const character of token) {
    const codePoint = character.codePointAt(0) ?? 0;
    if (codePoint < 0x20 || codePoint === 0x7f || /\s/u.test(character) || '.*>'.includes(character)) {
      return character;
    }
  }
  return undefined;
}

/**
 * Throws {@link InvalidSubjectTokenError} unless `token` can stand as one token of a NATS subject
 * (and therefore also as a JetStream consumer name).
 */
export function assertSubjectToken(role: string, token: string): void {
  if (typeof token !== 'string' || token.length === 0) {
    throw new InvalidSubjectTokenError(role, String(token), 'it must be a non-empty string');
  }
  const forbidden = firstForbiddenCharacter(token);
  if (forbidden !== undefined) {
    throw new InvalidSubjectTokenError(
      role,
      token,
      `it contains ${JSON.stringify(forbidden)}; ".", "*", ">", whitespace and control characters are not allowed`,
    );
  }
}

export class Subjects {
  readonly prefix: string;

  constructor(prefix: string = DEFAULT_SUBJECT_PREFIX) {
    if (!PREFIX_PATTERN.test(prefix)) {
      throw new InvalidSubjectPrefixError(prefix);
    }
    this.prefix = prefix;
  }

  /** Messages from a chat platform, written by the gateway: `<p>.inbound.<channel>`. */
  inbound(channel: string): string {
    assertSubjectToken('channel', channel);
    return `${this.prefix}.inbound.${channel}`;
  }

  /** Authorized work for one agent, written only by authz: `<p>.run.<agentId>`. */
  run(agentId: string): string {
    assertSubjectToken('agent id', agentId);
    return `${this.prefix}.run.${agentId}`;
  }

  /** Replies to deliver through one channel account: `<p>.outbound.<channel>.<account>`. */
  outbound(channel: string, account: string): string {
    assertSubjectToken('channel', channel);
    assertSubjectToken('account', account);
    return `${this.prefix}.outbound.${channel}.${account}`;
  }

  /** Consumer filter for the replies of every account of one channel: `<p>.outbound.<channel>.*`. */
  outboundForChannel(channel: string): string {
    assertSubjectToken('channel', channel);
    return `${this.prefix}.outbound.${channel}.*`;
  }

  /**
   * Live progress of a run for one channel account (core NATS, not stored — the event store is the record):
   * `<p>.activity.<channel>.<account>`. WebChat shows tool calls as they happen from it.
   */
  activity(channel: string, account: string): string {
    assertSubjectToken('channel', channel);
    assertSubjectToken('account', account);
    return `${this.prefix}.activity.${channel}.${account}`;
  }

  /** Listener filter for the activity of every account of one channel: `<p>.activity.<channel>.*`. */
  activityForChannel(channel: string): string {
    assertSubjectToken('channel', channel);
    return `${this.prefix}.activity.${channel}.*`;
  }

  /** Request/reply: the agent asks authz whether a tool call may run. */
  authzTool(): string {
    return `${this.prefix}.authz.tool`;
  }

  /** Request/reply: the agent asks the sandbox to run an authorized tool call. */
  sandboxExec(agentId: string): string {
    assertSubjectToken('agent id', agentId);
    return `${this.prefix}.sandbox.exec.${agentId}`;
  }

  stream(flow: StreamFlow): StreamDefinition {
    return {
      flow,
      name: `${this.prefix.toUpperCase()}_${flow.toUpperCase()}`,
      subject: `${this.prefix}.${flow}.>`,
    };
  }

  streams(): readonly StreamDefinition[] {
    return STREAM_FLOWS.map((flow) => this.stream(flow));
  }
}
