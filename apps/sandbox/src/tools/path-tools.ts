import { capturedText } from '../exec/captured-output.js';
import { type ExecOutcome } from '../exec/run-exec.js';
import { type EditInput, type GlobInput, type GrepInput, type PathTool, type ReadInput, type WriteInput } from './tool-call.js';
import { type ToolContext, type ToolOutcome } from './tool-context.js';
import { type ToolFailure } from './tool-result.js';

const DEFAULT_READ_LIMIT_LINES = 2000;
/** Whole files read for Edit may be this large; the 30,000-character cap is for what the model sees. */
const EDIT_MAX_BYTES = 8 * 1024 * 1024;

// Scripts run as `bash -c SCRIPT clawgate-<tool> ARG…`: every input arrives as an argument or on stdin,
// never inside the script text.

/**
 * Opens the checked path on fd 3, then makes sure the file opened is the one that was checked — a symlink
 * swapped in between resolving and opening is caught here — and that it is a regular file.
 */
const OPEN_CHECKED = `
p=$1
exec 3<"$p" || exit 66
[ "$(readlink /proc/self/fd/3)" = "$p" ] || { echo "clawgate: $p changed after it was checked" >&2; exit 65; }
[ -f /proc/self/fd/3 ] || { echo "clawgate: $p is not a regular file" >&2; exit 66; }
`;

const READ_SCRIPT = `${OPEN_CHECKED}
tail -n "+$2" <&3 | head -n "$3"`;

const READ_WHOLE_SCRIPT = `${OPEN_CHECKED}
cat <&3`;

/** Creates the file if needed without truncating it, checks what was opened, then rewrites it through the fd. */
const WRITE_SCRIPT = `
p=$1
mkdir -p -- "$(dirname -- "$p")" || exit 66
exec 3<>"$p" || exit 66
[ "$(readlink /proc/self/fd/3)" = "$p" ] || { echo "clawgate: $p changed after it was checked" >&2; exit 65; }
[ -f /proc/self/fd/3 ] || { echo "clawgate: $p is not a regular file" >&2; exit 66; }
cat >/proc/self/fd/3`;

const GLOB_SCRIPT = `
cd -- "$1" || exit 66
shopt -s globstar nullglob
IFS=
case $2 in /*) prefix= ;; *) prefix="$PWD/" ;; esac
for f in $2; do printf '%s\\n' "$prefix$f"; done`;

type Resolved = { realPath: string } | { outcome: ToolOutcome };

/** `realpath -m` inside the container (symlinks followed, missing parts allowed), then the policy again. */
async function resolveAndRecheck(context: ToolContext, tool: PathTool, requestedPath: string): Promise<Resolved> {
  const resolved = await context.run(['realpath', '-m', '--', requestedPath]);
  if (resolved.exitCode !== 0 || resolved.timedOut) {
    return { outcome: failedWith(resolved, { code: 'tool_error', message: `cannot resolve ${requestedPath}: ${resolved.stderr.text.trim() || 'realpath failed'}` }) };
  }
  const realPath = resolved.stdout.text.replace(/\n$/, '');
  const decision = await context.recheckPath(tool, realPath);
  if (decision.decision === 'allow') return { realPath };
  const via = realPath === requestedPath ? '' : ` (${requestedPath} resolves to it)`;
  return {
    outcome: emptyOutcome({
      code: 'path_denied',
      message: `${tool} of ${realPath}${via} is denied${decision.rule ? ` by ${decision.rule}` : ''}: ${decision.reason}`,
      rule: decision.rule,
      realPath,
    }),
  };
}

export async function readFile(context: ToolContext, input: ReadInput): Promise<ToolOutcome> {
  const resolved = await resolveAndRecheck(context, 'Read', input.file_path);
  if ('outcome' in resolved) return resolved.outcome;
  const offset = Math.max(1, Math.floor(input.offset ?? 1));
  const limit = Math.max(1, Math.floor(input.limit ?? DEFAULT_READ_LIMIT_LINES));
  // Line numbers make the output longer than the file: read up to the cap's worth, number, then cap.
  const read = await context.run(['bash', '-c', READ_SCRIPT, 'clawgate-read', resolved.realPath, String(offset), String(limit)], { outputLimit: context.outputLimit });
  if (read.exitCode !== 0 || read.timedOut) return failedWith(read, fileToolFailure(read, resolved.realPath));
  const lines = read.stdout.text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const numbered = lines.map((line, index) => `${String(offset + index).padStart(6)}\t${line}`).join('\n');
  const stdout = capturedText(numbered, context.outputLimit);
  return { ...read, stdout: { ...stdout, bytes: read.stdout.bytes, truncated: read.stdout.truncated || stdout.truncated } };
}

export async function writeFile(context: ToolContext, input: WriteInput): Promise<ToolOutcome> {
  const resolved = await resolveAndRecheck(context, 'Write', input.file_path);
  if ('outcome' in resolved) return resolved.outcome;
  return writeChecked(context, resolved.realPath, input.content);
}

