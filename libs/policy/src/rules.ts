import { isToolName, TOOL_NAMES, type ToolName } from '#contracts';

/**
 * What a rule's parentheses hold: a command pattern for Bash, a path pattern for the file tools. `null` means the
 * rule covers every call of its tool (`Bash`, `Bash(*)`, `Read`, `Read(**)`).
 */
export type RuleSpecifier = { kind: 'command'; pattern: string } | { kind: 'path'; pattern: string };

export interface Rule {
  /** The rule as written in the configuration; decisions quote it. */
  text: string;
  tool: ToolName;
  specifier: RuleSpecifier | null;
}

export interface PermissionSet {
  allow: Rule[];
  deny: Rule[];
}

/** A rule the engine cannot interpret. Config loading turns it into a problem, so no rule is silently inert. */
export class RuleSyntaxError extends Error {
  readonly code = 'RULE_SYNTAX';
  override readonly name = 'RuleSyntaxError';
}

const MAX_RULE_LENGTH = 1000;
const FORBIDDEN_CHARACTERS = /\p{Cc}|\p{Cf}|\p{Zl}|\p{Zp}/u;

/** Parses `Tool` or `Tool(specifier)`; throws {@link RuleSyntaxError} with a message a person can act on. */
export function parseRule(text: string): Rule {
  const shown = JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
  const rule = text.trim();
  if (rule === '') throw new RuleSyntaxError('a rule must not be empty: write Tool or Tool(specifier), e.g. "Bash(git *)"');
  if (rule.length > MAX_RULE_LENGTH) throw new RuleSyntaxError(`rule ${shown} is longer than ${MAX_RULE_LENGTH} characters`);
  if (FORBIDDEN_CHARACTERS.test(rule)) throw new RuleSyntaxError(`rule ${shown} contains control or invisible characters`);
  const open = rule.indexOf('(');
  const name = open < 0 ? rule : rule.slice(0, open);
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
    throw new RuleSyntaxError(`rule ${shown} does not start with a tool name: write Tool or Tool(specifier), e.g. "Bash(git *)"`);
  }
  if (!isToolName(name)) {
    const suggestion = TOOL_NAMES.find((tool) => tool.toLowerCase() === name.toLowerCase());
    throw new RuleSyntaxError(
      `rule ${shown} names unknown tool "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}: tools are ${TOOL_NAMES.join(', ')}`,
    );
  }
  if (open < 0) return { text, tool: name, specifier: null };
  if (!rule.endsWith(')')) throw new RuleSyntaxError(`rule ${shown} is missing the closing ")" after "${name}("`);
  const body = rule.slice(open + 1, -1).trim();
  if (body === '') throw new RuleSyntaxError(`rule ${shown} has empty parentheses: write "${name}" to cover every call, or put a pattern inside "()"`);
  return { text, tool: name, specifier: name === 'Bash' ? commandSpecifier(body, shown) : pathSpecifier(body, shown) };
}

function commandSpecifier(body: string, shown: string): RuleSpecifier | null {
  // A trailing `:*` is the older spelling of a trailing ` *` (`npm run test:*`).
  const pattern = body.endsWith(':*') ? `${body.slice(0, -2)} *` : body;
  if (/^\*+$/.test(pattern.replace(/\s+/g, ''))) return null;
  if (/^\s|\s$/.test(pattern) || /\s{2,}/.test(pattern)) {
    throw new RuleSyntaxError(`rule ${shown} has extra spaces in its command pattern; commands are matched with single spaces between words`);
  }
  return { kind: 'command', pattern };
}

function pathSpecifier(body: string, shown: string): RuleSpecifier | null {
  if (body === '*' || body === '**' || body === '/**' || body === '//**') return null;
  if (/\s/.test(body.replace(/ /g, ''))) throw new RuleSyntaxError(`rule ${shown} has whitespace other than spaces in its path`);
  if (/\*\*\*/.test(body)) throw new RuleSyntaxError(`rule ${shown} has "***": use "*" within a directory or "**" across directories`);
  // Claude Code writes absolute paths as `//path`; both spellings mean the same absolute path here.
  return { kind: 'path', pattern: body.startsWith('//') ? body.replace(/^\/+/, '/') : body };
}

/** The literal text of a judged command, or a hole where a word's value is not known until run time. */
export type CommandText = ReadonlyArray<string | typeof HOLE>;
export const HOLE: unique symbol = Symbol('unknown text');

/**
 * Does the command pattern match a command's text? `*` matches any run of characters, spaces included; a trailing
 * ` *` also matches nothing at all, so `ls *` matches `ls` and `ls -la` but not `lsof`.
 *
 * For deny rules the text may hold holes (values known only at run time) and the answer is "could it match?":
 * a hole may stand for any text. For allow rules the caller passes text without holes.
 */
export function commandPatternMatches(pattern: string, text: string | CommandText): boolean {
  if (typeof text === 'string') return compiledPattern(pattern).test(text);
  if (pattern.endsWith(' *') && globMatches(pattern.slice(0, -2), text)) return true;
  return globMatches(pattern, text);
}

const compiledPatterns = new Map<string, RegExp>();

/** Text without holes is matched with a regular expression compiled once per pattern. */
function compiledPattern(pattern: string): RegExp {
  let regex = compiledPatterns.get(pattern);
  if (!regex) {
    const optionalTail = pattern.endsWith(' *');
    const body = (optionalTail ? pattern.slice(0, -2) : pattern)
      .split('*')
      .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    regex = new RegExp(`^${body}${optionalTail ? '(?: .*)?' : ''}$`, 's');
    compiledPatterns.set(pattern, regex);
  }
  return regex;
}

function globMatches(pattern: string, text: CommandText): boolean {
  // Reachability over (pattern index, text index): both `*` and holes may absorb any amount of the other side.
  const width = text.length + 1;
  let current = new Uint8Array(width);
  current[0] = 1;
  closeOverHoles(current, text);
  for (let pi = 0; pi < pattern.length; pi++) {
    const next = new Uint8Array(width);
    const p = pattern[pi]!;
    if (p === '*') {
      let reached = false;
      for (let ti = 0; ti < width; ti++) {
        if (current[ti]) reached = true;
        if (reached) next[ti] = 1;
      }
    } else {
      for (let ti = 0; ti < width; ti++) {
        if (!current[ti]) continue;
        const t = text[ti];
        if (t === HOLE) next[ti] = 1; // the hole takes this pattern character
        else if (t === p) next[ti + 1] = 1;
      }
    }
    closeOverHoles(next, text);
    current = next;
  }
  return current[text.length] === 1;
}

/** A hole may also stand for nothing. */
function closeOverHoles(states: Uint8Array, text: CommandText): void {
  for (let ti = 0; ti < text.length; ti++) if (states[ti] && text[ti] === HOLE) states[ti + 1] = 1;
}
