import { type PathToolName, type ToolCall } from '#contracts';
import { compilePathPattern, DEFAULT_CWD, DEFAULT_HOME, matchesPath, mayMatchAtOrBelow, normalizePath, type PathContext, type PathPattern } from './paths.js';
import { commandPatternMatches, type CommandText, type HOLE, type PermissionSet, type Rule } from './rules.js';
import { createShellAnalyser, type ShellAnalyser } from './shell-analysis.js';
import { type ShellEffect, type ShellWord } from './shell-effects.js';

export interface Decision {
  decision: 'allow' | 'deny';
  /** The text of the rule that decided, or null when no rule did (no allow matched, or not understood). */
  rule: string | null;
  reason: string;
}

export interface DecisionContext {
  /** Where relative paths start; the sandbox's workspace by default. */
  cwd?: string;
  /** What `~` means; the workspace by default. */
  home?: string;
}

export interface PolicyEngine {
  decide(permissions: PermissionSet, call: ToolCall, context?: DecisionContext): Decision;
  checkPath(permissions: PermissionSet, tool: PathToolName, path: string, context?: DecisionContext): Decision;
}

export interface PolicyEngineOptions {
  /** Defaults for every decision that does not say otherwise. */
  cwd?: string;
  home?: string;
}

/** Which rules judge a file access: Write and Edit share rules; Read rules also cover Glob and Grep. */
const RULE_TOOLS: Record<PathToolName, readonly PathToolName[]> = {
  Read: ['Read'],
  Write: ['Write', 'Edit'],
  Edit: ['Edit', 'Write'],
  Glob: ['Glob', 'Read'],
  Grep: ['Grep', 'Read'],
};

/** Loads the shell parser once; the engine's decisions are synchronous and pure. */
export async function createPolicyEngine(options: PolicyEngineOptions = {}): Promise<PolicyEngine> {
  const analyser = await createShellAnalyser();
  return new RuleEngine(analyser, { cwd: options.cwd ?? DEFAULT_CWD, home: options.home ?? DEFAULT_HOME });
}

class RuleEngine implements PolicyEngine {
  private readonly pathPatterns = new Map<string, PathPattern>();

  constructor(
    private readonly analyser: ShellAnalyser,
    private readonly defaults: PathContext,
  ) {}

  decide(permissions: PermissionSet, call: ToolCall, context?: DecisionContext): Decision {
    switch (call.tool) {
      case 'Bash':
        return this.decideBash(permissions, call.input.command, this.contextOf(context));
      case 'Read':
      case 'Write':
      case 'Edit':
        return this.checkPath(permissions, call.tool, call.input.file_path, context);
      case 'Glob':
        return this.checkPath(permissions, 'Glob', globBase(call.input.pattern, call.input.path), context);
      case 'Grep':
        return this.checkPath(permissions, 'Grep', call.input.path ?? '.', context);
      default: {
        const unknown: never = call;
        return { decision: 'deny', rule: null, reason: `unknown tool ${JSON.stringify(unknown)}` };
      }
    }
  }

  checkPath(permissions: PermissionSet, tool: PathToolName, path: string, context?: DecisionContext): Decision {
    const paths = this.contextOf(context);
    if (path === '' || /\p{Cc}/u.test(path)) return deny(null, `${tool}: the path is empty or contains control characters`);
    const normalized = normalizePath(path, paths);
    // Grep reads every file below its path, so a deny rule for anything down there stops it.
    const denied = this.matchingDenyRule(permissions.deny, RULE_TOOLS[tool], normalized, paths.home, tool === 'Grep');
    if (denied) return deny(denied.text, `${tool} of ${normalized} is denied by ${denied.text}`);
    const allowed = this.matchingPathRule(permissions.allow, RULE_TOOLS[tool], normalized, paths.home);
    if (allowed) return { decision: 'allow', rule: allowed.text, reason: `${tool} of ${normalized} is allowed by ${allowed.text}` };
    return deny(null, `no allow rule covers ${tool} of ${normalized}`);
  }

  private contextOf(context: DecisionContext | undefined): PathContext {
    const home = context?.home ?? this.defaults.home;
    const cwd = context?.cwd ? normalizePath(context.cwd, { cwd: this.defaults.cwd, home }) : this.defaults.cwd;
    return { cwd, home };
  }

  private matchingPathRule(rules: readonly Rule[], tools: readonly PathToolName[], normalizedPath: string, home: string, orBelow = false): Rule | undefined {
    return rules.find((rule) => {
      if (!(tools as readonly string[]).includes(rule.tool)) return false;
      if (rule.specifier === null) return true;
      if (rule.specifier.kind !== 'path') return false;
      const pattern = this.compiledPath(rule.specifier.pattern, home);
      return orBelow ? mayMatchAtOrBelow(pattern, normalizedPath) : matchesPath(pattern, normalizedPath);
    });
  }