export async function editFile(context: ToolContext, input: EditInput): Promise<ToolOutcome> {
  const resolved = await resolveAndRecheck(context, 'Edit', input.file_path);
  if ('outcome' in resolved) return resolved.outcome;
  const read = await context.run(['bash', '-c', READ_WHOLE_SCRIPT, 'clawgate-edit', resolved.realPath], { outputLimit: EDIT_MAX_BYTES });
  if (read.exitCode !== 0 || read.timedOut) return failedWith(read, fileToolFailure(read, resolved.realPath));
  if (read.stdout.truncated) {
    return emptyOutcome({ code: 'tool_error', message: `${resolved.realPath} is larger than ${EDIT_MAX_BYTES} bytes; Edit refuses it`, realPath: resolved.realPath });
  }
  const before = read.stdout.text;
  const occurrences = input.old_string === '' ? 0 : before.split(input.old_string).length - 1;
  if (occurrences === 0) {
    return emptyOutcome({ code: 'tool_error', message: `old_string was not found in ${resolved.realPath}`, realPath: resolved.realPath });
  }
  if (occurrences > 1 && !input.replace_all) {
    return emptyOutcome({
      code: 'tool_error',
      message: `old_string occurs ${occurrences} times in ${resolved.realPath}: give more context or set replace_all`,
      realPath: resolved.realPath,
    });
  }
  const after = input.replace_all ? before.split(input.old_string).join(input.new_string) : before.replace(input.old_string, () => input.new_string);
  const written = await writeChecked(context, resolved.realPath, after);
  if (written.failure) return written;
  return { ...written, stdout: capturedText(`edited ${resolved.realPath}: ${input.replace_all ? occurrences : 1} replacement(s)\n`, context.outputLimit) };
}

export async function globFiles(context: ToolContext, input: GlobInput, workingDir: string): Promise<ToolOutcome> {
  const resolved = await resolveAndRecheck(context, 'Glob', input.path ?? workingDir);
  if ('outcome' in resolved) return resolved.outcome;
  const listed = await context.run(['bash', '-c', GLOB_SCRIPT, 'clawgate-glob', resolved.realPath, input.pattern]);
  if (listed.exitCode !== 0 || listed.timedOut) return failedWith(listed, fileToolFailure(listed, resolved.realPath));
  return listed;
}

/**
 * `grep -rIE` with Claude Code's Grep options: `output_mode` (default `files_with_matches`), `-i`, `-n`,
 * `-A`/`-B`/`-C` (content mode), `glob` and `type` (as `--include=*.<type>`), `head_limit`. `multiline` needs
 * ripgrep and is refused.
 */
export async function grepFiles(context: ToolContext, input: GrepInput, workingDir: string): Promise<ToolOutcome> {
  if (input.multiline) return emptyOutcome({ code: 'tool_error', message: 'Grep multiline is not supported by the sandbox (grep, not ripgrep)' });
  const resolved = await resolveAndRecheck(context, 'Grep', input.path ?? workingDir);
  if ('outcome' in resolved) return resolved.outcome;
  const mode = input.output_mode ?? 'files_with_matches';
  const flags = ['-rIE'];
  if (input['-i']) flags.push('-i');
  if (mode === 'files_with_matches') flags.push('-l');
  if (mode === 'count') flags.push('-c');
  if (mode === 'content') {
    if (input['-n']) flags.push('-n');
    if (input['-A'] !== undefined) flags.push(`-A${input['-A']}`);
    if (input['-B'] !== undefined) flags.push(`-B${input['-B']}`);
    if (input['-C'] !== undefined) flags.push(`-C${input['-C']}`);
  }
  if (input.glob) flags.push(`--include=${input.glob}`);
  if (input.type) flags.push(`--include=*.${input.type}`);
  // -r (not -R): symlinks below the root are not followed, so the recheck of the root covers what is searched.
  const ran = await context.run(['grep', ...flags, '-e', input.pattern, '--', resolved.realPath]);
  // grep exits 1 when nothing matched: an answer, not a failure.
  const found = ran.exitCode === 1 && !ran.timedOut ? { ...ran, exitCode: 0 } : ran;
  if (found.exitCode !== 0 || found.timedOut) {
    return failedWith(found, { code: 'tool_error', message: found.stderr.text.trim() || `grep exited with ${found.exitCode}`, realPath: resolved.realPath });
  }
  let lines = found.stdout.text.split('\n').filter((line) => line !== '');
  if (mode === 'count') lines = lines.filter((line) => !line.endsWith(':0'));
  if (input.head_limit !== undefined) lines = lines.slice(0, input.head_limit);
  const stdout = capturedText(lines.length > 0 ? `${lines.join('\n')}\n` : '', context.outputLimit);
  return { ...found, stdout: { ...stdout, bytes: found.stdout.bytes, length: found.stdout.length, truncated: found.stdout.truncated || stdout.truncated } };
}

async function writeChecked(context: ToolContext, realPath: string, content: string): Promise<ToolOutcome> {
  const body = Buffer.from(content, 'utf8');
  const written = await context.run(['bash', '-c', WRITE_SCRIPT, 'clawgate-write', realPath], { stdin: body });
  if (written.exitCode !== 0 || written.timedOut) return failedWith(written, fileToolFailure(written, realPath));
  return { ...written, stdout: capturedText(`wrote ${body.length} bytes to ${realPath}\n`, context.outputLimit) };
}

function fileToolFailure(outcome: ExecOutcome, realPath: string): ToolFailure {
  if (outcome.timedOut) return { code: 'tool_error', message: `${realPath}: the deadline passed`, realPath };
  const said = outcome.stderr.text.trim().split('\n').filter(Boolean).at(-1) ?? `exit code ${outcome.exitCode}`;
  return { code: 'tool_error', message: said.replace(/^([\w-]+: line \d+: |clawgate: )/, ''), realPath };
}

function failedWith(outcome: ExecOutcome, failure: ToolFailure): ToolOutcome {
  const { durationMs: _durationMs, ...rest } = outcome;
  return { ...rest, failure };
}

function emptyOutcome(failure: ToolFailure): ToolOutcome {
  const empty = capturedText('', 0);
  return { exitCode: null, stdout: empty, stderr: empty, timedOut: false, failure };
}
