import { HOLE } from './rules.js';
import { literalWord, type ShellWord } from './shell-effects.js';

/** What knowing a command's meaning can do: judge more commands, paths and shell text, or give up. */
export interface CommandSink {
  /** Records a command to judge; the returned handle lets a wrapper relax its own scope once it knows what it runs. */
  command(words: readonly ShellWord[], scope: 'full' | 'deny-only', origin: string): { scope: 'full' | 'deny-only' };
  path(access: 'read' | 'write', word: ShellWord, scope: 'full' | 'deny-only', origin: string): void;
  opaque(reason: string): void;
  /** Shell text that will itself be run by a shell (`bash -c`, `eval`, `trap`, `git submodule foreach`). */
  shellText(word: ShellWord | null, origin: string): void;
  changeDirectory(word: ShellWord | null): void;
}

const UNKNOWN_WORD: ShellWord = { value: null, parts: [HOLE], source: '…' };

/**
 * Environment variables that make an ordinary command load or run other code, or change which program a name
 * means. Setting one in front of a command, with `env`, `export` or a bare assignment is not understood.
 */
const DANGEROUS_VARIABLE =
  /^(LD_\w*|DYLD_\w*|GIT_\w*|BASH_ENV|ENV|PATH|IFS|PS4|PROMPT_COMMAND|SHELLOPTS|BASHOPTS|BASH_FUNC_\S*|BASH_LOADABLES_PATH|CDPATH|GLOBIGNORE|HOME|PAGER|\w*_PAGER|MANPAGER|EDITOR|VISUAL|\w*_EDITOR|LESSOPEN|LESSCLOSE|NODE_OPTIONS|NODE_PATH|PYTHON\w*|PERL\w*|RUBYOPT|RUBYLIB|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|CLASSPATH|GCONV_PATH|HOSTALIASES|\w*_ASKPASS|BROWSER|TERMINFO|NPM_CONFIG_\w*|YARN_\w*|MAKEFLAGS|MAKE|CC|CXX|LDFLAGS|SSH_\w*|TAR_OPTIONS|GREP_OPTIONS|RIPGREP_CONFIG_PATH|TMPDIR|XDG_CONFIG_HOME|LESS|LESSKEY\w*|LESSSECURE|LV|MORE|SHELL|HISTFILE|BASH_XTRACEFD)$/i;

export function isDangerousVariable(name: string): boolean {
  return DANGEROUS_VARIABLE.test(name);
}

/** git configuration keys whose values are programs, or which change how commands are found. */
const DANGEROUS_GIT_KEY =
  /^(alias\..*|core\.(pager|editor|sshcommand|fsmonitor|hookspath|askpass|gitproxy|attributesfile|excludesfile|worktree)|sequence\.editor|pager\..*|diff\.external|diff\..*\.(textconv|command)|merge\..*\.driver|filter\..*|credential\..*|gpg\..*program|.*\.(command|cmd|helper|program|process|clean|smudge|textconv|driver|hook|tool|path)|include\..*|includeif\..*|init\.templatedir|uploadpack\..*|receive\..*|remote\..*\.(uploadpack|receivepack|proxy)|http\..*|protocol\..*|url\..*|safe\.directory)$/i;

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'yash', 'posh', 'rbash']);

function baseName(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash < 0 ? name : name.slice(slash + 1);
}

/**
 * Judges a simple command by what it means: the command itself, then whatever it runs (wrappers, shells, `eval`,
 * `find -exec`, `xargs`, git's hooks into other programs), the files it reads and writes, and the constructs that
 * make a "read-only" tool execute code. The command name is literal here; the walker rejects anything else.
 */
export function interpretCommand(words: readonly ShellWord[], sink: CommandSink, origin: string, scope: 'full' | 'deny-only' = 'full'): void {
  const name = words[0]?.value;
  if (name === undefined) return;
  if (name === null) return sink.opaque(`the command name ${words[0]!.source} is only known at run time`);
  if (name === '') return sink.opaque('the command name is empty');
  if (/[*?[\]{}~]/.test(name)) return sink.opaque(`the command name "${name}" would be expanded by the shell (glob, brace or tilde expansion)`);
  if (/[\s]/.test(name)) return sink.opaque(`the command name "${name}" contains whitespace`);
  const base = baseName(name);
  const judged = sink.command(words, SHELL_STATE_ONLY.has(name) ? 'deny-only' : scope, origin);
  const handler = COMMANDS.get(base);
  const delegated = handler?.(words.slice(1), sink, origin, base) === true;
  // A transparent wrapper adds nothing of its own, so only the command it runs needs an allow rule.
  if (delegated && TRANSPARENT.has(base)) judged.scope = 'deny-only';
}

/** Builtins whose only effect is on state the engine tracks itself (the directory) or on the exit status. */
const SHELL_STATE_ONLY = new Set(['cd', 'pushd', 'popd', 'true', 'false', ':']);

/** Returns true when it handed the rest of the words (or a string) to another command or shell. */
type Handler = (args: readonly ShellWord[], sink: CommandSink, origin: string, name: string) => boolean | void;

const TRANSPARENT = new Set([
  'unshare', 'nsenter', 'firejail', 'fakeroot', 'torsocks', 'proxychains', 'proxychains4', 'catchsegv', 'valgrind', 'rlwrap', 'faketime', 'systemd-run', 'sg',
  'env', 'nice', 'ionice', 'timeout', 'nohup', 'setsid', 'unbuffer', 'command', 'builtin', 'exec', 'time', 'coproc', 'stdbuf',
  'taskset', 'chrt', 'strace', 'ltrace', 'flock', 'xargs', 'busybox', 'toybox', 'eval', 'watch', 'script', ...SHELLS,
]);

/**
 * Skips options until the wrapped command. `withValue` options take the next word (or an attached value);
 * `stopAtFirst` is true for wrappers whose first positional argument is the command.
 */
function skipOptions(args: readonly ShellWord[], withValue: ReadonlySet<string>, positionalBefore = 0): number | null {
  let i = 0;
  let positional = 0;
  while (i < args.length) {
    const value = args[i]!.value;
    if (value === null) return null;
    if (value === '--') {
      i++;
      break;
    }
    if (value.startsWith('-') && value.length > 1) {
      const flag = value.startsWith('--') ? value.split('=')[0]! : value.slice(0, 2);
      const attached = value.startsWith('--') ? value.includes('=') : value.length > 2;
      i += withValue.has(flag) && !attached ? 2 : 1;
      continue;
    }
    if (positional < positionalBefore) {
      positional++;
      i++;
      continue;
    }
    break;
  }
  while (positional < positionalBefore && i < args.length) {
    positional++;
    i++;
  }
  return i;
}

/** A wrapper that runs the rest of its words as a command: judged itself only against deny rules. */
function wrapper(withValue: string[], positionalBefore = 0): Handler {
  const options = new Set(withValue);
  return (args, sink, origin, name) => {
    const start = skipOptions(args, options, positionalBefore);
    if (start === null) return sink.opaque(`the options of ${name} are only known at run time`);
    if (start >= args.length) return false;
    interpretCommand(args.slice(start), sink, origin);
    return true;
  };
}