  /**
   * Deny rules also see through /proc's links: `/proc/self/root/etc/x` is `/etc/x`, and a path below a process's
   * `cwd` (or another process's root) could be anything, so any deny rule for the tool stops it.
   */
  private matchingDenyRule(rules: readonly Rule[], tools: readonly PathToolName[], normalizedPath: string, home: string, orBelow = false): Rule | undefined {
    const denied = this.matchingPathRule(rules, tools, normalizedPath, home, orBelow);
    if (denied) return denied;
    const link = /^\/proc\/(?:[^/]+\/)*?(root|cwd|fd|map_files)(\/.*)?$/.exec(normalizedPath);
    if (!link) return undefined;
    if (link[1] === 'root' && /^\/proc\/(self|thread-self|\d+)\/root/.test(normalizedPath)) {
      const inner = this.matchingPathRule(rules, tools, link[2] ?? '/', home, orBelow || link[2] === undefined);
      if (inner) return inner;
    }
    if ((link[1] === 'root' && link[2] === undefined && !orBelow) || (link[1] === 'fd' && /^\/[0-2]$/.test(link[2] ?? ''))) return undefined;
    return rules.find((rule) => (tools as readonly string[]).includes(rule.tool));
  }

  private compiledPath(pattern: string, home: string): PathPattern {
    const key = `${home}\u0000${pattern}`;
    let compiled = this.pathPatterns.get(key);
    if (!compiled) {
      // Relative rule paths start at the workspace, whatever directory a single call runs in; `~` is the call's home.
      compiled = compilePathPattern(pattern, { cwd: this.defaults.cwd, home });
      this.pathPatterns.set(key, compiled);
    }
    return compiled;
  }

  private decideBash(permissions: PermissionSet, command: string, context: PathContext): Decision {
    let effects: ShellEffect[];
    try {
      effects = this.analyser.analyse(command, context);
    } catch (error) {
      return deny(null, `not understood, so denied: the command could not be analysed (${error instanceof Error ? error.message : String(error)})`);
    }
    if (effects.length === 0) return deny(null, 'the command runs nothing the policy engine can identify');
    const allowedBy: string[] = [];
    let notUnderstood: Decision | undefined;
    let notAllowed: Decision | undefined;
    for (const effect of effects) {
      const verdict = this.judgeEffect(permissions, effect, context);
      // The most telling deny is reported: a deny rule that matches, then "not understood", then "no allow rule".
      if (verdict.decision === 'deny' && verdict.rule !== null) return verdict;
      if (verdict.decision === 'deny' && effect.kind === 'opaque') notUnderstood ??= verdict;
      else if (verdict.decision === 'deny') notAllowed ??= verdict;
      else if (verdict.rule !== null) allowedBy.push(verdict.rule);
    }
    if (notUnderstood ?? notAllowed) return (notUnderstood ?? notAllowed)!;
    const rules = [...new Set(allowedBy)];
    const commands = effects.filter((e) => e.kind === 'command' && e.scope === 'full').length;
    return {
      decision: 'allow',
      rule: rules[0] ?? null,
      reason: `every part of the command is allowed (${commands} command${commands === 1 ? '' : 's'}; rules: ${rules.join(', ') || 'none needed'})`,
    };
  }

  private judgeEffect(permissions: PermissionSet, effect: ShellEffect, context: PathContext): Decision {
    switch (effect.kind) {
      case 'opaque':
        return deny(null, `not understood, so denied: ${effect.reason}`);
      case 'command':
        return this.judgeCommand(permissions, effect.words, effect.scope);
      case 'path':
        return this.judgeShellPath(permissions, effect, context);
    }
  }

  private judgeCommand(permissions: PermissionSet, words: readonly ShellWord[], scope: 'full' | 'deny-only'): Decision {
    const shown = words.map((w) => w.source).join(' ');
    const forms = denyForms(words);
    for (const rule of permissions.deny) {
      if (rule.tool !== 'Bash') continue;
      if (rule.specifier === null || (rule.specifier.kind === 'command' && forms.some((form) => commandPatternMatches(rule.specifier!.pattern, form)))) {
        return deny(rule.text, `\`${shorten(shown)}\` is denied by ${rule.text}`);
      }
      if (rule.specifier.kind === 'command' && optionsCover(rule.specifier.pattern, words)) {
        return deny(rule.text, `\`${shorten(shown)}\` is denied by ${rule.text} (same options in another spelling)`);
      }
    }
    if (scope === 'deny-only') return { decision: 'allow', rule: null, reason: 'no deny rule matches' };
    const text = allowForm(words);
    const allowed = permissions.allow.find(
      (rule) => rule.tool === 'Bash' && (rule.specifier === null || (rule.specifier.kind === 'command' && commandPatternMatches(rule.specifier.pattern, text))),
    );
    if (allowed) return { decision: 'allow', rule: allowed.text, reason: `\`${shorten(text)}\` is allowed by ${allowed.text}` };
    return deny(null, `no allow rule matches \`${shorten(text)}\``);
  }

