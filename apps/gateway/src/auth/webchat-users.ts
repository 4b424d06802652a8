import { type ResolvedConfig } from '#config';
import { digestOf, SecretDigest } from './secret-digest.js';

export interface WebchatUser {
  readonly id: string;
  readonly name: string | undefined;
}

interface KnownUser extends WebchatUser {
  readonly token: SecretDigest;
}

/**
 * The WebChat users of `channels.webchat.users.<id>` and their tokens. Signing in only says who someone is:
 * whether they may talk to an agent is decided downstream by authz, with the same allowlists as every channel.
 */
export class WebchatUsers {
  private readonly users: readonly KnownUser[];

  constructor(config: ResolvedConfig) {
    const webchat = config.raw.channels?.webchat;
    const enabled = webchat !== undefined && webchat.enabled !== false;
    this.users = enabled
      ? Object.entries(webchat.users ?? {}).map(([id, user]) => ({ id, name: user.name, token: new SecretDigest(user.token) }))
      : [];
  }

  get size(): number {
    return this.users.length;
  }

  /** The user whose token this is. Every user's token is compared, so the time taken says nothing about which. */
  authenticate(presented: string): WebchatUser | undefined {
    // The presented token is hashed once, not once per user: with many users that hashing was most of the cost.
    const digest = digestOf(presented);
    let found: KnownUser | undefined;
    for (const user of this.users) {
      if (user.token.matchesDigest(digest) && found === undefined) found = user;
    }
    return found === undefined ? undefined : { id: found.id, name: found.name };
  }
}
