/**
 * Splits a reply into parts of at most `limit` UTF-16 code units (how Telegram and Slack count), preferring
 * to break after a paragraph, then a line, then a space; never inside a surrogate pair. Joined back, the parts
 * give the text without the whitespace at the breaks.
 */
export function splitText(text: string, limit: number): string[] {
  if (!Number.isInteger(limit) || limit < 2) throw new RangeError(`limit must be a whole number of at least 2, got ${limit}`);
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const cut = breakPoint(rest, limit);
    const part = rest.slice(0, cut).trimEnd();
    if (part.length > 0) parts.push(part);
    rest = rest.slice(cut).replace(/^\s+/u, '');
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts;
}

function breakPoint(text: string, limit: number): number {
  const window = text.slice(0, limit + 1);
  for (const separator of ['\n\n', '\n', ' ']) {
    const at = window.lastIndexOf(separator);
    // A break in the first half would make many tiny parts; cut hard instead.
    if (at >= limit / 2) return at + separator.length > limit ? at : at + separator.length;
  }
  const code = text.charCodeAt(limit - 1);
  const isHighSurrogate = code >= 0xd800 && code <= 0xdbff;
  return isHighSurrogate ? limit - 1 : limit;
}