  private judgeShellPath(permissions: PermissionSet, effect: Extract<ShellEffect, { kind: 'path' }>, context: PathContext): Decision {
    const tool: PathToolName = effect.access === 'read' ? 'Read' : 'Write';
    if (effect.paths === null) {
      const guard = permissions.deny.find((rule) => (RULE_TOOLS[tool] as readonly string[]).includes(rule.tool));
      if (guard) return deny(guard.text, `${effect.origin}: a file only known at run time might be one ${guard.text} denies`);
      return { decision: 'allow', rule: null, reason: 'no deny rule for this kind of access' };
    }
    let lastAllow: Decision | undefined;
    for (const path of effect.paths) {
      if (effect.origin.startsWith('redirection') && /^\/dev\/(tcp|udp)(\/|$)/.test(path)) {
        return deny(null, `not understood, so denied: ${effect.origin} ${path} opens a network connection`);
      }
      if (effect.scope === 'deny-only') {
        const denied = this.matchingDenyRule(permissions.deny, RULE_TOOLS[tool], path, context.home, effect.below);
        if (denied) return deny(denied.text, `${effect.origin}: ${tool} of ${path} is denied by ${denied.text}`);
        continue;
      }
      const verdict = this.checkPath(permissions, tool, path, context);
      if (verdict.decision === 'deny') return { ...verdict, reason: `${effect.origin}: ${verdict.reason}` };
      lastAllow = verdict;
    }
    return lastAllow ?? { decision: 'allow', rule: null, reason: 'no deny rule matches' };
  }
}

function deny(rule: string | null, reason: string): Decision {
  return { decision: 'deny', rule, reason };
}

function shorten(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * Deny rules see the words as bash will, and also with the program's directory dropped (`/bin/rm` is `rm`).
 * Words known only at run time leave holes; without any, the form is a plain string.
 */
function denyForms(words: readonly ShellWord[]): (string | CommandText)[] {
  const name = words[0]?.value;
  const base = name && name.includes('/') ? name.slice(name.lastIndexOf('/') + 1) : null;
  if (words.every((word) => word.value !== null)) {
    const text = words.map((word) => word.value).join(' ');
    return base === null ? [text] : [text, base + text.slice(name!.length)];
  }
  const joined: (string | typeof HOLE)[] = [];
  words.forEach((word, i) => {
    if (i > 0) joined.push(' ');
    joined.push(...word.parts);
  });
  return base === null ? [joined] : [joined, [...base, ...joined.slice(name!.length)]];
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Allow rules see the words re-quoted, so a quoted argument can never pose as several words or commands. */
function allowForm(words: readonly ShellWord[]): string {
  return words
    .map((word) => {
      if (word.value === null) return word.source;
      return SAFE_WORD.test(word.value) ? word.value : `'${word.value.replace(/'/g, `'\\''`)}'`;
    })
    .join(' ');
}

/** Long options that mean the same as a short one, per command (class G: `rm --recursive --force`). */
const OPTION_ALIASES: Record<string, Record<string, string>> = {
  rm: { '--recursive': '-r', '-R': '-r', '--force': '-f', '--dir': '-d' },
  cp: { '--recursive': '-r', '-R': '-r', '--force': '-f' },
  chmod: { '--recursive': '-R' },
  chown: { '--recursive': '-R' },
  git: { '--force': '-f', '--hard': '--hard' },
};

/**
 * A deny rule `cmd -ab *` also catches `cmd -ba`, `cmd -a -b`, `cmd -a x -b` and long spellings: the options the
 * rule names are a subset of the command's. A word only known at run time could be any option.
 */
function optionsCover(pattern: string, words: readonly ShellWord[]): boolean {
  const parts = pattern.split(' ');
  if (parts.at(-1) === '*') parts.pop();
  const [command, ...options] = parts;
  if (!command || options.length === 0 || !options.every((o) => /^-{1,2}[A-Za-z][\w-]*$/.test(o))) return false;
  const name = words[0]?.value;
  if (!name || (name !== command && name.slice(name.lastIndexOf('/') + 1) !== command)) return false;
  const aliases = OPTION_ALIASES[command] ?? {};
  const expand = (option: string): string[] =>
    option.startsWith('--') ? [aliases[option.split('=')[0]!] ?? option.split('=')[0]!] : [...option.slice(1)].map((c) => aliases[`-${c}`] ?? `-${c}`);
  const wanted = new Set(options.flatMap(expand));
  const present = new Set<string>();
  for (const word of words.slice(1)) {
    if (word.value === null) return true;
    if (word.value === '--') break;
    if (/^-{1,2}[A-Za-z]/.test(word.value)) for (const option of expand(word.value)) present.add(option);
  }
  return [...wanted].every((option) => present.has(option));
}

/** The directory a Glob call can reach: its base path joined with the pattern's literal leading components. */
function globBase(pattern: string, path: string | undefined): string {
  const components = pattern.split('/');
  const literal: string[] = [];
  for (const component of components.slice(0, -1)) {
    if (/[*?[{]/.test(component)) break;
    literal.push(component);
  }
  const prefix = literal.join('/') || (pattern.startsWith('/') ? '/' : '');
  if (prefix.startsWith('/')) return prefix;
  const base = path ?? '.';
  return prefix ? `${base}/${prefix}` : base;
}
