import { loadConfig } from '#config';
import { startGateway } from '../../../apps/gateway/src/index.js';

/** The gateway alone in a process of its own, so a test can kill it with SIGKILL between two steps. */
const config = loadConfig({ file: process.env.CLAWGATE_CONFIG });
await startGateway({
  config,
  databaseUrl: process.env.DATABASE_URL,
  subjectPrefix: process.env.CLAWGATE_SUBJECT_PREFIX,
  port: 0,
  logger: false,
});
process.stdout.write('gateway ready\n');
