import { type ExecOutcome } from '../exec/run-exec.js';
import { type RecheckPath } from './tool-call.js';
import { type ToolFailure } from './tool-result.js';

export interface RunOptions {
  stdin?: Buffer;
  /** Defaults to the call's deadline. */
  deadlineMs?: number;
  /** Defaults to the call's output limit; file tools raise it to read whole files. */
  outputLimit?: number;
}

/** What a tool needs from its container: run argv inside it, ask the policy again. */
export interface ToolContext {
  run(cmd: string[], options?: RunOptions): Promise<ExecOutcome>;
  recheckPath: RecheckPath;
  deadlineMs: number;
  outputLimit: number;
}

/** What a tool reports; the runtime adds the container, the duration and OOM detection. */
export type ToolOutcome = Omit<ExecOutcome, 'durationMs'> & { failure?: ToolFailure };
