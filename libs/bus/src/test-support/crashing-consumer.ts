// Started by durable-consumer.int.spec.ts as a child process and killed with SIGKILL while its handler
// runs: a real crash, not a simulated one.
import { z } from 'zod';
import { Bus } from '../bus.js';

const [prefix, agentId] = process.argv.slice(2);
if (!prefix || !agentId) throw new Error('usage: crashing-consumer <prefix> <agent id>');

const bus = await Bus.connect({ prefix, name: 'crashing-consumer' });
await bus.consume({
  stream: 'run',
  durable: agentId,
  filterSubject: bus.subjects.run(agentId),
  schema: z.object({ step: z.string() }),
  ackWaitMs: 1_000,
  handler: async (payload, context) => {
    process.stdout.write(`${JSON.stringify({ handling: payload.step, deliveryCount: context.deliveryCount })}\n`);
    await new Promise(() => {});
  },
  onInvalid: () => {},
  onRetriesExhausted: () => {},
});
process.stdout.write('ready\n');