function shell(args: readonly ShellWord[], sink: CommandSink, _origin: string, name: string): boolean | void {
  let i = 0;
  let runsString = false;
  while (i < args.length) {
    const value = args[i]!.value;
    if (value === null) return sink.opaque(`the options of ${name} are only known at run time`);
    if (value === '--') {
      i++;
      break;
    }
    if (/^[-+]o$/.test(value) || value === '-O' || value === '+O' || value === '--rcfile' || value === '--init-file') {
      i += 2;
      continue;
    }
    if (/^[-+][A-Za-z]+$/.test(value)) {
      if (value.startsWith('-') && value.includes('c')) runsString = true;
      if (value.startsWith('-') && (value.includes('s') || value.includes('i'))) {
        return sink.opaque(`${name} ${value} runs commands from its input, which the policy cannot see`);
      }
      i++;
      continue;
    }
    if (value.startsWith('--')) {
      i++;
      continue;
    }
    break;
  }
  if (runsString) {
    sink.shellText(args[i] ?? null, `${name} -c`);
    return true;
  }
  const script = args[i];
  if (!script || script.value === '-') return sink.opaque(`${name} without -c or a script runs commands from its input, which the policy cannot see`);
  scriptFile(script, sink, name);
}

function scriptFile(script: ShellWord, sink: CommandSink, name: string): void {
  if (script.value === null) return sink.opaque(`${name} runs a script named only at run time (${script.source})`);
  if (/^\/(dev|proc)\//.test(script.value)) return sink.opaque(`${name} ${script.value} runs commands from a stream the policy cannot see`);
  sink.path('read', script, 'deny-only', name);
}

function evalCommand(args: readonly ShellWord[], sink: CommandSink): boolean | void {
  if (args.some((word) => word.value === null)) return sink.opaque('eval of text that is only known at run time');
  sink.shellText(literalWord(args.map((word) => word.value).join(' ')), 'eval');
  return true;
}

function sudo(withValue: string[]): Handler {
  const options = new Set(withValue);
  return (args, sink, origin, name) => {
    const start = skipOptions(args, options);
    if (start === null) return sink.opaque(`the options of ${name} are only known at run time`);
    let rest = args.slice(start);
    // sudo and doas take VAR=value before the command, like env.
    while (rest[0]?.value && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[0].value)) {
      const variable = rest[0].value.split('=')[0]!;
      if (isDangerousVariable(variable)) return sink.opaque(`${name} sets ${variable}, which can make the command run other code`);
      rest = rest.slice(1);
    }
    if (rest.length === 0) {
      if (args.some((word) => /^-[a-zA-Z]*[si]/.test(word.value ?? ''))) sink.opaque(`${name} opens an interactive shell`);
      return;
    }
    interpretCommand(rest, sink, origin);
  };
}

function su(args: readonly ShellWord[], sink: CommandSink, _origin: string, name: string): void {
  for (let i = 0; i < args.length; i++) {
    const value = args[i]!.value;
    if (value === null) return sink.opaque(`the options of ${name} are only known at run time`);
    if (value === '-c' || value === '--command') return sink.shellText(args[i + 1] ?? null, `${name} -c`);
    if (value.startsWith('--command=')) return sink.shellText(literalWord(value.slice('--command='.length)), `${name} -c`);
  }
  sink.opaque(`${name} without -c opens a shell that reads commands the policy cannot see`);
}

function env(args: readonly ShellWord[], sink: CommandSink, origin: string): boolean | void {
  let i = 0;
  while (i < args.length) {
    const word = args[i]!;
    const value = word.value;
    if (value === null) return sink.opaque('the arguments of env are only known at run time');
    if (value === '--') {
      i++;
      continue;
    }
    if (value === '-S' || value === '--split-string') return sink.shellText(args[i + 1] ?? null, 'env -S');
    if (value.startsWith('--split-string=')) return sink.shellText(literalWord(value.slice(15)), 'env -S');
    if (value.startsWith('-S')) return sink.shellText(literalWord(value.slice(2)), 'env -S');
    if (value === '-u' || value === '-C' || value === '--unset' || value === '--chdir') {
      i += 2;
      continue;
    }
    // A cluster of short options (`-iu X`, `-iS 'cmd'`): `u` and `C` take a value, `S` the rest as shell text.
    if (/^-[A-Za-z0-9]+$/.test(value)) {
      const at = value.slice(1).search(/[uCS]/);
      if (at >= 0) {
        const letter = value[at + 1]!;
        const rest = value.slice(at + 2);
        if (letter === 'S') return sink.shellText(rest ? literalWord(rest) : (args[i + 1] ?? null), 'env -S');
        i += rest ? 1 : 2;
        continue;
      }
    }
    if (value.startsWith('-')) {
      i++;
      continue;
    }
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(value);
    if (assignment) {
      if (isDangerousVariable(assignment[1]!)) return sink.opaque(`env sets ${assignment[1]}, which can make the command run other code`);
      i++;
      continue;
    }
    break;
  }
  if (i >= args.length) return false;
  interpretCommand(args.slice(i), sink, origin);
  return true;
}

function timeout(args: readonly ShellWord[], sink: CommandSink, origin: string): boolean | void {
  const start = skipOptions(args, new Set(['-s', '-k', '--signal', '--kill-after']), 1);
  if (start === null) return sink.opaque('the options of timeout are only known at run time');
  if (start >= args.length) return false;
  interpretCommand(args.slice(start), sink, origin);
  return true;
}

function xargs(args: readonly ShellWord[], sink: CommandSink, origin: string): boolean | void {
  let i = 0;
  while (i < args.length) {
    const value = args[i]!.value;
    if (value === null) return sink.opaque('the options of xargs are only known at run time');
    if (value === '--') {
      i++;
      break;
    }
    if (!value.startsWith('-') || value === '-') break;
    // `-e`, `-i` and `-l` take a value only when it is attached; these take the next word.
    if (/^(-[IaLnPdsE]|--(arg-file|delimiter|max-args|max-procs|max-chars|process-slot-var))$/.test(value)) {
      if (value === '-a' || value === '--arg-file') sink.path('read', args[i + 1] ?? UNKNOWN_WORD, 'deny-only', 'xargs -a');
      i += 2;
      continue;
    }
    if (value.startsWith('--arg-file=')) sink.path('read', literalWord(value.slice('--arg-file='.length)), 'deny-only', 'xargs -a');
    i++;
  }
  // The input supplies more arguments, which the policy cannot see.
  const command = i < args.length ? [...args.slice(i), UNKNOWN_WORD] : [literalWord('echo'), UNKNOWN_WORD];
  interpretCommand(command, sink, origin);
  return true;
}

