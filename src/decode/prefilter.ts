// Decides from a line's raw bytes whether it can hold a selected event, so that
// only those lines are parsed. Sound by construction: a selected event's name
// must appear in the line as a JSON string, unless written with \u escapes, and
// lines with escapes, or whose name cannot be read, are always parsed.
const QUOTE = 0x22;
const BACKSLASH_U = Buffer.from('\\u');
const LEGACY_NAME = Buffer.from('"eventName":"');
const CURRENT_NAME = Buffer.from('"name":"');

export class Prefilter {
  private readonly tokens: Buffer[] | undefined;

  /** `names` undefined = every event is selected. */
  constructor(names: Set<string> | undefined) {
    this.tokens = names && [...names].map((n) => Buffer.from(JSON.stringify(n)));
  }

  /**
   * The name of an event no signature selected, read from the raw bytes; undefined
   * when the line must be parsed (it may hold a selected event, or be malformed).
   */
  skippable(line: Buffer): string | undefined {
    if (!this.tokens) return undefined;
    for (const t of this.tokens) if (line.indexOf(t) >= 0) return undefined;
    if (line.indexOf(BACKSLASH_U) >= 0 || !looksLikeObject(line)) return undefined;
    return eventName(line);
  }
}

function looksLikeObject(line: Buffer): boolean {
  let i = 0;
  let j = line.length - 1;
  while (i <= j && (line[i] === 0x20 || line[i] === 0x09)) i++;
  while (j >= i && (line[j] === 0x20 || line[j] === 0x09 || line[j] === 0x0d)) j--;
  return i < j && line[i] === 0x7b && line[j] === 0x7d;
}

/** The event name read from raw bytes, or undefined when it cannot be read cheaply. */
export function eventName(line: Buffer): string | undefined {
  let at = line.indexOf(LEGACY_NAME);
  let from = at + LEGACY_NAME.length;
  if (at < 0) {
    at = line.indexOf(CURRENT_NAME);
    if (at < 0) return undefined;
    from = at + CURRENT_NAME.length;
  }
  const end = line.indexOf(QUOTE, from);
  if (end < 0 || end - from > 128) return undefined;
  return line.toString('latin1', from, end);
}
