// Tool inputs in Claude Code's shapes. Minimal local types until the zod schemas of #contracts
// (`parseToolCall`) land; the `tool` field names the tool so the two can be swapped.

export interface BashInput {
  command: string;
  /** Milliseconds, as Claude Code sends it; capped by the sandbox's own timeout. */
  timeout?: number;
}

export interface ReadInput {
  file_path: string;
  /** First line to return, 1-based. */
  offset?: number;
  /** How many lines to return. */
  limit?: number;
}

export interface WriteInput {
  file_path: string;
  content: string;
}

export interface EditInput {
  file_path: string;
  old_string: string;
  new_string: string;
  replace_all?: boolean;
}

export interface GlobInput {
  pattern: string;
  path?: string;
}

export interface GrepInput {
  pattern: string;
  path?: string;
  glob?: string;
}

export type ToolCall =
  | { tool: 'Bash'; input: BashInput }
  | { tool: 'Read'; input: ReadInput }
  | { tool: 'Write'; input: WriteInput }
  | { tool: 'Edit'; input: EditInput }
  | { tool: 'Glob'; input: GlobInput }
  | { tool: 'Grep'; input: GrepInput };

export type ToolName = ToolCall['tool'];

/** Tools whose target path is resolved inside the container and checked against the policy again. */
export type PathTool = 'Read' | 'Write' | 'Edit' | 'Glob' | 'Grep';

export interface PathDecision {
  decision: 'allow' | 'deny';
  /** The rule that matched, e.g. `Read(/etc/**)`; empty when no rule matched. */
  rule: string;
  reason: string;
}

/** Asks the policy again about the real path (symlinks resolved inside the container) before the tool acts. */
export type RecheckPath = (tool: PathTool, realPath: string) => PathDecision | Promise<PathDecision>;
