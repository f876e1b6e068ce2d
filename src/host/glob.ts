// Shell-style globs for allowlist values: `*` any run of characters (slashes
// included), `?` one character; everything else is literal. Anchored at both ends.

/** A matcher for one glob; a pattern without wildcards is an exact comparison. */
export function compileGlob(pattern: string): (text: string) => boolean {
  if (!/[*?]/.test(pattern)) return (text) => text === pattern;
  let source = '';
  for (const ch of pattern) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  const re = new RegExp(`^${source}$`, 's');
  return (text) => re.test(text);
}

export function hasWildcard(pattern: string): boolean {
  return /[*?]/.test(pattern);
}
