import { loadConfig } from '#config';
import { startAgent } from '../../../apps/agent/src/start-agent.js';

/**
 * The agent service alone in a process of its own, so a test can kill it with SIGKILL mid-run. Configured by
 * the same environment as `clawgate start agent`, plus a short ack wait so the killed run comes back quickly.
 */
const config = loadConfig({ file: process.env.CLAWGATE_CONFIG });
await startAgent({
  config,
  databaseUrl: process.env.DATABASE_URL,
  subjectPrefix: process.env.CLAWGATE_SUBJECT_PREFIX,
  logger: false,
  settings: { runAckWaitMs: Number(process.env.AGENT_RUN_ACK_WAIT_MS ?? 2_000) },
});
process.stdout.write('agent ready\n');
