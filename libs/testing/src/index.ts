export { cliEntry, fixturePath, repoRoot } from './repo-paths.js';
export { createTestDatabase, type TestDatabase } from './database.js';
export { deleteBusStreams, uniqueBusPrefix } from './nats.js';
export { ScriptedLlm, type ScriptedTurn, type RecordedLlmRequest, type ChatCompletionRequestBody, type ScriptedLlmOptions } from './scripted-llm.js';
export { eventually } from './eventually.js';
export { unusedPort } from './ports.js';
