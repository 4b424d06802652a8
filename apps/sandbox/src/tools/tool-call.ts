// Tool calls in Claude Code's shapes come from #contracts (validated there by `parseToolCall`); what the
// sandbox adds is the recheck of real paths.
import { type PathToolName } from '#contracts';

export type { BashInput, EditInput, GlobInput, GrepInput, ReadInput, ToolCall, ToolName, WriteInput } from '#contracts';

/** Tools whose target path is resolved inside the container and checked against the policy again. */
export type PathTool = PathToolName;

export interface PathDecision {
  decision: 'allow' | 'deny';
  /** The rule that matched, e.g. `Read(/etc/**)`; empty when no rule matched. */
  rule: string;
  reason: string;
}

/** Asks the policy again about the real path (symlinks resolved inside the container) before the tool acts. */
export type RecheckPath = (tool: PathTool, realPath: string) => PathDecision | Promise<PathDecision>;
