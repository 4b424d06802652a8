import { createRequire } from 'node:module';
import { Language, type Node, Parser } from 'web-tree-sitter';
import { type CommandSink, interpretCommand, isDangerousVariable } from './command-semantics.js';
import { normalizePath, type PathContext } from './paths.js';
import { HOLE, type CommandText } from './rules.js';
import { literalWord, type ShellEffect, type ShellWord } from './shell-effects.js';

/** Longer commands are denied unread: no agent needs them, and they are where parsers disagree. */
export const MAX_COMMAND_LENGTH = 10_000;
/** How deep `bash -c "eval '…'"` may nest before the command is denied. */
export const MAX_NESTING = 8;

export interface ShellAnalyser {
  /** Everything running `command` would do that policy judges. Never throws; what it cannot read is `opaque`. */
  analyse(command: string, context: PathContext): ShellEffect[];
}

let parserReady: Promise<Language> | undefined;

function loadBashLanguage(): Promise<Language> {
  parserReady ??= (async () => {
    await Parser.init();
    const require = createRequire(import.meta.url);
    return Language.load(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'));
  })();
  return parserReady;
}

export async function createShellAnalyser(): Promise<ShellAnalyser> {
  const language = await loadBashLanguage();
  const parser = new Parser();
  parser.setLanguage(language);
  return {
    analyse(command, context) {
      const analysis = new Analysis(parser, context);
      try {
        analysis.run(command, 0);
      } catch (error) {
        // Deep nesting (`$($($(…)))` thousands deep) can exhaust the stack: fail closed, never throw.
        const why = error instanceof Error ? error.message : String(error);
        return [{ kind: 'opaque', reason: `the command could not be analysed (${why}); it may be nested too deeply` }];
      }
      return analysis.effects;
    },
  };
}

// Tab and newline are shell syntax; every other control, format or separator character is a place where what a
// reviewer sees, what the parser reads and what bash runs can differ (`ls\r;id`, zero-width characters).
const SUSPICIOUS_CHARACTER = /[^\P{Cc}\t\n]|\p{Cf}|\p{Zl}|\p{Zp}|[^\P{Zs} ]/u;

/** Why the text cannot be analysed at all, or null. */
export function screenCommandText(command: string): string | null {
  if (command.length > MAX_COMMAND_LENGTH) return `the command is longer than ${MAX_COMMAND_LENGTH} characters`;
  const suspicious = SUSPICIOUS_CHARACTER.exec(command);
  if (suspicious) {
    const code = suspicious[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return `the command contains the control or invisible character U+${code}`;
  }
  // tree-sitter-bash splits `r\<newline>m` into two words where bash reads `rm`.
  if (/\S\\\n\S/.test(command)) return 'the command joins words with a line continuation';
  return null;
}

const WORD_TYPES = new Set([
  'word', 'number', 'string', 'raw_string', 'ansi_c_string', 'translated_string', 'concatenation', 'simple_expansion', 'expansion',
  'command_substitution', 'process_substitution', 'arithmetic_expansion', 'brace_expression', 'array',
]);
const REDIRECT_TYPES = new Set(['file_redirect', 'heredoc_redirect', 'herestring_redirect']);
const STATEMENT_CONTAINERS = new Set([
  'program', 'list', 'pipeline', 'subshell', 'compound_statement', 'do_group', 'negated_command', 'if_statement', 'elif_clause',
  'else_clause', 'while_statement',
]);
const ARITHMETIC_SAFE = new Set(['number', 'binary_expression', 'unary_expression', 'parenthesized_expression', 'ternary_expression']);
const ARITHMETIC_TEST_OPERATORS = new Set(['-eq', '-ne', '-lt', '-le', '-gt', '-ge']);
const RESERVED_WORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'case', 'esac', 'for', 'select', 'while', 'until', 'do', 'done', 'function', 'in', '{', '}', '!', '[[', ']]', 'coproc']);
const NOT_A_FILE = /^\/dev\/(null|stdout|stderr|fd\/[012])$/;

class Analysis implements CommandSink {
  readonly effects: ShellEffect[] = [];
  /** Every directory the commands may be running in; null once a `cd` goes somewhere unknown. */
  private cwds: string[] | null;
  private depth = 0;
  /** The text being parsed at the current depth; node positions index into it. */
  private source = '';

