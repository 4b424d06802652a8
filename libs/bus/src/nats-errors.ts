import { ClosedConnectionError, NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';
import type { RequestFailure } from './errors.js';

// The client wraps the same condition differently depending on the call (a TimeoutError, a RequestError
// whose cause is one, …), so the whole cause chain is inspected.
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current = error;
  while (current !== undefined && current !== null && chain.length < 10) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

export function retryableRequestFailure(error: unknown): RequestFailure | undefined {
  const chain = causeChain(error);
  if (chain.some((link) => link instanceof NoRespondersError || (link instanceof RequestError && link.isNoResponders()))) {
    return 'no-responders';
  }
  if (chain.some((link) => link instanceof TimeoutError)) return 'timeout';
  return undefined;
}

export function isClosedConnection(error: unknown): boolean {
  return causeChain(error).some((link) => link instanceof ClosedConnectionError);
}
