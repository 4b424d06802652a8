import { randomBytes } from 'node:crypto';
import { Bus } from '#bus';

/** A subject/stream prefix no other test file (or run) uses, e.g. `t_consumer_k3x9q2ab`. */
export function uniqueBusPrefix(label = 'test'): string {
  const safeLabel = label.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 12) || 'test';
  return `t_${safeLabel}_${randomBytes(5).toString('hex')}`;
}

/** Deletes the streams of `prefix`, and with them every consumer created under it. */
export async function deleteBusStreams(prefix: string): Promise<void> {
  const bus = await Bus.connect({ prefix, name: `test-cleanup-${prefix}` });
  try {
    await bus.deleteStreams();
  } finally {
    await bus.close();
  }
}