  constructor(
    private readonly parser: Parser,
    private readonly context: PathContext,
  ) {
    this.cwds = [normalizePath(context.cwd, context)];
  }

  run(command: string, depth: number): void {
    const screened = screenCommandText(command);
    if (screened) return this.opaque(screened);
    const tree = this.parser.parse(command);
    if (!tree) return this.opaque('the shell parser gave no result');
    try {
      const root = tree.rootNode;
      if (root.hasError) return this.opaque(`the command does not parse as shell: ${describeError(root)}`);
      const outer = { depth: this.depth, source: this.source };
      this.depth = depth;
      this.source = command;
      this.statement(root);
      this.depth = outer.depth;
      this.source = outer.source;
    } finally {
      tree.delete();
    }
  }

  // CommandSink ----------------------------------------------------------------------------------------------

  command(words: readonly ShellWord[], scope: 'full' | 'deny-only', origin: string): { scope: 'full' | 'deny-only' } {
    const effect = { kind: 'command' as const, words, scope, origin };
    this.effects.push(effect);
    return effect;
  }

  path(access: 'read' | 'write', word: ShellWord, scope: 'full' | 'deny-only', origin: string): void {
    let value = word.value;
    let below = false;
    if (value !== null && scope === 'deny-only' && EXPANDS.test(value)) {
      // A glob (or a brace expansion, `/etc/{shadow,x}`) reaches only what lies below its literal leading directory.
      below = true;
      value = value.slice(0, value.slice(0, value.search(EXPANDS)).lastIndexOf('/') + 1) || '.';
    }
    if (value !== null && NOT_A_FILE.test(value)) return;
    if (value === null || (scope === 'full' && EXPANDS.test(value))) {
      if (scope === 'full') return this.opaque(`${origin}: the file ${word.source} is only known at run time`);
      this.effects.push({ kind: 'path', access, paths: null, below, scope, origin });
      return;
    }
    const absolute = value.startsWith('/') || value.startsWith('~');
    if (!absolute && this.cwds === null) {
      if (scope === 'full') return this.opaque(`${origin}: the relative path ${value} follows a cd to a directory only known at run time`);
      this.effects.push({ kind: 'path', access, paths: null, below, scope, origin });
      return;
    }
    const bases = absolute ? [this.context.cwd] : this.cwds!;
    const paths = [...new Set(bases.map((cwd) => normalizePath(value, { cwd, home: this.context.home })))];
    this.effects.push({ kind: 'path', access, paths, below, scope, origin });
  }

  opaque(reason: string): void {
    this.effects.push({ kind: 'opaque', reason });
  }

  shellText(word: ShellWord | null, origin: string): void {
    if (!word || word.value === null) return this.opaque(`${origin} runs shell text that is only known at run time`);
    if (this.depth + 1 > MAX_NESTING) return this.opaque(`shell text nested more than ${MAX_NESTING} levels deep`);
    this.run(word.value, this.depth + 1);
  }

  changeDirectory(word: ShellWord | null): void {
    const target = word?.value;
    if (target === null || target === undefined || target === '-' || this.cwds === null) {
      this.cwds = null;
      return;
    }
    const moved = this.cwds.map((cwd) => normalizePath(target, { cwd, home: this.context.home }));
    // cd may fail, so the old directories stay possible. Each cd can double them (`cd a; cd b; …`): past a bound
    // the directory counts as unknown, so relative paths fail closed instead of the analysis taking exponential time.
    const cwds = [...new Set([...this.cwds, ...moved])];
    this.cwds = cwds.length > MAX_DIRECTORIES ? null : cwds;
  }

  // Statements -----------------------------------------------------------------------------------------------

