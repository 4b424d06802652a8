import { type CapturedOutput } from '../exec/captured-output.js';
import { type ToolName } from './tool-call.js';

export type ToolFailureCode =
  /** The setup command of a new container failed; the tool itself did not run. */
  | 'setup_failed'
  /** The real path (symlinks resolved inside the container) is denied by the policy. */
  | 'path_denied'
  /** The file tool could not do what was asked: no such file, not a regular file, no match for Edit, … */
  | 'tool_error';

export interface ToolFailure {
  code: ToolFailureCode;
  message: string;
  /** For path_denied: the rule that matched. */
  rule?: string;
  /** For path tools: the path after resolution inside the container. */
  realPath?: string;
}

export interface ToolCallResult {
  tool: ToolName;
  /** Exit code of the command (Bash) or of the helper that did the work; null when the container was killed. */
  exitCode: number | null;
  stdout: CapturedOutput;
  stderr: CapturedOutput;
  /** The deadline passed and the whole process tree was killed. */
  timedOut: boolean;
  /** The kernel's OOM killer ended a process of this call. */
  oomKilled: boolean;
  durationMs: number;
  containerId: string;
  failure?: ToolFailure;
}
