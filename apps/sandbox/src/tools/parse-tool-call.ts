import { z } from 'zod';
import { type ToolCall } from './tool-call.js';

// Validation of tool inputs that arrive over the bus, with the signature of `parseToolCall` in #contracts
// (branch `policy`) so that one can replace this file when it lands.

const path = z.string().min(1, 'must not be empty');

const inputSchemas = {
  Bash: z.object({ command: z.string().min(1, 'must not be empty'), timeout: z.number().positive().optional() }),
  Read: z.object({ file_path: path, offset: z.number().int().positive().optional(), limit: z.number().int().positive().optional() }),
  Write: z.object({ file_path: path, content: z.string() }),
  Edit: z.object({ file_path: path, old_string: z.string().min(1, 'must not be empty'), new_string: z.string(), replace_all: z.boolean().optional() }),
  Glob: z.object({ pattern: z.string().min(1, 'must not be empty'), path: path.optional() }),
  Grep: z.object({ pattern: z.string().min(1, 'must not be empty'), path: path.optional(), glob: z.string().min(1).optional() }),
} as const;

export type ParsedToolCall = { ok: true; call: ToolCall } | { ok: false; error: string };

function isToolName(tool: string): tool is keyof typeof inputSchemas {
  return Object.hasOwn(inputSchemas, tool);
}

export function parseToolCall(tool: string, input: unknown): ParsedToolCall {
  if (!isToolName(tool)) return { ok: false, error: `unknown tool "${tool}" (known: ${Object.keys(inputSchemas).join(', ')})` };
  const parsed = inputSchemas[tool].safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`);
    return { ok: false, error: `${tool} input: ${problems.join('; ')}` };
  }
  // The schema for `tool` produced this input, so the pair is one of the ToolCall variants.
  return { ok: true, call: { tool, input: parsed.data } as ToolCall };
}
