import { z } from 'zod';

/**
 * The tools an assistant may call, with Claude-Code-like input shapes. These schemas are the contract between the
 * model's tool calls, the policy engine and the sandbox: a call that does not fit is rejected before any decision.
 */
export const TOOL_NAMES = ['Bash', 'Read', 'Write', 'Edit', 'Glob', 'Grep'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** Tools whose input names a file or directory; their rules take path patterns. */
export const PATH_TOOL_NAMES = ['Read', 'Write', 'Edit', 'Glob', 'Grep'] as const;
export type PathToolName = (typeof PATH_TOOL_NAMES)[number];

const filePath = z.string().min(1, 'must not be empty').max(4096);

export const BashInputSchema = z.strictObject({
  command: z.string().min(1, 'must not be empty').max(1_000_000),
  /** Milliseconds, as in Claude Code (at most ten minutes). */
  timeout: z.number().int().positive().max(600_000).optional(),
  description: z.string().max(1000).optional(),
});
export type BashInput = z.infer<typeof BashInputSchema>;

export const ReadInputSchema = z.strictObject({
  file_path: filePath,
  offset: z.number().int().nonnegative().optional(),
  limit: z.number().int().positive().optional(),
});
export type ReadInput = z.infer<typeof ReadInputSchema>;

export const WriteInputSchema = z.strictObject({
  file_path: filePath,
  content: z.string(),
});
export type WriteInput = z.infer<typeof WriteInputSchema>;

export const EditInputSchema = z.strictObject({
  file_path: filePath,
  old_string: z.string(),
  new_string: z.string(),
  replace_all: z.boolean().optional(),
});
export type EditInput = z.infer<typeof EditInputSchema>;

export const GlobInputSchema = z.strictObject({
  pattern: z.string().min(1, 'must not be empty').max(4096),
  path: filePath.optional(),
});
export type GlobInput = z.infer<typeof GlobInputSchema>;

export const GrepInputSchema = z.strictObject({
  pattern: z.string().min(1, 'must not be empty').max(4096),
  path: filePath.optional(),
  glob: z.string().max(4096).optional(),
  type: z.string().max(64).optional(),
  output_mode: z.enum(['content', 'files_with_matches', 'count']).optional(),
  '-i': z.boolean().optional(),
  '-n': z.boolean().optional(),
  '-A': z.number().int().nonnegative().optional(),
  '-B': z.number().int().nonnegative().optional(),
  '-C': z.number().int().nonnegative().optional(),
  multiline: z.boolean().optional(),
  head_limit: z.number().int().positive().optional(),
});
export type GrepInput = z.infer<typeof GrepInputSchema>;

export const TOOL_INPUT_SCHEMAS = {
  Bash: BashInputSchema,
  Read: ReadInputSchema,
  Write: WriteInputSchema,
  Edit: EditInputSchema,
  Glob: GlobInputSchema,
  Grep: GrepInputSchema,
} as const satisfies Record<ToolName, z.ZodType>;

export type ToolCall =
  | { tool: 'Bash'; input: BashInput }
  | { tool: 'Read'; input: ReadInput }
  | { tool: 'Write'; input: WriteInput }
  | { tool: 'Edit'; input: EditInput }
  | { tool: 'Glob'; input: GlobInput }
  | { tool: 'Grep'; input: GrepInput };

export type ToolCallParseResult = { ok: true; call: ToolCall } | { ok: false; error: string };

export function isToolName(name: string): name is ToolName {
  return (TOOL_NAMES as readonly string[]).includes(name);
}

/** Validates a tool call as the model sent it. The error is one line naming the tool and the bad field. */
export function parseToolCall(tool: string, input: unknown): ToolCallParseResult {
  if (!isToolName(tool)) return { ok: false, error: `unknown tool "${oneLine(tool)}": expected one of ${TOOL_NAMES.join(', ')}` };
  const result = TOOL_INPUT_SCHEMAS[tool].safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue && issue.path.length > 0 ? `${tool}.${issue.path.map(String).join('.')}` : `${tool} input`;
    return { ok: false, error: `${field}: ${oneLine(issue?.message ?? 'is invalid')}` };
  }
  // The schema for `tool` produced `result.data`, so the pair is a valid member of the union.
  return { ok: true, call: { tool, input: result.data } as ToolCall };
}

/**
 * Reads the short form people type on the command line: `Bash(git log --oneline -10)`, `Write(/etc/hosts)`,
 * `Read(/x)`, `Glob(**\/*.ts)`, `Grep(pattern)`. For Bash the command is everything between the first `(` and the
 * last `)`, so commands may contain parentheses. Path tools take the path; Write gets empty content.
 */
export function parseToolCallText(text: string): ToolCallParseResult {
  const trimmed = text.trim();
  const open = trimmed.indexOf('(');
  if (open < 0) return { ok: false, error: `"${oneLine(trimmed)}" is not a tool call: write Tool(argument), e.g. Bash(git status)` };
  if (!trimmed.endsWith(')')) return { ok: false, error: `"${oneLine(trimmed)}" is missing the closing ")"` };
  const tool = trimmed.slice(0, open);
  const argument = trimmed.slice(open + 1, -1);
  switch (tool) {
    case 'Bash':
      return parseToolCall(tool, { command: argument });
    case 'Read':
      return parseToolCall(tool, { file_path: argument });
    case 'Write':
      return parseToolCall(tool, { file_path: argument, content: '' });
    case 'Edit':
      return parseToolCall(tool, { file_path: argument, old_string: '', new_string: '' });
    case 'Glob':
    case 'Grep':
      return parseToolCall(tool, { pattern: argument });
    default:
      return parseToolCall(tool, {});
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ');
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat;
}