  private statement(node: Node): void {
    const type = node.type;
    if (this.splitByNewline(node)) {
      return this.opaque(`the shell parser joined lines that bash runs as separate commands (near ${JSON.stringify(shorten(node.text))})`);
    }
    if (STATEMENT_CONTAINERS.has(type)) {
      if (type === 'compound_statement' && node.firstChild?.type === '((') return this.arithmetic(node);
      for (const child of node.namedChildren) if (child) this.statementOrPart(child);
      return;
    }
    switch (type) {
      case 'command':
        return this.simpleCommand(node);
      case 'redirected_statement':
        for (const child of node.namedChildren) if (child) this.statementOrPart(child);
        return;
      case 'variable_assignment':
        return this.assignment(node);
      case 'variable_assignments':
        for (const child of node.namedChildren) if (child) this.assignment(child);
        return;
      case 'declaration_command':
        return this.declaration(node);
      case 'unset_command':
        for (const child of node.namedChildren) if (child) this.word(child);
        return;
      case 'function_definition': {
        const body = node.childForFieldName('body');
        if (body) this.statement(body);
        return;
      }
      case 'for_statement':
        return this.forStatement(node);
      case 'case_statement':
        return this.caseStatement(node);
      case 'test_command':
        return this.testExpression(node);
      case 'c_style_for_statement':
        return this.opaque('a C-style for loop evaluates arithmetic, which can run commands through array subscripts');
      case 'comment':
        return;
      default:
        return this.opaque(`the shell construct "${type}" is not understood by the policy engine`);
    }
  }

  /** Children of containers: statements, plus the redirects and heredoc parts that sit beside them. */
  private statementOrPart(node: Node): void {
    if (REDIRECT_TYPES.has(node.type)) this.redirect(node);
    else this.statement(node);
  }

  private forStatement(node: Node): void {
    for (let i = 0; i < node.childCount; i++) {
      const child = node.child(i);
      if (!child?.isNamed) continue;
      const field = node.fieldNameForChild(i);
      if (field === 'variable') continue;
      if (field === 'value') this.word(child);
      else this.statement(child);
    }
  }

  private caseStatement(node: Node): void {
    for (let i = 0; i < node.childCount; i++) {
      const child = node.child(i);
      if (!child?.isNamed) continue;
      if (child.type === 'case_item') {
        for (let j = 0; j < child.childCount; j++) {
          const part = child.child(j);
          if (!part?.isNamed) continue;
          if (child.fieldNameForChild(j) === 'value' || WORD_TYPES.has(part.type) || part.type === 'extglob_pattern') this.word(part);
          else this.statement(part);
        }
      } else this.word(child);
    }
  }

  private simpleCommand(node: Node): void {
    const words: ShellWord[] = [];
    for (let i = 0; i < node.childCount; i++) {
      const child = node.child(i);
      if (!child?.isNamed) continue;
      const field = node.fieldNameForChild(i);
      if (child.type === 'variable_assignment') {
        this.assignment(child);
      } else if (REDIRECT_TYPES.has(child.type)) {
        this.redirect(child);
      } else if (field === 'name') {
        const inner = child.namedChildren[0];
        if (!inner || child.namedChildCount !== 1) return this.opaque(`the command name ${child.text} is not understood`);
        // tree-sitter-bash reads `! for i in 1; do rm x; done` as commands named for, do and done.
        if (inner.type === 'word' && RESERVED_WORDS.has(inner.text)) {
          return this.opaque(`the shell parser read the reserved word "${inner.text}" as a command name, which bash would not`);
        }
        words.push(this.word(inner));
      } else if (field === 'argument') {
        words.push(this.word(child));
      } else if (child.type !== 'comment') {
        this.opaque(`the shell construct "${child.type}" in a command is not understood by the policy engine`);
      }
    }
    interpretCommand(words, this, shorten(node.text));
  }

  private assignment(node: Node): void {
    if (node.type !== 'variable_assignment') return void this.word(node);
    const name = node.childForFieldName('name');
    if (name?.type === 'variable_name' && isDangerousVariable(name.text)) {
      this.opaque(`setting ${name.text} can make commands run other code`);
    } else if (name && name.type !== 'variable_name') this.internals(name);
    const value = node.childForFieldName('value');
    if (value) this.word(value);
  }

