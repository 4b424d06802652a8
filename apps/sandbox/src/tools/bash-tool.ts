import { type BashInput } from './tool-call.js';
import { type ToolContext, type ToolOutcome } from './tool-context.js';

/** `bash -c COMMAND` in the container's working directory; the input's `timeout` (ms) may only shorten the deadline. */
export async function runBash(context: ToolContext, input: BashInput): Promise<ToolOutcome> {
  const deadlineMs = input.timeout !== undefined && input.timeout > 0 ? Math.min(input.timeout, context.deadlineMs) : context.deadlineMs;
  const { durationMs: _durationMs, ...outcome } = await context.run(['bash', '-c', input.command], { deadlineMs });
  return outcome;
}
