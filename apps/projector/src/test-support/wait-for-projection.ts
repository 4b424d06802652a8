import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { type RecordedEvent } from '#contracts';

/**
 * Resolves once the subscription's checkpoint has passed `event`. Transactions of other test databases hold
 * the cluster-wide snapshot back, so an event just appended may take a moment to be safe to read; the
 * test's own timeout bounds the wait.
 */
export async function waitForCheckpointPast(client: pg.Client, subscription: string, event: RecordedEvent): Promise<void> {
  const [eventTx, eventPos] = [BigInt(event.transactionId), BigInt(event.globalPosition)];
  for (;;) {
    const { rows } = await client.query<{ transaction_id: string; global_position: string }>(
      'SELECT transaction_id::text AS transaction_id, global_position::text AS global_position FROM es_checkpoints WHERE subscription = $1',
      [subscription],
    );
    const checkpoint = rows[0];
    if (checkpoint) {
      const [tx, pos] = [BigInt(checkpoint.transaction_id), BigInt(checkpoint.global_position)];
      if (tx > eventTx || (tx === eventTx && pos >= eventPos)) return;
    }
    await sleep(10);
  }
}