  private declaration(node: Node): void {
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (child.type === 'variable_assignment') this.assignment(child);
      else if (child.type === 'variable_name') continue;
      else {
        const word = this.word(child);
        if (word.value === null || /^-[a-zA-Z]*n/.test(word.value)) this.opaque(`${node.firstChild?.text ?? 'declare'} ${word.source} is not understood (name references or run-time options)`);
      }
    }
  }

  private redirect(node: Node): void {
    if (node.type === 'herestring_redirect') {
      for (const child of node.namedChildren) if (child) this.word(child);
      return;
    }
    if (node.type === 'heredoc_redirect') {
      // A quoted delimiter (`<<'EOF'`, `<<"EOF"`, `<<\EOF`) turns expansion in the body off.
      const quoted = node.namedChildren.some((child) => child?.type === 'heredoc_start' && /['"\\]/.test(child.text));
      for (const child of node.namedChildren) {
        if (!child || child.type === 'heredoc_start' || child.type === 'heredoc_end') continue;
        if (child.type === 'heredoc_body') {
          if (!quoted) this.internals(child);
        } else this.statementOrPart(child);
      }
      return;
    }
    let operator = '';
    const destinations: Node[] = [];
    for (let i = 0; i < node.childCount; i++) {
      const child = node.child(i);
      if (!child) continue;
      if (!child.isNamed) operator = child.type;
      else if (node.fieldNameForChild(i) === 'destination') destinations.push(child);
    }
    for (const destination of destinations) {
      const word = this.word(destination);
      if ((operator === '>&' || operator === '<&') && (destination.type === 'number' || word.value === '-')) continue;
      const origin = `redirection ${operator}`;
      // bash opens /dev/tcp/host/port itself, however the path is spelled (`/dev//tcp`, `/dev/./tcp`, `cd /dev; … tcp/h/p`).
      if (word.value === null ? /(tcp|udp)/.test(word.source) : /(^|\/)(tcp|udp)\/+[^/]+\/+[^/]+\/*$/.test(word.value)) {
        this.opaque(`${origin} ${word.value} opens a network connection`);
        continue;
      }
      if (operator === '<' || operator === '<&' || operator === '<>') this.path('read', word, 'full', origin);
      if (operator !== '<' && operator !== '<&') this.path('write', word, 'full', origin);
    }
  }

  private testExpression(node: Node): void {
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (child.type === 'binary_expression') {
        const operator = child.childForFieldName('operator')?.text ?? '';
        if (ARITHMETIC_TEST_OPERATORS.has(operator) && child.namedChildren.some((side) => side && side.type !== 'number' && side.type !== 'test_operator')) {
          this.opaque(`[[ … ${operator} … ]] evaluates its operands as arithmetic, which can run commands through array subscripts`);
        }
        this.testExpression(child);
      } else if (child.type === 'unary_expression' && child.childForFieldName('operator')?.text === '-v') {
        this.opaque('[[ -v … ]] evaluates an array subscript, which can run commands');
      } else if (WORD_TYPES.has(child.type)) this.word(child);
      else if (child.type !== 'test_operator' && child.type !== 'regex' && child.type !== 'extglob_pattern') this.testExpression(child);
    }
  }

  private arithmetic(node: Node): void {
    const unsafe = (n: Node): boolean => n.namedChildren.some((c) => c !== null && (!ARITHMETIC_SAFE.has(c.type) || unsafe(c)));
    if (unsafe(node)) this.opaque('arithmetic on variables can run commands through array subscripts');
  }

  /**
   * tree-sitter-bash sometimes reads `a | b |& c⏎d` as one command `c d`, where bash runs `d` on its own. bash
   * never lets an unescaped newline sit inside a simple command, an assignment or a redirection, nor before `|`,
   * `&&` or `||`; finding one means the tree is not what bash will run.
   */
  private splitByNewline(node: Node): boolean {
    const type = node.type;
    const everyGap = type === 'command' || type === 'redirected_statement' || type === 'variable_assignment' || type === 'declaration_command';
    if (!everyGap && type !== 'list' && type !== 'pipeline') return false;
    if (!this.source.slice(node.startIndex, node.endIndex).includes('\n')) return false;
    const children = node.children;
    for (let i = 1; i < children.length; i++) {
      const previous = children[i - 1]!;
      const current = children[i]!;
      if (!everyGap && current.isNamed) continue;
      if (current.type === 'heredoc_redirect' || previous.type === 'heredoc_redirect') continue;
      const gap = this.source.slice(previous.endIndex, current.startIndex).replace(/\\\n/g, '');
      if (gap.includes('\n')) return true;
    }
    return false;
  }

  // Words ----------------------------------------------------------------------------------------------------

  /** Quote removal for one word; every substitution inside is walked as commands of its own. */
  private word(node: Node): ShellWord {
    switch (node.type) {
      case 'word':
        // An unquoted word never holds a newline in bash; tree-sitter-bash reads `a⏎\\rm b` as `a '⏎rm' b`.
        if (node.text.replace(/\\\n/g, '').includes('\n')) {
          this.opaque('the shell parser read a newline inside a word, where bash ends the command');
          return this.hole(node);
        }
        // `$[…]` is bash's old arithmetic expansion, which the grammar reads as literal text.
        // A backquote the grammar left inside a word (`${x:-`rm`}`, `r``m`) is a substitution bash runs.
        if (hasUnescapedBackquote(node.text)) {
          this.opaque('a backquote substitution the shell parser read as text');
          return this.hole(node);
        }
        if (/(^|[^\\])\$\[/.test(node.text)) {
          this.opaque('the old arithmetic expansion $[…] can run commands through array subscripts');
          return this.hole(node);
        }
        return literalWord(unescapeUnquoted(node.text));
      case 'number':
        return literalWord(node.text);
      case 'raw_string':
        return literalWord(node.text.slice(1, -1));
      case 'ansi_c_string': {
        const decoded = decodeAnsiC(node.text.slice(2, -1));
        return decoded === null ? this.hole(node) : literalWord(decoded);
      }
      case 'string':
      case 'translated_string':
      case 'concatenation':
        return this.joined(node);
      case 'simple_expansion':
        return this.hole(node);
      case 'expansion':
        if (node.children.some((c) => c !== null && !c.isNamed && c.type === '@')) {
          this.opaque(`the expansion ${shorten(node.text)} transforms a value in ways that can run commands`);
        }
        // `${x:offset:length}` evaluates offset and length as arithmetic: a variable there can run commands.
        if (node.children.some((c) => c !== null && !c.isNamed && c.type === ':') && node.namedChildren.slice(1).some((c) => c !== null && c.type !== 'number')) {
          this.opaque(`the substring offsets in ${shorten(node.text)} are arithmetic, which can run commands through array subscripts`);
        }
        // `${!x}` expands the variable x names, and a name like `a[$(cmd)]` runs cmd.
        if (node.text.startsWith('${!')) this.opaque(`the indirect expansion ${shorten(node.text)} can run commands through array subscripts`);
        this.internals(node);
        return this.hole(node);
      case 'command_substitution':
        if (node.text.startsWith('`') && node.text.slice(1, -1).includes('\\`')) {
          this.opaque('nested backquote substitutions are not understood by the policy engine');
        }
        for (const child of node.namedChildren) if (child) this.statementOrPart(child);
        return this.hole(node);
      case 'process_substitution':
        for (const child of node.namedChildren) if (child) this.statementOrPart(child);
        return this.hole(node);
      case 'arithmetic_expansion':
        this.arithmetic(node);
        return this.hole(node);
      case 'brace_expression':
        return this.hole(node);
      case 'array':
        for (const child of node.namedChildren) if (child) this.word(child);
        return this.hole(node);
      default:
        this.opaque(`the shell construct "${node.type}" in a word is not understood by the policy engine`);
        return this.hole(node);
    }
  }

  private joined(node: Node): ShellWord {
    // `r$""m` is `rm`: the grammar reads the `$` of a `$"…"` translation as the end of the word before it.
    if (node.type === 'concatenation') {
      const children = node.children;
      const dollar = (c: Node | null): boolean => c !== null && ((!c.isNamed && c.type === '$') || (c.type === 'word' && /(^|[^\\])(\\\\)*\$$/.test(c.text)));
      if (children.some((c, i) => dollar(c) && children[i + 1]?.type === 'string' && children[i + 1]!.startIndex === c!.endIndex)) {
        this.opaque('a $"…" translation the shell parser split from its word');
        return this.hole(node);
      }
    }
    const parts: (string | typeof HOLE)[] = [];
    let known = true;
    let value = '';
    const inQuotes = node.type !== 'concatenation';
    for (const child of node.children) {
      if (!child) continue;
      if (!child.isNamed) {
        // Quotes and `$` of `$"…"` are syntax; any other anonymous piece is literal text.
        if (child.type === '"' || child.type === '$"' || (node.type === 'translated_string' && child.type === '$')) continue;
        if (hasUnescapedBackquote(child.text)) {
          this.opaque('a backquote substitution the shell parser read as text');
          known = false;
          parts.push(HOLE);
          continue;
        }
        parts.push(...child.text);
        value += child.text;
        continue;
      }
      if (inQuotes && child.type === 'string_content' && hasUnescapedBackquote(child.text)) this.opaque('a backquote substitution the shell parser read as text');
      const part = inQuotes && child.type === 'string_content' ? literalWord(unescapeDoubleQuoted(child.text)) : this.word(child);
      parts.push(...part.parts);
      if (part.value === null) known = false;
      else value += part.value;
    }
    return { value: known ? value : null, parts: compactHoles(parts), source: node.text };
  }

  private hole(node: Node): ShellWord {
    return { value: null, parts: [HOLE], source: node.text };
  }

  /** Walks what sits inside an expansion, a heredoc body or a subscript for substitutions and arithmetic. */
  private internals(node: Node): void {
    // Text the grammar left unparsed (a `regex` in `${x#…}`, a heredoc body) may still hold a substitution bash runs.
    if (node.namedChildCount === 0 && node.type !== 'variable_name' && (hasUnescapedBackquote(node.text) || /(^|[^\\])\$\(/.test(node.text))) {
      this.opaque(`a substitution the shell parser read as text: ${shorten(node.text)}`);
    }
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (child.namedChildCount === 0 && child.type !== 'variable_name' && child.type !== 'word' && (hasUnescapedBackquote(child.text) || /(^|[^\\])\$\(/.test(child.text))) {
        this.opaque(`a substitution the shell parser read as text: ${shorten(child.text)}`);
        continue;
      }
      if (child.type === 'subscript') {
        const index = child.childForFieldName('index');
        if (index && !(index.type === 'number' || (index.type === 'word' && /^[@*]$/.test(index.text)))) {
          this.opaque(`the array subscript ${shorten(child.text)} is evaluated as arithmetic, which can run commands`);
        }
        this.internals(child);
      } else if (child.type === 'word' && hasUnescapedBackquote(child.text)) {
        this.opaque('a backquote substitution the shell parser read as text');
      } else if (WORD_TYPES.has(child.type) && child.type !== 'word' && child.type !== 'number') this.word(child);
      else this.internals(child);
    }
  }
}

function compactHoles(parts: (string | typeof HOLE)[]): CommandText {
  return parts.filter((part, i) => part !== HOLE || parts[i - 1] !== HOLE);
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}

function describeError(root: Node): string {
  const bad = root.descendantsOfType(['ERROR']).find((n) => n !== null) ?? findMissing(root);
  if (!bad) return 'syntax error';
  const where = `at character ${bad.startIndex + 1}`;
  return bad.isMissing ? `missing "${bad.type}" ${where}` : `unexpected ${JSON.stringify(shorten(bad.text))} ${where}`;
}

function findMissing(node: Node): Node | null {
  if (node.isMissing) return node;
  for (const child of node.children) {
    if (child?.hasError || child?.isMissing) {
      const found = findMissing(child);
      if (found) return found;
    }
  }
  return null;
}

/** Outside quotes a backslash makes the next character literal; backslash-newline disappears. */
function unescapeUnquoted(text: string): string {
  return text.includes('\\') ? text.replace(/\\(\n|.)/gs, (_m, c: string) => (c === '\n' ? '' : c)) : text;
}

/** Inside double quotes a backslash escapes only `$`, `` ` ``, `"`, `\` and newline. */
function unescapeDoubleQuoted(text: string): string {
  return text.includes('\\') ? text.replace(/\\([$`"\\\n])/g, (_m, c: string) => (c === '\n' ? '' : c)) : text;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?',
};

/** `$'…'` text, or null for escapes this decoder does not handle (the word then counts as unknown). */
function decodeAnsiC(body: string): string | null {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = body[++i];
    if (next === undefined) return null;
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    const hex = /^(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3})/.exec(body.slice(i));
    if (!hex) return null;
    const digits = hex[0];
    const code = /^[0-7]/.test(digits) ? parseInt(digits, 8) : parseInt(digits.slice(1), 16);
    // bash ends the string at a NUL (`$'rm\0x'` is `rm`): not understood rather than decoded differently.
    if (code > 0x10ffff || code === 0) return null;
    out += String.fromCodePoint(code);
    i += digits.length - 1;
  }
  return out;
}

function hasUnescapedBackquote(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '`') return true;
  }
  return false;
}

/** Characters that make bash expand a word into other file names: globs and brace expansion. */
const EXPANDS = /[*?[]|\{[^{}]*(,|\.\.)[^{}]*\}/;

/** How many working directories a command may have at one point before the engine stops tracking them. */
const MAX_DIRECTORIES = 64;
