// Decides from a line's raw bytes whether it can hold a selected event, so that
// only those lines are parsed (the replay hot path: parsing is the cost), and
// counts the skipped ones by name without making a string per line.
//
// Only lines laid out as Tracee writes them ({"timestamp":… first) are skipped:
// the event name is read at its known place — in the current shape right after
// "timestamp" and "id", in the legacy shape at the first "eventName" key, which
// nothing before it can contain unescaped. Names with escapes are always parsed.
// Any other line is parsed, so that malformed lines are reported and every
// event is counted under its real name (a line laid out otherwise may hold a
// nested "name" key before the event's own).
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const TIMESTAMP_KEY = Buffer.from('{"timestamp":');
const ID_KEY = Buffer.from(',"id":');
const NAME_KEY = Buffer.from(',"name":"');
const LEGACY_NAME = Buffer.from('"eventName":"');
const LEGACY_NAME_MIDDLE = LEGACY_NAME.subarray(2, 10); // ventName
const MAX_NAME = 128;

/** One event name seen in raw bytes: whether it is selected, and how many were skipped. */
interface NameCell {
  bytes: Buffer;
  name: string;
  selected: boolean;
  /** Skipped since the last takeSkipped(). */
  skipped: number;
}

export class Prefilter {
  private readonly selected: Set<string> | undefined;
  private readonly cells = new Map<number, NameCell[]>();
  /**
   * After skip() returned false: the selected event's name and shape when the
   * line is laid out as Tracee writes it (the line scanner's cue), else undefined.
   */
  layoutName: string | undefined;
  layoutShape: 'current' | 'legacy' = 'current';

  /** `names` undefined = every event is selected. */
  constructor(names: Set<string> | undefined) {
    this.selected = names;
  }

  /**
   * True when buf[start, end) can be skipped undecoded: it holds an event no
   * signature selected (then it is counted by name here). False: parse it — it
   * may hold a selected event, or be malformed.
   */
  skip(buf: Buffer, start: number, end: number): boolean {
    this.layoutName = undefined;
    if (!this.selected || !endsLikeObject(buf, start, end)) return false;
    const cell = this.traceeLayoutName(buf, start, end);
    if (!cell) return false;
    if (cell.selected) {
      this.layoutName = cell.name;
      return false;
    }
    cell.skipped++;
    return true;
  }

  /** Skipped events by name since the last call, to add to the counters. */
  takeSkipped(): [string, number][] {
    const out: [string, number][] = [];
    for (const list of this.cells.values()) {
      for (const c of list) {
        if (c.skipped === 0) continue;
        out.push([c.name, c.skipped]);
        c.skipped = 0;
      }
    }
    return out;
  }

  /** Cell of the name where Tracee's writers put it; undefined when laid out otherwise, null when unreadable. */
  private traceeLayoutName(buf: Buffer, start: number, end: number): NameCell | null | undefined {
    if (!startsWith(buf, TIMESTAMP_KEY, start, end)) return undefined;
    let at = start + TIMESTAMP_KEY.length;
    if (buf[at] === QUOTE) {
      this.layoutShape = 'current';
      // current shape: "timestamp":"…","id":N,"name":"…"
      at = buf.indexOf(QUOTE, at + 1);
      if (at < 0 || at >= end || !startsWith(buf, ID_KEY, at + 1, end)) return undefined;
      at += 1 + ID_KEY.length;
      if (buf[at] === QUOTE) at = buf.indexOf(QUOTE, at + 1) + 1; // protojson: enum name
      else while (at < end && buf[at] >= 0x30 && buf[at] <= 0x39) at++;
      if (at <= 0 || !startsWith(buf, NAME_KEY, at, end)) return undefined;
      return this.cellAt(buf, at + NAME_KEY.length, end);
    }
    this.layoutShape = 'legacy';
    const key = legacyNameKey(buf, at, end);
    if (key < 0) return undefined;
    return this.cellAt(buf, key + LEGACY_NAME.length, end);
  }

  /** The name cell for the string starting at `from`; null when it is not a plain name. */
  private cellAt(buf: Buffer, from: number, end: number): NameCell | null {
    let hash = 0x811c9dc5;
    let i = from;
    for (; i < end && i - from <= MAX_NAME; i++) {
      const c = buf[i];
      if (c === QUOTE) break;
      if (c === BACKSLASH) return null;
      hash = Math.imul(hash ^ c, 0x01000193);
    }
    if (i >= end || buf[i] !== QUOTE) return null;
    const length = i - from;
    let list = this.cells.get(hash);
    if (list) {
      for (const cell of list) if (sameBytes(cell.bytes, buf, from, length)) return cell;
    } else {
      this.cells.set(hash, (list = []));
    }
    const name = buf.toString('latin1', from, i);
    const cell: NameCell = { bytes: Buffer.from(buf.subarray(from, i)), name, selected: this.selected?.has(name) ?? true, skipped: 0 };
    list.push(cell);
    return cell;
  }
}

/**
 * The first "eventName":" in buf[from, end), or -1. Searched for by its rarer
 * middle `ventName`: Buffer#indexOf skips ahead by the needle's last byte, and
 * the quotes JSON is full of gave the whole key skips of 2 (about 0.53 against
 * 0.32 us a line, in-process on legacy lines).
 */
function legacyNameKey(buf: Buffer, from: number, end: number): number {
  for (let at = buf.indexOf(LEGACY_NAME_MIDDLE, from + 2); at >= 0 && at < end; at = buf.indexOf(LEGACY_NAME_MIDDLE, at + 1)) {
    const key = at - 2;
    if (startsWith(buf, LEGACY_NAME, key, end)) return key;
  }
  return -1;
}

function sameBytes(a: Buffer, buf: Buffer, from: number, length: number): boolean {
  if (a.length !== length) return false;
  for (let k = 0; k < length; k++) if (a[k] !== buf[from + k]) return false;
  return true;
}

function startsWith(buf: Buffer, prefix: Buffer, at: number, end: number): boolean {
  if (end < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

function endsLikeObject(buf: Buffer, start: number, end: number): boolean {
  let j = end - 1;
  while (j >= start && (buf[j] === 0x20 || buf[j] === 0x09 || buf[j] === 0x0d)) j--;
  return j > start && buf[j] === 0x7d;
}
