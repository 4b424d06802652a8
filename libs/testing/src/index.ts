export { cliEntry, fixturePath, repoRoot } from './repo-paths.js';
export { createTestDatabase, type TestDatabase } from './database.js';
export { deleteBusStreams, uniqueBusPrefix } from './nats.js';
