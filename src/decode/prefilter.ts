// Decides from a line's raw bytes whether it can hold a selected event, so that
// only those lines are parsed (the replay hot path: parsing is the cost).
//
// Fast path, for lines laid out as Tracee writes them ({"timestamp":… first):
// the event name is read at its known place — in the current shape right after
// "timestamp" and "id", in the legacy shape at the first "eventName" key, which
// nothing before it can contain unescaped. Names with escapes are always parsed.
// Any other line takes the careful path: a selected name must appear in it as a
// JSON string (or it must use \u escapes), else it is skipped only when it looks
// like a whole object whose name can be read. Everything else is parsed, so
// malformed lines are reported, never silently skipped.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const TIMESTAMP_KEY = Buffer.from('{"timestamp":');
const ID_KEY = Buffer.from(',"id":');
const NAME_KEY = Buffer.from(',"name":"');
const BACKSLASH_U = Buffer.from('\\u');
const LEGACY_NAME = Buffer.from('"eventName":"');
const CURRENT_NAME = Buffer.from('"name":"');
const MAX_NAME = 128;

export class Prefilter {
  private readonly selected: Set<string> | undefined;
  private readonly tokens: Buffer[];

  /** `names` undefined = every event is selected. */
  constructor(names: Set<string> | undefined) {
    this.selected = names;
    this.tokens = names ? [...names].map((n) => Buffer.from(JSON.stringify(n))) : [];
  }

  /**
   * The name of an event no signature selected, read from the raw bytes; undefined
   * when the line must be parsed (it may hold a selected event, or be malformed).
   */
  skippable(line: Buffer): string | undefined {
    if (!this.selected) return undefined;
    if (!endsLikeObject(line)) return undefined;
    const name = traceeLayoutName(line);
    if (name === undefined) return this.carefulPath(line);
    return this.selected.has(name) ? undefined : name;
  }

  private carefulPath(line: Buffer): string | undefined {
    for (const t of this.tokens) if (line.indexOf(t) >= 0) return undefined;
    if (line.indexOf(BACKSLASH_U) >= 0 || !startsLikeObject(line)) return undefined;
    return eventName(line);
  }
}

function startsWith(line: Buffer, prefix: Buffer, at: number): boolean {
  if (line.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (line[at + i] !== prefix[i]) return false;
  return true;
}

/** The name where Tracee's writers put it; undefined when the line is laid out otherwise. */
function traceeLayoutName(line: Buffer): string | undefined {
  if (!startsWith(line, TIMESTAMP_KEY, 0)) return undefined;
  let at = TIMESTAMP_KEY.length;
  let from: number;
  if (line[at] === QUOTE) {
    // current shape: "timestamp":"…","id":N,"name":"…"
    at = line.indexOf(QUOTE, at + 1);
    if (at < 0 || !startsWith(line, ID_KEY, at + 1)) return undefined;
    at += 1 + ID_KEY.length;
    if (line[at] === QUOTE) at = line.indexOf(QUOTE, at + 1) + 1; // protojson: enum name
    else while (line[at] >= 0x30 && line[at] <= 0x39) at++;
    if (at <= 0 || !startsWith(line, NAME_KEY, at)) return undefined;
    from = at + NAME_KEY.length;
  } else {
    const key = line.indexOf(LEGACY_NAME, at);
    if (key < 0) return undefined;
    from = key + LEGACY_NAME.length;
  }
  return nameAt(line, from);
}

function nameAt(line: Buffer, from: number): string | undefined {
  const end = line.indexOf(QUOTE, from);
  if (end < 0 || end - from > MAX_NAME) return undefined;
  for (let i = from; i < end; i++) if (line[i] === BACKSLASH) return undefined;
  return line.toString('latin1', from, end);
}

function startsLikeObject(line: Buffer): boolean {
  let i = 0;
  while (i < line.length && (line[i] === 0x20 || line[i] === 0x09)) i++;
  return line[i] === 0x7b;
}

function endsLikeObject(line: Buffer): boolean {
  let j = line.length - 1;
  while (j >= 0 && (line[j] === 0x20 || line[j] === 0x09 || line[j] === 0x0d)) j--;
  return j > 0 && line[j] === 0x7d;
}

/** The event name read from raw bytes wherever its key is, or undefined. */
export function eventName(line: Buffer): string | undefined {
  let at = line.indexOf(LEGACY_NAME);
  let from = at + LEGACY_NAME.length;
  if (at < 0) {
    at = line.indexOf(CURRENT_NAME);
    if (at < 0) return undefined;
    from = at + CURRENT_NAME.length;
  }
  return nameAt(line, from);
}
