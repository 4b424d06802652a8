/** Where relative paths start and what `~` means when the caller says nothing: the sandbox's workspace mount. */
export const DEFAULT_CWD = '/workspace';
export const DEFAULT_HOME = '/workspace';

export interface PathContext {
  cwd: string;
  home: string;
}

/**
 * An absolute, normalized path: relative paths start at `cwd`, `~` and `~/x` at `home`, `~user` at `/home/user`
 * (`/root` for root); `.`, `..` and repeated slashes are resolved textually (`..` never climbs above `/`).
 * Symlinks cannot be seen here; the sandbox re-checks the resolved path.
 */
export function normalizePath(path: string, context: PathContext): string {
  let absolute: string;
  if (path === '~' || path.startsWith('~/')) absolute = `${context.home}/${path.slice(1)}`;
  else if (path.startsWith('~')) {
    const slash = path.indexOf('/');
    const user = slash < 0 ? path.slice(1) : path.slice(1, slash);
    const rest = slash < 0 ? '' : path.slice(slash);
    absolute = `${user === 'root' ? '/root' : `/home/${user}`}${rest}`;
  } else if (path.startsWith('/')) absolute = path;
  else absolute = `${context.cwd}/${path}`;
  return `/${pathComponents(absolute).join('/')}`;
}

/** The components of a path with `.`, `..` and empty components resolved. */
export function pathComponents(absolute: string): string[] {
  const out: string[] = [];
  for (const part of absolute.split('/')) {
    if (part === '' || part === '.') continue;
    // Below /proc/<pid>/ a `..` may leave a link (`cwd`, `root`, `fd/3`) that points anywhere: it is kept, and deny
    // rules treat such a path as possibly anything.
    if (part === '..' && !(out[0] === 'proc' && out.length >= 3)) out.pop();
    else out.push(part);
  }
  return out;
}

/**
 * A path pattern compiled once: components where `**` crosses any number of components and `*`/`?` stay inside
 * one. A relative pattern is taken from the workspace root, except one that starts with `**`, which may match
 * anywhere.
 */
export interface PathPattern {
  components: ComponentMatcher[];
}

type ComponentMatcher = { kind: 'any-depth' } | { kind: 'literal'; text: string } | { kind: 'glob'; regex: RegExp };

export function compilePathPattern(pattern: string, context: PathContext): PathPattern {
  const floating = pattern.startsWith('**');
  const absolute = floating ? `/${pattern}` : normalizePatternBase(pattern, context);
  const components: ComponentMatcher[] = [];
  for (const part of absolute.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      components.pop();
      continue;
    }
    if (part === '**') {
      if (components.at(-1)?.kind !== 'any-depth') components.push({ kind: 'any-depth' });
    } else if (/[*?]/.test(part)) {
      const source = part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*+/g, '[^/]*').replace(/\?/g, '[^/]');
      components.push({ kind: 'glob', regex: new RegExp(`^${source}$`, 's') });
    } else components.push({ kind: 'literal', text: part });
  }
  return { components };
}

function normalizePatternBase(pattern: string, context: PathContext): string {
  if (pattern === '~' || pattern.startsWith('~/')) return `${context.home}/${pattern.slice(1)}`;
  if (pattern.startsWith('/') || pattern.startsWith('~')) return normalizeTildeUser(pattern);
  return `${context.cwd}/${pattern}`;
}

function normalizeTildeUser(pattern: string): string {
  if (!pattern.startsWith('~')) return pattern;
  const slash = pattern.indexOf('/');
  const user = slash < 0 ? pattern.slice(1) : pattern.slice(1, slash);
  return `${user === 'root' ? '/root' : `/home/${user}`}${slash < 0 ? '' : pattern.slice(slash)}`;
}

/**
 * Gitignore semantics: a pattern that matches a directory covers everything below it, so the pattern matches the
 * path or any of its ancestors.
 */
export function matchesPath(pattern: PathPattern, normalizedPath: string): boolean {
  const parts = pathComponents(normalizedPath);
  return matchFrom(pattern.components, 0, parts, 0);
}

function matchFrom(pattern: ComponentMatcher[], pi: number, parts: string[], si: number): boolean {
  if (pi === pattern.length) return true; // the rest of the path lies below a matched directory
  const matcher = pattern[pi]!;
  if (matcher.kind === 'any-depth') {
    for (let next = si; next <= parts.length; next++) if (matchFrom(pattern, pi + 1, parts, next)) return true;
    return false;
  }
  if (si === parts.length) return false;
  const part = parts[si]!;
  const ok = matcher.kind === 'literal' ? matcher.text === part : matcher.regex.test(part);
  return ok && matchFrom(pattern, pi + 1, parts, si + 1);
}

/**
 * Could the pattern cover `directory` or anything below it? Used for a shell glob (`cat /etc/sha*`), which can
 * reach any file under its literal leading directory.
 */
export function mayMatchAtOrBelow(pattern: PathPattern, directory: string): boolean {
  return reachable(pattern.components, 0, pathComponents(directory), 0);
}

function reachable(pattern: ComponentMatcher[], pi: number, parts: string[], si: number): boolean {
  if (pi === pattern.length || si === parts.length) return true;
  const matcher = pattern[pi]!;
  if (matcher.kind === 'any-depth') return true;
  const part = parts[si]!;
  const ok = matcher.kind === 'literal' ? matcher.text === part : matcher.regex.test(part);
  return ok && reachable(pattern, pi + 1, parts, si + 1);
}
