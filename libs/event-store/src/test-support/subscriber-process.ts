/**
 * A subscriber in a process of its own, for the crash test: it records one effect row per event in the
 * handler's transaction and, on the batch that holds `hangAtPosition`, reports "handled" on stdout and hangs
 * before its checkpoint can commit, waiting to be killed.
 *
 * argv: <databaseUrl> <subscription> <batchSize> <hangAtPosition>
 */
import { EventStore } from '../event-store.js';

const [databaseUrl, subscription, batchSize, hangAtPosition] = process.argv.slice(2);
if (!databaseUrl || !subscription || !batchSize || !hangAtPosition) throw new Error('usage: subscriber-process <url> <name> <batchSize> <hangAtPosition>');

const store = await EventStore.connect({ databaseUrl, applicationName: 'crashing-subscriber' });
store.subscribe(
  subscription,
  async (events, tx) => {
    for (const event of events) {
      await tx.query('INSERT INTO effects (event_id, global_position, handled_by) VALUES ($1, $2, $3)', [event.eventId, event.globalPosition, 'child']);
    }
    if (events.some((event) => event.globalPosition === hangAtPosition)) {
      process.stdout.write(`handled ${events.map((event) => event.globalPosition).join(',')}\n`);
      await new Promise(() => setInterval(() => undefined, 60_000));
    }
  },
  { batchSize: Number(batchSize), pollIntervalMs: 20 },
);