function find(args: readonly ShellWord[], sink: CommandSink, origin: string): void {
  const starts: ShellWord[] = [];
  let i = 0;
  while (i < args.length && args[i]!.value !== null && !/^[-(!]/.test(args[i]!.value!)) starts.push(args[i++]!);
  for (; i < args.length; i++) {
    const value = args[i]!.value;
    if (value === null) continue;
    if (value === '-exec' || value === '-execdir' || value === '-ok' || value === '-okdir') {
      const inner: ShellWord[] = [];
      let j = i + 1;
      for (; j < args.length && args[j]!.value !== ';' && args[j]!.value !== '+'; j++) {
        inner.push(args[j]!.value === '{}' ? UNKNOWN_WORD : args[j]!);
      }
      if (inner.length === 0) return sink.opaque(`find ${value} without a command`);
      interpretCommand(inner, sink, origin);
      i = j;
    } else if (value === '-delete') {
      interpretCommand([literalWord('rm'), literalWord('-r'), ...(starts.length ? starts : [literalWord('.')])], sink, 'find -delete', 'deny-only');
      for (const start of starts.length ? starts : [literalWord('.')]) sink.path('write', start, 'deny-only', 'find -delete');
    } else if (/^-f(print0?|printf|ls)$/.test(value)) {
      sink.path('write', args[i + 1] ?? UNKNOWN_WORD, 'full', `find ${value}`);
    }
  }
  for (const start of starts) sink.path('read', start, 'deny-only', 'find');
}

/** git subcommands whose `-F`/`--file`/`--template` name a file they read. */
const GIT_MESSAGE_FILE = new Set(['commit', 'tag', 'notes', 'merge']);

function git(args: readonly ShellWord[], sink: CommandSink, origin: string): void {
  let i = 0;
  // `git -C dir` runs in dir: relative paths start there, and git may write the repository there.
  let directory = '';
  for (; i < args.length; i++) {
    const value = args[i]!.value;
    if (value === null) return sink.opaque('the options of git are only known at run time');
    if (value === '-c') {
      const setting = args[i + 1]?.value;
      if (setting === null || setting === undefined) return sink.opaque('git -c with a setting only known at run time');
      if (DANGEROUS_GIT_KEY.test(setting.split('=')[0]!)) return sink.opaque(`git -c ${setting.split('=')[0]} can make git run another program`);
      i++;
    } else if (value === '-C') {
      const target = args[i + 1]?.value;
      if (target === null || target === undefined) return sink.opaque('git -C with a directory only known at run time');
      directory = target.startsWith('/') || directory === '' ? target : `${directory}/${target}`;
      i++;
    } else if (value === '--namespace' || value === '--super-prefix') i++;
    else if (/^--(config-env|exec-path|git-dir|work-tree)/.test(value) || value === '--config-env') {
      return sink.opaque(`git ${value.split('=')[0]} changes which programs or repository git uses`);
    } else if (!value.startsWith('-')) break;
  }
  const inDirectory = (word: ShellWord): ShellWord =>
    directory === '' || word.value === null || word.value.startsWith('/') || word.value.startsWith('~') ? word : literalWord(`${directory}/${word.value}`);
  const writes = (word: ShellWord | undefined, what: string, below = false): void => {
    const target = inDirectory(word ?? UNKNOWN_WORD);
    sink.path('write', below && target.value !== null ? literalWord(`${target.value}/*`) : target, 'deny-only', `git ${what}`);
  };
  if (directory !== '') writes(literalWord('.'), '-C', true);
  const subcommand = args[i]?.value;
  const rest = args.slice(i + 1);
  for (let j = 0; j < rest.length; j++) {
    const value = rest[j]!.value ?? '';
    if (
      /^--(upload-pack|receive-pack|exec|extcmd|tool|open-files-in-pager|smtp-server|sendmail-cmd|to-cmd|cc-cmd|header-cmd|template)(=|$)/.test(value) ||
      (subcommand === 'difftool' && /^-[xt]/.test(value)) ||
      (subcommand === 'mergetool' && /^-t/.test(value)) ||
      (subcommand === 'grep' && /^-O/.test(value)) ||
      ((subcommand === 'clone' || subcommand === 'fetch' || subcommand === 'ls-remote' || subcommand === 'archive') && /^-u/.test(value))
    ) {
      if (!(value.startsWith('--template') && GIT_MESSAGE_FILE.has(subcommand ?? ''))) return sink.opaque(`git ${subcommand} ${value.split('=')[0]} runs another program`);
    }
    // `git clone -c key=value` writes the setting into the new repository, where git then obeys it.
    if (subcommand === 'clone' && (value === '-c' || value === '--config' || value.startsWith('--config=') || (value.startsWith('-c') && value.length > 2))) {
      const setting = value === '-c' || value === '--config' ? rest[j + 1]?.value : value.startsWith('--config=') ? value.slice('--config='.length) : value.slice(2);
      if (setting === null || setting === undefined || DANGEROUS_GIT_KEY.test(setting.split('=')[0]!)) return sink.opaque('git clone --config of a setting that can make git run another program');
    }
    if (subcommand === 'config' && value === '--system') writes(literalWord('/etc/gitconfig'), 'config --system');
    if (subcommand === 'config' && value === '--global') writes(literalWord('~/.gitconfig'), 'config --global');
    if (subcommand === 'config' && (value === '-f' || value === '--file')) writes(rest[j + 1], 'config --file');
    else if (subcommand === 'config' && value.startsWith('--file=')) writes(literalWord(value.slice('--file='.length)), 'config --file');
    if (/^--output=/.test(value)) writes(literalWord(value.slice('--output='.length)), `${subcommand} --output`);
    else if (value === '--output') writes(rest[j + 1], `${subcommand} --output`);
    else if (/^--output-directory=/.test(value)) writes(literalWord(value.slice('--output-directory='.length)), `${subcommand} --output-directory`, true);
    else if (value === '--output-directory') writes(rest[j + 1], `${subcommand} --output-directory`, true);
    else if (value === '-o' && (subcommand === 'format-patch' || subcommand === 'archive')) writes(rest[j + 1], `${subcommand} -o`, subcommand === 'format-patch');
    else if (/^--prefix=/.test(value) && subcommand === 'checkout-index') writes(literalWord(value.slice('--prefix='.length)), 'checkout-index --prefix', true);
    else if (/^--file=/.test(value) && subcommand === 'credential-store') writes(literalWord(value.slice('--file='.length)), `${subcommand} --file`);
    else if (/^(-F|--file|--template)$/.test(value) && GIT_MESSAGE_FILE.has(subcommand ?? '')) sink.path('read', inDirectory(rest[j + 1] ?? UNKNOWN_WORD), 'deny-only', `git ${subcommand} ${value}`);
    else if (/^--(template|file)=/.test(value) && GIT_MESSAGE_FILE.has(subcommand ?? '')) {
      sink.path('read', inDirectory(literalWord(value.slice(value.indexOf('=') + 1))), 'deny-only', `git ${subcommand} ${value.split('=')[0]}`);
    }
  }
  const operands = positionals(rest);
  if (subcommand === 'init') writes(operands[0] ?? literalWord('.'), 'init', true);
  if (subcommand === 'clone') {
    const source = operands[0]?.value ?? '';
    if (/^ext::/i.test(source) || /^ext::/i.test(operands[0]?.source ?? '')) return sink.opaque('git clone of an ext:: URL runs a command');
    writes(operands[1] ?? literalWord(`./${source.replace(/\/+$/, '').split(/[/:]/).pop() ?? ''}`), 'clone', true);
  }
  if (subcommand === 'worktree' && operands[0]?.value === 'add') writes(operands[1], 'worktree add', true);
  if (subcommand === 'bundle' && operands[0]?.value === 'create') writes(operands[1], 'bundle create');
  if (subcommand === 'config' && rest.some((word) => word.value === null || DANGEROUS_GIT_KEY.test(word.value))) {
    return sink.opaque('git config of a setting that can make git run another program');
  }
  if (subcommand === 'filter-branch' || subcommand === 'filter-repo') return sink.opaque(`git ${subcommand} runs filters and callbacks the policy cannot judge`);
  const foreach = rest.findIndex((word) => word.value === 'foreach');
  if (subcommand === 'submodule' && foreach >= 0 && rest.slice(0, foreach).every((word) => word.value?.startsWith('-'))) {
    const command = rest.slice(foreach + 1).filter((word) => word.value !== '--recursive' && word.value !== '-q' && word.value !== '--quiet');
    if (command.some((word) => word.value === null)) return sink.opaque('git submodule foreach with a command only known at run time');
    return sink.shellText(literalWord(command.map((word) => word.value).join(' ')), 'git submodule foreach');
  }
  if (subcommand === 'rebase') {
    for (let j = 0; j < rest.length; j++) {
      const value = rest[j]!.value ?? '';
      if (value === '-x' || value === '--exec') sink.shellText(rest[j + 1] ?? null, 'git rebase --exec');
      else if (value.startsWith('--exec=')) sink.shellText(literalWord(value.slice(7)), 'git rebase --exec');
      else if (/^-x./.test(value)) sink.shellText(literalWord(value.slice(2)), 'git rebase -x');
      else if (rest[j]!.value === null) sink.opaque('git rebase with an option only known at run time');
    }
  }
  if (subcommand === 'bisect' && rest[0]?.value === 'run' && rest.length > 1) interpretCommand(rest.slice(1), sink, origin);
}

/** sed commands that run programs (`e`, `s///e`) or write files (`w`, `W`, `s///w`). */
function sedScriptRuns(script: string): boolean {
  // `{` and `}` group commands (`1{e id⏎}`): each group starts a command of its own.
  for (const raw of script.split(/[;\n{}]/)) {
    const command = raw.replace(/^[\s\d,$!~+]*(\/(?:\\.|[^/])*\/[IM]*)?[\s,\d$!~+]*(\/(?:\\.|[^/])*\/[IM]*)?[\s!]*/, '');
    const letter = command[0];
    if (letter === 'e' || letter === 'w' || letter === 'W') return true;
    if (letter === 's' && command.length > 1) {
      const delimiter = command[1]!;
      let seen = 0;
      let j = 2;
      for (; j < command.length && seen < 2; j++) {
        if (command[j] === '\\') j++;
        else if (command[j] === delimiter) seen++;
      }
      if (/[ew]/.test(command.slice(j).split(/\s/)[0] ?? '')) return true;
    }
  }
  return false;
}

function sed(args: readonly ShellWord[], sink: CommandSink): void {
  const scripts: (string | null)[] = [];
  const files: ShellWord[] = [];
  let inPlace = false;
  for (let i = 0; i < args.length; i++) {
    const value = args[i]!.value;
    if (value === null) {
      files.push(args[i]!);
      continue;
    }
    if (value === '-e' || value === '--expression') scripts.push(args[++i]?.value ?? null);
    else if (value.startsWith('--expression=')) scripts.push(value.slice(13));
    else if (value === '-f' || value.startsWith('--file')) return sink.opaque('sed -f runs a script file the policy cannot see');
    else if (value === '-i' || value.startsWith('-i') || value.startsWith('--in-place')) inPlace = true;
    else if (/^-[a-zA-Z]+$/.test(value)) {
      if (value.includes('i')) inPlace = true;
      if (value.endsWith('e')) scripts.push(args[++i]?.value ?? null);
      if (value.includes('f')) return sink.opaque('sed -f runs a script file the policy cannot see');
    } else if (value.startsWith('-') && value !== '-') continue;
    else files.push(args[i]!);
  }
  if (scripts.length === 0) {
    const first = files.shift();
    scripts.push(first ? first.value : null);
  }
  if (scripts.some((script) => script === null)) return sink.opaque('a sed script only known at run time');
  if (scripts.some((script) => sedScriptRuns(script!))) return sink.opaque('the sed script runs a program or writes a file (e, w, W)');
  for (const file of files) sink.path(inPlace ? 'write' : 'read', file, 'deny-only', 'sed');
}

function awk(args: readonly ShellWord[], sink: CommandSink, _origin: string, name: string): void {
  let i = 0;
  for (; i < args.length; i++) {
    const value = args[i]!.value;
    if (value === null) break;
    if (value === '-f' || value.startsWith('--file') || value.startsWith('-f')) return sink.opaque(`${name} -f runs a program file the policy cannot see`);
    if (/^(-[ilE]|--(include|load|exec))/.test(value)) return sink.opaque(`${name} ${value} loads a program file or extension the policy cannot see`);
    if (value === '-v' || value === '-F') i++;
    else if (value === '--') {
      i++;
      break;
    } else if (!value.startsWith('-')) break;
  }
  const program = args[i]?.value;
  if (program === null || program === undefined) return sink.opaque(`an ${name} program only known at run time`);
  if (/system|getline|[|>]|ENVIRON|@load/.test(program)) {
    return sink.opaque(`the ${name} program may run commands or write files (system, getline, |, >)`);
  }
  for (const file of args.slice(i + 1)) if (!/^\w+=/.test(file.value ?? '')) sink.path('read', file, 'deny-only', name);
}

function ripgrep(args: readonly ShellWord[], sink: CommandSink): void {
  if (args.some((word) => word.value === null ? false : /^--pre(=|$)/.test(word.value))) return sink.opaque('rg --pre runs a program on every file');
  if (args.some((word) => word.value === null ? false : /^--(search-zip)$|^-[a-zA-Z]*z/.test(word.value))) return sink.opaque('rg -z runs decompression programs');
  readerWithPattern(args, sink, 'rg');
}

/** grep-like tools: the first positional is the pattern unless -e/-f gives it; recursive ones read whole trees. */
function readerWithPattern(args: readonly ShellWord[], sink: CommandSink, name: string): void {
  const positional = positionals(args);
  const hasPatternOption = args.some((word) => /^(-e|-f|--regexp|--file)/.test(word.value ?? ''));
  const recursive = name === 'rg' || args.some((word) => /^(-[a-zA-Z]*[rR][a-zA-Z]*|--recursive|--dereference-recursive|--directories=recurse)$/.test(word.value ?? ''));
  const files = hasPatternOption ? positional : positional.slice(1);
  if (recursive && files.length === 0) files.push(literalWord('.'));
  for (const file of files) {
    // A tree is read below the named directory: `/*` makes it a glob over everything there.
    sink.path('read', recursive && file.value !== null ? literalWord(`${file.value}/*`) : file, 'deny-only', name);
  }
}

function sort(args: readonly ShellWord[], sink: CommandSink): void {
  for (let i = 0; i < args.length; i++) {
    const value = args[i]!.value ?? '';
    // GNU options may be abbreviated: `--comp=x` is `--compress-program=x`.
    if (value.startsWith('--comp')) return sink.opaque('sort --compress-program runs another program');
    if (value === '-o' || value === '--output') sink.path('write', args[i + 1] ?? UNKNOWN_WORD, 'full', 'sort -o');
    else if (value.startsWith('--output=')) sink.path('write', literalWord(value.slice(9)), 'full', 'sort -o');
    else if (/^-o./.test(value)) sink.path('write', literalWord(value.slice(2)), 'full', 'sort -o');
  }
  for (const file of positionals(args)) sink.path('read', file, 'deny-only', 'sort');
}

function tar(args: readonly ShellWord[], sink: CommandSink, origin: string): void {
  // GNU long options may be abbreviated (`--to-c=`, `--use-comp=`, `--checkpoint-a=`), and -I may carry its program.
  if (args.some((word) => /^(--to-c|--use-c|--checkpoint-a|--info-s|--new-v|--rsh-c|--rmt-c|-[A-Za-z]*[IF])/.test(word.value ?? ''))) {
    return sink.opaque('tar runs another program (--to-command, -I, --checkpoint-action, …)');
  }
  // Extraction writes below the -C directory, or below the working directory without one.
  writesThrough('tar', [], ['-C', '--directory'])(args, sink, origin, 'tar');
  const extracts = args.some((word, i) => /^(--extract|--get)$/.test(word.value ?? '') || (/^-?[A-Za-z]*x/.test(word.value ?? '') && (i === 0 || word.value!.startsWith('-')) && !(word.value ?? '').startsWith('--')));
  if (extracts && !args.some((word) => /^(-C|--directory)/.test(word.value ?? ''))) sink.path('write', literalWord('./*'), 'deny-only', 'tar -x');
  const creates = args.some((word, i) => /^--(create|append|update|concatenate|catenate)$/.test(word.value ?? '') || (/^-?[A-Za-z]*[cruA]/.test(word.value ?? '') && (i === 0 || word.value!.startsWith('-')) && !(word.value ?? '').startsWith('--')));
  if (creates) {
    const archives = tarArchives(args);
    for (const archive of archives) sink.path('write', archive, 'deny-only', 'tar -c');
    // What goes into the archive is read, whole trees included; `-T list` names members only known at run time.
    const oldStyle = args[0]?.value !== null && !(args[0]?.value ?? '-').startsWith('-') ? args[0] : undefined;
    for (const member of positionals(args)) if (member !== oldStyle && !archives.some((a) => a === member || a.value === member.value)) readTree(member, sink, 'tar -c');
  }
  if (args.some((word) => /^(-T|--files-from)/.test(word.value ?? ''))) sink.path('read', UNKNOWN_WORD, 'deny-only', 'tar -T');
}

/** The archive a tar command names: `-f X`, `-cfX`, `--file=X`, `--file X`, or old-style `cf X`. */
function tarArchives(args: readonly ShellWord[]): ShellWord[] {
  const out: ShellWord[] = [];
  for (let i = 0; i < args.length; i++) {
    const value = args[i]!.value;
    if (value === null) continue;
    if (value.startsWith('--file=')) out.push(literalWord(value.slice('--file='.length)));
    else if (value === '--file') out.push(args[i + 1] ?? UNKNOWN_WORD);
    else if (/^-[A-Za-z]*f/.test(value) && !value.startsWith('--')) {
      const rest = value.slice(value.indexOf('f') + 1);
      out.push(rest ? literalWord(rest) : (args[i + 1] ?? UNKNOWN_WORD));
    } else if (i === 0 && /^[A-Za-z]*f[A-Za-z]*$/.test(value)) out.push(args[1] ?? UNKNOWN_WORD);
  }
  return out;
}

function positionals(args: readonly ShellWord[]): ShellWord[] {
  const out: ShellWord[] = [];
  let options = true;
  for (const word of args) {
    if (options && word.value === '--') options = false;
    else if (options && word.value !== null && word.value.startsWith('-') && word.value !== '-') continue;
    else out.push(word);
  }
  return out;
}

function reader(name: string): Handler {
  return (args, sink) => {
    for (const file of positionals(args)) if (file.value !== '-') sink.path('read', file, 'deny-only', name);
  };
}

function writer(name: string, skipFirst = 0): Handler {
  return (args, sink) => {
    for (const file of positionals(args).slice(skipFirst)) sink.path('write', file, 'deny-only', name);
  };
}

/** Copies read every source and write the last argument (or the `-t` directory). */
function copier(name: string, sourcesAreWritten: boolean): Handler {
  return (args, sink) => {
    const files = positionals(args);
    const option = args.findIndex((word) => word.value === '-t' || word.value === '--target-directory' || (word.value ?? '').startsWith('--target-directory='));
    let target: ShellWord | undefined;
    if (option >= 0) {
      const value = args[option]!.value!;
      target = value.includes('=') ? literalWord(value.slice(value.indexOf('=') + 1)) : args[option + 1];
      if (target && files.includes(target)) files.splice(files.indexOf(target), 1);
    } else target = files.pop();
    for (const file of files) sink.path(sourcesAreWritten ? 'write' : 'read', file, 'deny-only', name);
    // Moving a file, or copying a directory, makes what it holds readable elsewhere: the sources are reads too.
    const recursive = sourcesAreWritten || args.some((word) => /^-[A-Za-z]*[rRa][A-Za-z]*$/.test(word.value ?? '') || /^--(recursive|archive)$/.test(word.value ?? ''));
    if (recursive) for (const file of files) readTree(file, sink, name);
    // A program copied or linked under another name (`cp /bin/rm x; ./x`) is still that program: deny rules about it
    // apply to the copy itself.
    for (const file of files) if (file.value !== null) sink.command([file], 'deny-only', `${name} of a program`);
    if (!target) return;
    sink.path('write', target, 'deny-only', name);
    // When the target is a directory, each source lands inside it.
    for (const file of files) {
      const base = file.value === null ? null : file.value.replace(/\/+$/, '').split('/').pop();
      if (target.value === null || base === null) sink.path('write', UNKNOWN_WORD, 'deny-only', name);
      else if (base) sink.path('write', literalWord(`${target.value}/${base}`), 'deny-only', name);
    }
  };
}

/** Options that name a file the command writes, or (`directories`) a directory it writes anything below. */
function writesThrough(name: string, files: string[], directories: string[] = []): Handler {
  const write = (word: ShellWord | undefined, option: string, sink: CommandSink) => {
    const target = word ?? UNKNOWN_WORD;
    const below = directories.includes(option) && target.value !== null ? literalWord(`${target.value}/*`) : target;
    sink.path('write', below, 'deny-only', `${name} ${option}`);
  };
  return (args, sink) => {
    for (let i = 0; i < args.length; i++) {
      const value = args[i]!.value ?? '';
      for (const option of [...files, ...directories]) {
        if (value === option) write(args[i + 1], option, sink);
        else if (option.startsWith('--') && value.startsWith(`${option}=`)) write(literalWord(value.slice(option.length + 1)), option, sink);
        else if (!option.startsWith('--') && value.startsWith(option) && value.length > option.length && !value.startsWith('--')) {
          write(literalWord(value.slice(option.length)), option, sink);
        }
      }
    }
  };
}

function dd(args: readonly ShellWord[], sink: CommandSink): void {
  for (const word of args) {
    const value = word.value ?? '';
    if (value.startsWith('if=')) sink.path('read', literalWord(value.slice(3)), 'deny-only', 'dd');
    if (value.startsWith('of=')) sink.path('write', literalWord(value.slice(3)), 'deny-only', 'dd');
    if (word.value === null) sink.path('write', UNKNOWN_WORD, 'deny-only', 'dd');
  }
}

function source(args: readonly ShellWord[], sink: CommandSink, _origin: string, name: string): void {
  const script = positionals(args)[0];
  if (!script) return sink.opaque(`${name} without a file`);
  scriptFile(script, sink, name);
}

function cd(args: readonly ShellWord[], sink: CommandSink): void {
  const target = positionals(args)[0];
  sink.changeDirectory(target ?? literalWord('~'));
}

/** Builtins that evaluate an array subscript in a variable name, which can run a command substitution. */
function subscriptEvaluator(args: readonly ShellWord[], sink: CommandSink, _origin: string, name: string): void {
  // `read 'a[x]'` evaluates x as arithmetic, and x may hold `b[$(cmd)]`: only literal numeric subscripts are safe.
  const names = name === 'printf' ? args.filter((_, i) => args[i - 1]?.value === '-v') : args;
  if (
    args.some((word) => (word.value === null ? /\[/.test(word.source) : /\[.*[$`]/.test(word.value))) ||
    names.some((word) => word.value !== null && /^-?[A-Za-z_]\w*\[(?!(\d+|[@*])\]$)/.test(word.value.replace(/^-[a-z]*v/, '')))
  ) {
    sink.opaque(`${name} with an array subscript that may run a command`);
  }
}

/** `test -v name` and `[ -v name ]` evaluate a subscript in name. */
function testCommand(args: readonly ShellWord[], sink: CommandSink, origin: string, name: string): void {
  if (args.some((word) => word.value === null || word.value === '-v' || word.value === '-R')) subscriptEvaluator(args.filter((word) => !/^-[vR]$/.test(word.value ?? '')), sink, origin, name);
}

/** Builtins that call back into shell code: `mapfile -C`, `compgen -C/-F`. */
function callback(flags: RegExp): Handler {
  return (args, sink, origin, name) => {
    if (args.some((word) => word.value === null || flags.test(word.value))) return sink.opaque(`${name} runs a callback command the policy cannot judge`);
    subscriptEvaluator(args, sink, origin, name);
  };
}

/** Files curl and wget send: `-T f`, `-d @f`, `-F x=@f`, `--data-binary @f`, `file://` URLs, `--post-file=f`. */
function uploads(args: readonly ShellWord[], sink: CommandSink, name: string): void {
  for (let i = 0; i < args.length; i++) {
    const value = args[i]!.value;
    if (value === null) continue;
    const next = args[i + 1]?.value;
    if (/^(-T|--upload-file|--post-file|--body-file)$/.test(value)) sink.path('read', args[i + 1] ?? UNKNOWN_WORD, 'deny-only', `${name} ${value}`);
    else if (/^--(upload-file|post-file|body-file)=/.test(value)) sink.path('read', literalWord(value.slice(value.indexOf('=') + 1)), 'deny-only', `${name} upload`);
    else if (/^-T./.test(value)) sink.path('read', literalWord(value.slice(2)), 'deny-only', `${name} -T`);
    if (/^(-d|--data|--data-binary|--data-raw|--data-urlencode|-F|--form|--json)$/.test(value) && next) {
      const file = /(^|=)[@<](.+)$/.exec(next);
      if (file && value !== '--data-raw') sink.path('read', literalWord(file[2]!), 'deny-only', `${name} ${value}`);
    } else if (next === null && /^(-d|--data|--data-binary|-F|--form)$/.test(value)) sink.path('read', UNKNOWN_WORD, 'deny-only', `${name} ${value}`);
    const url = /^file:\/\/[^/]*(\/.*)$/i.exec(value);
    if (url) sink.path('read', literalWord(decodeUrlPath(url[1]!)), 'deny-only', `${name} file://`);
  }
}

function decodeUrlPath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** A file or a whole directory tree is read: the name itself and everything below it. */
function readTree(file: ShellWord, sink: CommandSink, name: string): void {
  sink.path('read', file, 'deny-only', name);
  if (file.value !== null && file.value !== '-') sink.path('read', literalWord(`${file.value.replace(/\/+$/, '') || '/'}/*`), 'deny-only', name);
}

/** `zip archive files…`: writes the archive, reads the files (and, with -r, everything below them). */
function zip(args: readonly ShellWord[], sink: CommandSink): void {
  const [archive, ...members] = positionals(args);
  if (archive) sink.path('write', archive, 'deny-only', 'zip');
  for (const member of members) readTree(member, sink, 'zip');
  if (args.some((word) => /^(-[A-Za-z]*@|--names-stdin)$/.test(word.value ?? ''))) sink.path('read', UNKNOWN_WORD, 'deny-only', 'zip -@');
}

/** ssh-family options that run a local program: `-o ProxyCommand=…`, `-S prog` (scp), `-e`/`--rsh` (rsync). */
function remoteShell(args: readonly ShellWord[], sink: CommandSink, origin: string, name: string): void {
  for (let i = 0; i < args.length; i++) {
    const value = args[i]!.value;
    const next = args[i + 1]?.value;
    if (value === null) return sink.opaque(`the options of ${name} are only known at run time`);
    const option = value === '-o' ? next : value.startsWith('-o') ? value.slice(2) : undefined;
    if (option === null || (option !== undefined && /^\s*(ProxyCommand|LocalCommand|PermitLocalCommand|KnownHostsCommand|Match)/i.test(option))) {
      return sink.opaque(`${name} -o ${option ?? '…'} runs a local command`);
    }
    if ((name === 'scp' || name === 'sftp') && /^-S/.test(value)) return sink.opaque(`${name} -S runs another program`);
    if (name === 'rsync' && /^(-e|--rsh|--rsync-path)/.test(value)) return sink.opaque(`rsync ${value.split('=')[0]} runs another program`);
    if (name === 'rsync' && /^-[A-Za-z]*e/.test(value) && !value.startsWith('--')) return sink.opaque('rsync -e runs another program');
  }
  if (name === 'rsync' || name === 'scp') copier(name, false)(args, sink, origin, name);
}

/** Package runners run the command they are given (`npx rm x`, `npm exec -- rm x`, `npm exec -c 'rm x'`). */
function packageRunner(skip: number): Handler {
  return (args, sink, origin, name) => {
    const rest = args.slice(skip);
    for (let i = 0; i < rest.length; i++) {
      const value = rest[i]!.value;
      if (value === null) return sink.opaque(`the arguments of ${name} are only known at run time`);
      if (value === '-c' || value === '--call') return sink.shellText(rest[i + 1] ?? null, `${name} -c`);
      if (value.startsWith('--call=')) return sink.shellText(literalWord(value.slice('--call='.length)), `${name} -c`);
      if (value === '--') {
        if (i + 1 < rest.length) interpretCommand(rest.slice(i + 1), sink, origin);
        return true;
      }
      if (/^(-p|--package|-w|--workspace|--prefix|--registry|--cache|--userconfig)$/.test(value)) i++;
      else if (!value.startsWith('-')) {
        interpretCommand(rest.slice(i), sink, origin);
        return true;
      }
    }
    return false;
  };
}

/** `npm exec`/`npm x`, `pnpm exec`/`dlx`, `yarn exec`/`dlx`: the subcommand runs a command; other subcommands run the package's own scripts. */
function packageManager(runs: readonly string[]): Handler {
  return (args, sink, origin, name) => {
    const index = args.findIndex((word) => word.value === null || !(word.value ?? '').startsWith('-'));
    const subcommand = args[index]?.value;
    if (index < 0 || subcommand === undefined) return false;
    if (subcommand === null) return sink.opaque(`the subcommand of ${name} is only known at run time`);
    if (runs.includes(subcommand)) return packageRunner(index + 1)(args, sink, origin, name);
    return false;
  };
}

/** A wrapper that also writes a log file of its own (`time -o f`, `strace -o f`). */
function withOutput(withValue: string[], output: Handler): Handler {
  const options = new Set(withValue);
  const run = wrapper(withValue);
  return (args, sink, origin, name) => {
    const start = skipOptions(args, options);
    output(start === null ? args : args.slice(0, start), sink, origin, name);
    return run(args, sink, origin, name);
  };
}

/** `history -w/-a/-r/-n file` writes or reads the file. */
function history(args: readonly ShellWord[], sink: CommandSink): void {
  const flags = args.filter((word) => /^-[A-Za-z]+$/.test(word.value ?? '')).map((word) => word.value).join('');
  const file = positionals(args)[0];
  if (/[wa]/.test(flags)) sink.path('write', file ?? UNKNOWN_WORD, 'full', 'history -w');
  if (/[rn]/.test(flags)) sink.path('read', file ?? UNKNOWN_WORD, 'deny-only', 'history -r');
  if (args.some((word) => word.value === null)) sink.opaque('history with arguments only known at run time');
}

/** `perl -i` edits the files it names in place. */
function perl(args: readonly ShellWord[], sink: CommandSink): void {
  if (!args.some((word) => /^-[A-Za-z]*i/.test(word.value ?? ''))) return;
  for (let i = 0; i < args.length; i++) {
    const value = args[i]!.value;
    if (value !== null && /^-[A-Za-z]*[eE]$/.test(value)) i++;
    else if (value === null || !value.startsWith('-')) sink.path('write', args[i]!, 'deny-only', 'perl -i');
  }
}

/** A command whose output file is its n-th positional argument (`uniq in out`, `xxd -r in out`). */
function outputAt(name: string, index: number): Handler {
  return (args, sink) => {
    const files = positionals(args);
    files.forEach((file, i) => sink.path(i === index ? 'write' : 'read', file, 'deny-only', name));
  };
}

const COMMANDS = new Map<string, Handler>([
  ['sudo', sudo(['-u', '-g', '-h', '-p', '-C', '-D', '-r', '-t', '-U', '-T', '-R', '--user', '--group', '--host', '--prompt', '--chdir', '--role', '--type', '--other-user', '--close-from', '--command-timeout', '--chroot'])],
  ['doas', sudo(['-u', '-C'])],
  ['su', su],
  ['runuser', su],
  ['env', env],
  ['nice', wrapper(['-n', '--adjustment'])],
  ['ionice', wrapper(['-c', '-n', '-p', '-P', '-u', '--class', '--classdata'])],
  ['timeout', timeout],
  ['nohup', wrapper([])],
  ['setsid', wrapper([])],
  ['unbuffer', wrapper([])],
  ['command', wrapper([])],
  ['builtin', wrapper([])],
  ['exec', wrapper(['-a'])],
  ['time', withOutput(['-f', '-o', '--format', '--output'], writesThrough('time', ['-o', '--output']))],
  ['coproc', wrapper([])],
  ['stdbuf', wrapper(['-i', '-o', '-e', '--input', '--output', '--error'])],
  ['taskset', wrapper([], 1)],
  ['chrt', wrapper([], 1)],
  ['chroot', wrapper(['--userspec', '--groups'], 1)],
  ['strace', withOutput(['-o', '-e', '-p', '-u', '-s', '-a', '-b', '-E', '-I', '-O', '-P', '-S', '-X'], writesThrough('strace', ['-o']))],
  ['ltrace', withOutput(['-o', '-e', '-p', '-u', '-s', '-a', '-n'], writesThrough('ltrace', ['-o']))],
  ['flock', (args, sink, origin) => {
    const index = args.findIndex((word) => word.value === '-c' || word.value === '--command');
    if (index < 0) return wrapper(['-w', '--timeout', '-E', '--conflict-exit-code'], 1)(args, sink, origin, 'flock');
    sink.shellText(args[index + 1] ?? null, 'flock -c');
    return true;
  }],
  ['watch', (args, sink) => {
    const start = skipOptions(args, new Set(['-n', '-d', '--interval', '--differences']));
    if (start === null || args.slice(start).some((word) => word.value === null)) return sink.opaque('watch runs a command only known at run time');
    if (start >= args.length) return false;
    sink.shellText(literalWord(args.slice(start).map((word) => word.value).join(' ')), 'watch');
    return true;
  }],
  ['script', (args, sink) => {
    // The typescript file is the positional argument left after the -c command.
    const command = args.findIndex((word) => word.value === '--command' || /^-[a-zA-Z]*c$/.test(word.value ?? ''));
    const files = positionals(args.filter((_, i) => i !== command + 1 || command < 0)).filter((word) => !/^-/.test(word.value ?? ''));
    sink.path('write', files[0] ?? literalWord('typescript'), 'deny-only', 'script');
    const attached = args.find((word) => (word.value ?? '').startsWith('--command='));
    if (attached) {
      sink.shellText(literalWord(attached.value!.slice('--command='.length)), 'script -c');
      return true;
    }
    const index = args.findIndex((word) => word.value === '--command' || /^-[a-zA-Z]*c$/.test(word.value ?? ''));
    if (index < 0) return false;
    sink.shellText(args[index + 1] ?? null, 'script -c');
    return true;
  }],
  ['fc', (_args, sink) => sink.opaque('fc runs commands from the history, which the policy cannot see')],
  ['toybox', (args, sink, origin) => {
    if (args.length === 0) return false;
    interpretCommand(args, sink, origin);
    return true;
  }],
  ['busybox', (args, sink, origin) => {
    if (args.length === 0) return false;
    interpretCommand(args, sink, origin);
    return true;
  }],
  ['xargs', xargs],
  ['find', find],
  ['eval', (args, sink) => evalCommand(args, sink)],
  ['trap', (args, sink) => {
    const action = positionals(args)[0];
    if (action && positionals(args).length > 1) sink.shellText(action, 'trap');
  }],
  ['alias', (_args, sink) => sink.opaque('alias changes what later command names mean')],
  ['hash', (args, sink) => {
    if (args.some((word) => word.value === null || word.value.startsWith('-p'))) sink.opaque('hash -p changes which program a command name runs');
  }],
  ['enable', (args, sink) => {
    if (args.some((word) => word.value === null || /^-[a-z]*f/.test(word.value))) sink.opaque('enable -f loads a builtin from a shared library');
  }],
  ['let', (_args, sink) => sink.opaque('let evaluates arithmetic, which can run commands through array subscripts')],
  ['read', subscriptEvaluator],
  ['printf', subscriptEvaluator],
  ['mapfile', callback(/^-[A-Za-z]*C/)],
  ['readarray', callback(/^-[A-Za-z]*C/)],
  ['compgen', callback(/^-[A-Za-z]*[CF]/)],
  ['getopts', subscriptEvaluator],
  ['wait', subscriptEvaluator],
  ['test', testCommand],
  ['[', testCommand],
  ['sudoedit', (args, sink, origin) => {
    // sudoedit is `sudo -e`: rules about sudo apply to it.
    sink.command([literalWord('sudo'), literalWord('-e'), ...args], 'deny-only', origin);
  }],
  ['pkexec', sudo(['-u', '--user'])],
  ['unshare', wrapper(['-S', '-G', '-R', '-w', '--setuid', '--setgid', '--root', '--wd', '--propagation', '--setgroups'])],
  ['nsenter', wrapper(['-t', '-S', '-G', '-r', '-w', '--target', '--setuid', '--setgid', '--root', '--wd'])],
  ['firejail', wrapper([])],
  ['fakeroot', wrapper(['-l', '-s', '-i', '--lib', '--faked'])],
  ['torsocks', wrapper(['-u', '-p', '-a', '-P'])],
  ['proxychains', wrapper(['-f'])],
  ['proxychains4', wrapper(['-f'])],
  ['catchsegv', wrapper([])],
  ['valgrind', wrapper([])],
  ['rlwrap', wrapper(['-a', '-b', '-C', '-D', '-e', '-f', '-F', '-g', '-H', '-l', '-o', '-O', '-p', '-P', '-q', '-s', '-S', '-t', '-w', '-z'])],
  ['faketime', wrapper(['-f'], 1)],
  ['systemd-run', wrapper(['-p', '-u', '-E', '-M', '-H', '--unit', '--property', '--setenv', '--description', '--slice', '--uid', '--gid', '--working-directory', '--nice', '--machine', '--host'])],
  ['sg', (args, sink) => {
    const index = args.findIndex((word) => word.value === '-c');
    const text = index >= 0 ? args[index + 1] : positionals(args)[1];
    if (text) sink.shellText(text, 'sg');
    else sink.opaque('sg without a command opens a shell that reads commands the policy cannot see');
    return true;
  }],
  ['at', (_args, sink) => sink.opaque('at runs commands it reads from its input, which the policy cannot see')],
  ['batch', (_args, sink) => sink.opaque('batch runs commands it reads from its input, which the policy cannot see')],
  ['parallel', (_args, sink) => sink.opaque('parallel builds commands the policy cannot see')],
  ['perl', perl],
  ['ssh', remoteShell],
  ['scp', remoteShell],
  ['sftp', remoteShell],
  ['rsync', remoteShell],
  ['npx', packageRunner(0)],
  ['bunx', packageRunner(0)],
  ['pnpx', packageRunner(0)],
  ['npm', packageManager(['exec', 'x'])],
  ['pnpm', packageManager(['exec', 'dlx'])],
  ['yarn', packageManager(['exec', 'dlx'])],
  ['history', history],
  ['man', (args, sink) => {
    if (args.some((word) => word.value === null || /^(-[A-Za-z]*[PH]|--pager|--html)/.test(word.value))) sink.opaque('man -P runs another program as its pager');
  }],
  ['zip', (args, sink) => {
    if (args.some((word) => /^(-TT|--unzip-command)/.test(word.value ?? ''))) return sink.opaque('zip -TT runs another program');
    zip(args, sink);
  }],
  ['mkfifo', writer('mkfifo')],
  ['mknod', writer('mknod')],
  ['split', writer('split')],
  ['csplit', writer('csplit')],
  ['patch', writer('patch')],
  ['setfacl', writer('setfacl')],
  ['chattr', writer('chattr')],
  ['sqlite3', writer('sqlite3')],
  ...['gzip', 'gunzip', 'bzip2', 'bunzip2', 'xz', 'unxz', 'zstd', 'unzstd', 'lzma', 'compress'].map((name): [string, Handler] => [name, writer(name)]),
  ['uniq', outputAt('uniq', 1)],
  ['xxd', outputAt('xxd', 1)],
  ['source', source],
  ['.', source],
  ['cd', cd],
  ['pushd', cd],
  ['git', git],
  ['sed', sed],
  ['gsed', sed],
  ['awk', awk],
  ['gawk', awk],
  ['mawk', awk],
  ['nawk', awk],
  ['rg', ripgrep],
  ['grep', (args, sink) => readerWithPattern(args, sink, 'grep')],
  ['egrep', (args, sink) => readerWithPattern(args, sink, 'egrep')],
  ['fgrep', (args, sink) => readerWithPattern(args, sink, 'fgrep')],
  ['sort', sort],
  ['tar', tar],
  ['dd', dd],
  ['tee', writer('tee')],
  ['touch', writer('touch')],
  ['mkdir', writer('mkdir')],
  ['rmdir', writer('rmdir')],
  ['rm', writer('rm')],
  ['unlink', writer('unlink')],
  ['shred', writer('shred')],
  ['truncate', writer('truncate')],
  ['chmod', writer('chmod', 1)],
  ['chown', writer('chown', 1)],
  ['chgrp', writer('chgrp', 1)],
  ['cp', copier('cp', false)],
  ['install', copier('install', false)],
  ['ln', copier('ln', false)],
  ['mv', copier('mv', true)],
  ['unzip', writesThrough('unzip', [], ['-d'])],
  ['openssl', writesThrough('openssl', ['-out'])],
  ...[
    'rev', 'fold', 'fmt', 'pr', 'expand', 'unexpand', 'column', 'join', 'look', 'iconv', 'jq', 'yq', 'base32', 'basenc', 'zcat', 'zless', 'zmore', 'bzcat', 'xzcat',
    'zstdcat', 'lzcat', 'view', 'ex', 'ed', 'emacs', 'diff3', 'sdiff', 'tsort', 'shuf', 'ptx', 'sum', 'cksum', 'b2sum', 'sha224sum', 'sha384sum', 'gpg',
  ].map((name): [string, Handler] => [name, reader(name)]),
  ['ag', (args, sink) => readerWithPattern([literalWord('-r'), ...args], sink, 'ag')],
  ['ack', (args, sink) => readerWithPattern([literalWord('-r'), ...args], sink, 'ack')],
  ['curl', (args, sink, origin, name) => {
    uploads(args, sink, name);
    return writesThrough('curl', ['-o', '--output'], ['--output-dir'])(args, sink, origin, name);
  }],
  ['wget', (args, sink, origin, name) => {
    uploads(args, sink, name);
    return writesThrough('wget', ['-O', '--output-document'], ['-P', '--directory-prefix'])(args, sink, origin, name);
  }],
  ...['cat', 'tac', 'head', 'tail', 'less', 'more', 'nl', 'od', 'hexdump', 'strings', 'wc', 'cut', 'paste', 'md5sum', 'sha1sum', 'sha256sum', 'sha512sum', 'base64', 'file', 'stat', 'diff', 'cmp', 'comm', 'vi', 'vim', 'nano'].map(
    (name): [string, Handler] => [name, reader(name)],
  ),
  ...[...SHELLS].map((name): [string, Handler] => [name, shell]),
]);
