import { type OutboundReply } from '#contracts';

/** `POST /api/messages` requests waiting for the reply to the message they published, by message id. */
export class ReplyWaiters {
  private readonly waiting = new Map<string, (reply: OutboundReply) => void>();

  /**
   * Registers before the message is published, so a fast reply cannot be missed. `settled` resolves with the
   * reply, or with undefined when `cancel()` is called (timeout, client gone, shutdown).
   */
  register(messageId: string): { readonly settled: Promise<OutboundReply | undefined>; cancel(): void } {
    let finish: (reply: OutboundReply | undefined) => void = () => undefined;
    const settled = new Promise<OutboundReply | undefined>((resolve) => {
      finish = resolve;
    });
    const take = (reply: OutboundReply) => {
      this.waiting.delete(messageId);
      finish(reply);
    };
    this.waiting.set(messageId, take);
    return {
      settled,
      cancel: () => {
        if (this.waiting.get(messageId) === take) this.waiting.delete(messageId);
        finish(undefined);
      },
    };
  }

  /** Hands the reply to the request waiting for it; false if none is. */
  deliver(reply: OutboundReply): boolean {
    const take = this.waiting.get(reply.inReplyTo);
    if (take === undefined) return false;
    take(reply);
    return true;
  }

  get count(): number {
    return this.waiting.size;
  }
}
