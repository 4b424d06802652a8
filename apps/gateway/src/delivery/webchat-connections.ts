import { type ServerFrame } from '../websocket/webchat-protocol.js';

/** One signed-in WebChat connection, as the delivery side sees it. */
export interface WebchatConnection {
  readonly userId: string;
  /** Resolves true once the frame was written to the socket, false if the socket is gone or the write failed. */
  send(frame: ServerFrame): Promise<boolean>;
}

type SignInListener = (userId: string) => void;

/** The signed-in WebChat connections of this gateway instance, by user. */
export class WebchatConnections {
  private readonly byUser = new Map<string, Set<WebchatConnection>>();
  private readonly signInListeners = new Set<SignInListener>();

  add(connection: WebchatConnection): void {
    let connections = this.byUser.get(connection.userId);
    if (connections === undefined) {
      connections = new Set();
      this.byUser.set(connection.userId, connections);
    }
    connections.add(connection);
    for (const listener of this.signInListeners) listener(connection.userId);
  }

  remove(connection: WebchatConnection): void {
    const connections = this.byUser.get(connection.userId);
    if (connections === undefined) return;
    connections.delete(connection);
    if (connections.size === 0) this.byUser.delete(connection.userId);
  }

  of(userId: string): readonly WebchatConnection[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  get count(): number {
    let count = 0;
    for (const connections of this.byUser.values()) count += connections.size;
    return count;
  }

  /** Writes the frame to every connection of the user; resolves with the number that took it. */
  async sendToUser(userId: string, frame: ServerFrame): Promise<number> {
    const results = await Promise.all(this.of(userId).map((connection) => connection.send(frame)));
    return results.filter(Boolean).length;
  }

  onSignIn(listener: SignInListener): () => void {
    this.signInListeners.add(listener);
    return () => this.signInListeners.delete(listener);
  }
}
