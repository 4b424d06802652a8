import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { z } from 'zod';
import { TOOL_INPUT_SCHEMAS, TOOL_NAMES } from '#contracts';

const DESCRIPTIONS: Record<(typeof TOOL_NAMES)[number], string> = {
  Bash: 'Run a shell command in the sandbox (working directory /workspace). Subject to the permission rules.',
  Read: 'Read a text file in the sandbox.',
  Write: 'Write (create or replace) a file in the sandbox.',
  Edit: 'Replace text in a file in the sandbox.',
  Glob: 'List files matching a glob pattern.',
  Grep: 'Search file contents with a regular expression.',
};

let cached: ChatCompletionTool[] | undefined;

/** The six tools offered to the model, their parameters generated from the same schemas authz validates with. */
export function toolDefinitions(): ChatCompletionTool[] {
  cached ??= TOOL_NAMES.map((name) => ({
    type: 'function' as const,
    function: { name, description: DESCRIPTIONS[name], parameters: z.toJSONSchema(TOOL_INPUT_SCHEMAS[name]) as Record<string, unknown> },
  }));
  return cached;
}
