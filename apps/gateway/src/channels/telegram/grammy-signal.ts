import { type Api } from 'grammy';

type GrammyAbortSignal = Parameters<Api['getMe']>[0];

/**
 * grammY's Node build types its signals with the `abort-controller` package's declarations, which TypeScript
 * does not accept for Node's own `AbortSignal`; at run time grammY hands the signal to Node's fetch unchanged.
 */
export function grammySignal(signal: AbortSignal): GrammyAbortSignal {
  return signal as unknown as GrammyAbortSignal;
}
