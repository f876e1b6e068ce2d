// Replay's hot path for lines in Tracee's own layout: instead of JSON.parse and
// the full decoder, one pass over the bytes checks the line is JSON the full
// decoder would accept (grammar, and the kind of every field it checks) and
// notes the few things the selected events are read for: the container id and
// started flag, the `env` of an exec (as a range: entries become strings only
// when asked for), `remote_addr` of a connect, `container_id` of a
// container_remove. Everything else is decoded from the line by the full
// decoder on first read (a finding reads the whole trigger), so the two agree
// by construction.
//
// The scanner declines (returns undefined) whatever it does not recognise:
// another key order for the head, escapes in keys or names, nesting past
// MAX_DEPTH, a field of an unexpected kind, threat or detected_from; the
// caller then runs the full decoder, which reports malformed lines as before.
// test/property/tracee-layout.test.ts checks: declined, or exactly what the
// full decoder gives, on real and generated lines of both shapes.
import type { DetectedFrom, Event, EventValue, LazyReads, SourceHandle, StringArraySummary, Threat, Timestamp, Workload } from '../model/event.js';
import { summarizeStrings } from '../model/accessors.js';
import { isRfc3339 } from '../model/time.js';
import { dataValue } from './current.js';
import { DecodeError } from './errors.js';
import { decodeJsonLine, type JsonShape } from './json.js';
import { legacyArg } from './legacy.js';

/** Deeper lines are left to the full decoder (its own limit is 64). */
const MAX_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const DONE = 0;
const MEMBER = 1;
const BAD = -1;
const UNKNOWN_KEY = -1;
const ESCAPED_KEY = -2;
/** member(): past the object's '}', or not an object member. */
const END = -3;
const FAULT = -4;
/** beforeKey(): at a key. */
const KEY = -5;

/** A JSON number literal: an integer (no fraction or exponent), another finite one, or one JSON.parse may round to ±Infinity or 0. */
const NOT_A_NUMBER = 0;
const INTEGER = 1;
const FRACTION = 2;
const OTHER_NUMBER = 3;
/** Longest number literal taken as finite without looking closer (a double holds up to about 1.8e308). */
const MAX_NUMBER_TEXT = 300;

const NO_BYTES = Buffer.alloc(0);
const NO_WORDS = new Int32Array(0);
const NO_VIEW = new DataView(new ArrayBuffer(0));

/** JSON grammar over buf[pos, end): each method checks and advances, or returns false/BAD. */
export class Cursor {
  buf: Buffer = NO_BYTES;
  /** buf's memory as 32-bit words, indexed from the start of its ArrayBuffer, and where buf starts in it. */
  private words = NO_WORDS;
  /** buf's memory as a DataView (indexed like words, from its ArrayBuffer's start): a template's bytes are compared four at a time. */
  view = NO_VIEW;
  offset = 0;
  /** While a scan learns a template: the holes the rules read, five integers each (see leaf()). */
  rec: number[] | undefined = undefined;
  pos = 0;
  end = 0;
  /** Content of the last string read, quotes excluded, and what it held. */
  strStart = 0;
  strEnd = 0;
  escaped = false;
  high = false;
  /** The last array of strings read: entries, their bytes +1 each (exact when plain), no escapes or non-ASCII, last entry. */
  arrayCount = 0;
  arrayBytes = 0;
  arrayPlain = true;
  arrayLastStart = 0;
  arrayLastEnd = 0;

  private noteArray(count: number, bytes: number, plain: boolean): void {
    this.arrayCount = count;
    this.arrayBytes = bytes;
    this.arrayPlain = plain;
    this.arrayLastStart = this.strStart;
    this.arrayLastEnd = this.strEnd;
  }

  /** Reads buf[pos, end) from now on. */
  use(buf: Buffer, pos: number, end: number): void {
    if (buf !== this.buf) {
      this.buf = buf;
      if (this.words.buffer !== buf.buffer) {
        this.words = new Int32Array(buf.buffer as ArrayBuffer, 0, buf.buffer.byteLength >> 2);
        this.view = new DataView(buf.buffer as ArrayBuffer);
      }
      this.offset = buf.byteOffset;
    }
    this.pos = pos;
    this.end = end;
  }

  ws(): void {
    const buf = this.buf;
    let p = this.pos;
    while (p < this.end) {
      const c = buf[p];
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      p++;
    }
    this.pos = p;
  }

  at(byte: number): boolean {
    return this.pos < this.end && this.buf[this.pos] === byte;
  }

  string(): boolean {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos + 1;
    let escaped = false;
    let high = false;
    this.strStart = p;
    const words = this.words;
    const offset = this.offset;
    const lastWord = (offset + end) >> 2;
    for (;;) {
      // Four bytes at a time while none is a quote, a backslash, a control or a non-ASCII byte
      // (each test is exact when no byte has its high bit set, which the first term rules out).
      if (((offset + p) & 3) === 0) {
        let w = (offset + p) >> 2;
        while (w < lastWord) {
          const x = words[w];
          if (((x | (x - 0x20202020) | ((x ^ 0x22222222) - 0x01010101) | ((x ^ 0x5c5c5c5c) - 0x01010101)) & 0x80808080) !== 0) break;
          w++;
        }
        p = (w << 2) - offset;
      }
      if (p >= end) return false;
      const c = buf[p];
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        if (p + 1 >= end) return false;
        const n = buf[p + 1];
        if (n === 0x75) {
          if (p + 5 >= end || !isHex(buf[p + 2]) || !isHex(buf[p + 3]) || !isHex(buf[p + 4]) || !isHex(buf[p + 5])) return false;
          p += 6;
        } else if (n === 0x22 || n === 0x5c || n === 0x2f || n === 0x62 || n === 0x66 || n === 0x6e || n === 0x72 || n === 0x74) p += 2;
        else return false;
        continue;
      }
      if (c < 0x20) return false;
      if (c >= 0x80) high = true;
      p++;
    }
    this.strEnd = p;
    this.pos = p + 1;
    this.escaped = escaped;
    this.high = high;
    return true;
  }

  /** The last string's value, exactly as JSON.parse of the line gives it. */
  text(): string {
    if (this.escaped) return JSON.parse(this.buf.toString('utf8', this.strStart - 1, this.strEnd + 1)) as string;
    return this.buf.toString('utf8', this.strStart, this.strEnd);
  }

  number(): number {
    const buf = this.buf;
    const end = this.end;
    const from = this.pos;
    let p = from;
    if (p < end && buf[p] === 0x2d) p++;
    if (p >= end) return NOT_A_NUMBER;
    if (buf[p] === 0x30) p++;
    else if (isDigit(buf[p])) while (p < end && isDigit(buf[p])) p++;
    else return NOT_A_NUMBER;
    let kind = INTEGER;
    if (p < end && buf[p] === 0x2e) {
      p++;
      if (p >= end || !isDigit(buf[p])) return NOT_A_NUMBER;
      while (p < end && isDigit(buf[p])) p++;
      kind = FRACTION;
    }
    if (p < end && (buf[p] === 0x65 || buf[p] === 0x45)) {
      p++;
      if (p < end && (buf[p] === 0x2b || buf[p] === 0x2d)) p++;
      if (p >= end || !isDigit(buf[p])) return NOT_A_NUMBER;
      while (p < end && isDigit(buf[p])) p++;
      kind = OTHER_NUMBER;
    }
    this.pos = p;
    return p - from > MAX_NUMBER_TEXT ? OTHER_NUMBER : kind;
  }

  literal(word: Buffer): boolean {
    if (this.pos + word.length > this.end) return false;
    for (let i = 0; i < word.length; i++) if (this.buf[this.pos + i] !== word[i]) return false;
    this.pos += word.length;
    return true;
  }

  /** Any JSON value at nesting level `depth`. */
  value(depth: number): boolean {
    if (this.pos >= this.end) return false;
    switch (this.buf[this.pos]) {
      case QUOTE: return this.string();
      case 0x7b: return this.anyObject(depth);
      case 0x5b: return this.stringArray(depth) !== BAD;
      case 0x74: return this.literal(TRUE);
      case 0x66: return this.literal(FALSE);
      case 0x6e: return this.literal(NULL);
      default: return this.number() !== NOT_A_NUMBER;
    }
  }

  anyObject(depth: number): boolean {
    if (depth > MAX_DEPTH) return false;
    this.pos++;
    for (let first = true; ; first = false) {
      const m = this.nextMember(first);
      if (m !== MEMBER) return m === DONE;
      if (!this.value(depth + 1)) return false;
    }
  }

  /** An array at '[': BAD, else 1 when every element is a string, 0 when not. */
  stringArray(depth: number): number {
    if (depth > MAX_DEPTH) return BAD;
    this.pos++;
    let strings = 1;
    let count = 0;
    let bytes = 0;
    let plain = true;
    for (let first = true; ; first = false) {
      const m = this.nextElement(first);
      if (m !== MEMBER) {
        if (m !== DONE) return BAD;
        if (strings === 1) this.noteArray(count, bytes, plain);
        return strings;
      }
      if (this.buf[this.pos] === QUOTE) {
        if (!this.string()) return BAD;
        count++;
        bytes += this.strEnd - this.strStart + 1;
        if (this.escaped || this.high) plain = false;
      } else {
        strings = 0;
        if (!this.value(depth + 1)) return BAD;
      }
    }
  }

  /** Inside an object: DONE after its '}', MEMBER with the key read and pos at the value, or BAD. */
  nextMember(first: boolean): number {
    const at = this.beforeKey(first);
    if (at !== KEY) return at === END ? DONE : BAD;
    if (!this.string()) return BAD;
    return this.afterKey() ? MEMBER : BAD;
  }

  /**
   * Member `i` of an object, its key looked up in `order`: END after the object's '}',
   * FAULT, or the key's index (UNKNOWN_KEY, ESCAPED_KEY) with pos at the value.
   */
  member(i: number, order: KeyOrder): number {
    const at = this.beforeKey(i === 0);
    if (at !== KEY) return at;
    const k = order.read(this, i);
    if (k === FAULT) return FAULT;
    return this.afterKey() ? k : FAULT;
  }

  /** Whitespace, a ',' unless first, whitespace: KEY at a key's quote, END after the object's '}', or FAULT. */
  private beforeKey(first: boolean): number {
    this.ws();
    if (this.pos >= this.end) return FAULT;
    let c = this.buf[this.pos];
    if (c === 0x7d) {
      this.pos++;
      return END;
    }
    if (!first) {
      if (c !== 0x2c) return FAULT;
      this.pos++;
      this.ws();
      if (this.pos >= this.end) return FAULT;
      c = this.buf[this.pos];
    }
    return c === QUOTE ? KEY : FAULT;
  }

  /** After a key: whitespace, ':', whitespace, and a value to come. */
  private afterKey(): boolean {
    this.ws();
    if (!this.at(0x3a)) return false;
    this.pos++;
    this.ws();
    return this.pos < this.end;
  }

  /** Inside an array: DONE after its ']', MEMBER with pos at the next element, or BAD. */
  nextElement(first: boolean): number {
    this.ws();
    if (this.pos >= this.end) return BAD;
    if (this.buf[this.pos] === 0x5d) {
      this.pos++;
      return DONE;
    }
    if (!first) {
      if (this.buf[this.pos] !== 0x2c) return BAD;
      this.pos++;
      this.ws();
    }
    return this.pos < this.end ? MEMBER : BAD;
  }
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/**
 * The keys of one kind of object in the order lines have them (known and
 * unknown ones): the lines of a recording come from one writer, so the key at
 * member i is nearly always one seen there before, and matching its bytes is
 * both the scan of the key and its lookup. A few keys are kept for each
 * member (an argument's value key varies with its type); others are looked up.
 */
class KeyOrder {
  /** Keys seen at member i, with their quotes (plain ASCII keys only), and their index in the table. */
  private readonly quoted: Buffer[][] = [];
  private readonly index: number[][] = [];
  constructor(private readonly table: KeyTable) {}

  /** The key at the cursor's quote, member i: its index in the table (UNKNOWN_KEY, ESCAPED_KEY), pos after it; FAULT when it is no string. */
  read(c: Cursor, i: number): number {
    const seen = this.quoted[i];
    if (seen !== undefined) {
      const buf = c.buf;
      const at = c.pos;
      for (let s = 0; s < seen.length; s++) {
        const key = seen[s];
        const n = key.length;
        if (at + n > c.end) continue;
        let j = 1; // the opening quote is known
        while (j < n && buf[at + j] === key[j]) j++;
        if (j < n) continue;
        c.strStart = at + 1;
        c.strEnd = at + n - 1;
        c.escaped = false;
        c.high = false;
        c.pos = at + n;
        return this.index[i][s];
      }
    }
    if (!c.string()) return FAULT;
    const k = this.table.find(c);
    if (!c.escaped && !c.high && i < MAX_ORDERED_KEYS && (seen?.length ?? 0) < KEYS_PER_MEMBER) {
      (this.quoted[i] ??= []).push(Buffer.from(c.buf.subarray(c.strStart - 1, c.strEnd + 1)));
      (this.index[i] ??= []).push(k);
    }
    return k;
  }
}

/** Keys remembered for one member of an object. */
const KEYS_PER_MEMBER = 4;
/** Members past this many in one object are looked up, not predicted. */
const MAX_ORDERED_KEYS = 64;

/** Known keys of one object, found by their bytes. */
class KeyTable {
  /** Keys by their length, with their index. */
  private readonly byLength: { bytes: Buffer; index: number }[][] = [];
  constructor(names: readonly string[]) {
    if (names.length > 31) throw new Error('a key table holds at most 31 keys (one bit each)');
    names.forEach((name, index) => {
      const bytes = Buffer.from(name);
      (this.byLength[bytes.length] ??= []).push({ bytes, index });
    });
  }

  /** The index of the key just read, UNKNOWN_KEY, or ESCAPED_KEY (it may spell a known one). */
  find(c: Cursor): number {
    if (c.escaped) return ESCAPED_KEY;
    const buf = c.buf;
    const from = c.strStart;
    const length = c.strEnd - from;
    const keys = this.byLength[length];
    if (keys === undefined) return UNKNOWN_KEY;
    outer: for (let k = 0; k < keys.length; k++) {
      const key = keys[k].bytes;
      for (let i = 0; i < length; i++) if (key[i] !== buf[from + i]) continue outer;
      return keys[k].index;
    }
    return UNKNOWN_KEY;
  }
}

// ---- rules: what a value must be for the full decoder to accept it ----------

/** Checks the value at the cursor (nesting level `depth`), noting what the event needs; false: decline. */
type Rule = (c: Cursor, depth: number, ev: ScannedEvent) => boolean;

// ---- templates: a line laid out like one scanned before ----------------------
//
// The lines of a recording come from one writer: line after line, an event's keys,
// punctuation and the values that steer the rules (an argument's name, null or
// not) are the same bytes. A scan that accepts a line can note where the rules
// read a value (the holes) and keep the bytes between them as a template; a later
// line with those same bytes between its holes is checked by running, at each
// hole, the very rule the scan ran there, and comparing the bytes between four at
// a time: the rules decide exactly as they would have, without walking the keys.

/** A rule at a template's hole, with the integer it was recorded with (an argument's index). */
type Hole = (c: Cursor, depth: number, ev: ScannedEvent, arg: number) => boolean;

/** Rules that only walk into what other rules check (objects, lists): a template keeps their bytes, not a hole. */
const STRUCTURAL = new WeakSet<Rule>();
function structural(rule: Rule): Rule {
  STRUCTURAL.add(rule);
  return rule;
}

/** Every rule a hole has held, by number. */
const HOLES: Hole[] = [];
const HOLE_IDS = new Map<Hole, number>();
function holeId(hole: Hole): number {
  let id = HOLE_IDS.get(hole);
  if (id === undefined) {
    id = HOLES.push(hole) - 1;
    HOLE_IDS.set(hole, id);
  }
  return id;
}

/** Runs `hole` at the cursor while a scan learns a template, noting it as a hole (holes do not nest). */
function leaf(c: Cursor, hole: Hole, depth: number, ev: ScannedEvent, arg = 0): boolean {
  const rec = c.rec!;
  const at = c.pos;
  c.rec = undefined;
  const ok = hole(c, depth, ev, arg);
  c.rec = rec;
  if (ok) rec.push(at, c.pos, holeId(hole), depth, arg);
  return ok;
}

/** What a template holds per hole: the bytes before it (start and end in `bytes`), then the hole's rule, depth and arg. */
const OP = 5;

class Template {
  private readonly view: DataView;
  private constructor(
    /** The line the template was learned from. */
    private readonly bytes: Buffer,
    /** OP integers per hole, then the bytes after the last one ([start, end) in `bytes`). */
    private readonly ops: Int32Array,
    /** What the line's structure (not a hole) noted: they are the same for every line that matches. */
    private readonly containerSeen: boolean,
    private readonly flagsSeen: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  /** The template of buf[start, end), the line a scan just accepted, recording `rec` (leaf()'s holes). */
  static of(buf: Buffer, start: number, end: number, rec: number[], ev: ScannedEvent): Template {
    // The whole line is kept, its bytes between holes compared where they lie in it: one copy (a Buffer
    // per piece and Buffer.concat took longer than the scan itself).
    const ops = new Int32Array(rec.length + 2);
    let from = 0;
    for (let at = 0; at < rec.length; at += OP) {
      ops[at] = from;
      ops[at + 1] = rec[at] - start;
      ops[at + 2] = rec[at + 2];
      ops[at + 3] = rec[at + 3];
      ops[at + 4] = rec[at + 4];
      from = rec[at + 1] - start;
    }
    ops[rec.length] = from;
    ops[rec.length + 1] = end - start;
    return new Template(Buffer.from(buf.subarray(start, end)), ops, ev.containerSeen, ev.flagsSeen);
  }

  /** Whether the cursor's line matches, noting into `ev` what a scan of it would have. */
  match(c: Cursor, ev: ScannedEvent): boolean {
    const ops = this.ops;
    const last = ops.length - 2;
    for (let at = 0; ; at += OP) {
      if (!this.same(c, ops[at], ops[at + 1])) return false;
      if (at === last) break;
      if (!HOLES[ops[at + 2]](c, ops[at + 3], ev, ops[at + 4])) return false;
    }
    if (c.pos !== c.end) return false;
    ev.containerSeen = this.containerSeen;
    ev.flagsSeen = this.flagsSeen;
    return true;
  }

  /** Whether the line holds bytes[from, to) at the cursor (then the cursor moves past them). */
  private same(c: Cursor, from: number, to: number): boolean {
    let p = c.pos;
    if (p + to - from > c.end) return false;
    const line = c.view;
    const offset = c.offset;
    const mine = this.view;
    let q = from;
    for (; q + 4 <= to; q += 4, p += 4) if (line.getInt32(offset + p, true) !== mine.getInt32(q, true)) return false;
    const buf = c.buf;
    const bytes = this.bytes;
    for (; q < to; q++, p++) if (buf[p] !== bytes[q]) return false;
    c.pos = p;
    return true;
  }
}

/** Templates kept per event name and shape. */
const TEMPLATES = 4;
/**
 * Past this many lines that no template matched, templates stay off for a name unless three lines in
 * four match: a line that matches none costs 2.2-2.6 times a scan by the rules alone (the tries, and a
 * new template), one that matches about 0.7 (in-process, 20,000 lines of the realistic mix).
 */
const TEMPLATE_TRIAL = 256;

/** The templates of one event name and shape, the most recently matched first. */
class Templates {
  readonly list: Template[] = [];
  hits = 0;
  misses = 0;
  on = true;

  hit(i: number): void {
    this.hits++;
    if (i > 0) [this.list[0], this.list[i]] = [this.list[i], this.list[0]];
  }

  miss(): void {
    if (++this.misses > TEMPLATE_TRIAL && this.misses * 3 > this.hits) this.on = false;
  }

  /** A template of the line just scanned: in place of the one matched least recently when full. */
  add(t: Template): void {
    if (this.list.length < TEMPLATES) this.list.push(t);
    else this.list[TEMPLATES - 1] = t;
  }
}

const isNull = (c: Cursor): boolean => c.at(0x6e) && c.literal(NULL);
const ANY: Rule = (c, depth) => c.value(depth);
const STRING: Rule = (c) => isNull(c) || (c.at(QUOTE) && c.string());
const NUMBER: Rule = (c) => {
  if (isNull(c)) return true;
  const kind = c.number();
  return kind === INTEGER || kind === FRACTION;
};
const BOOL: Rule = (c) => c.literal(TRUE) || c.literal(FALSE) || isNull(c);
/** An array of strings (not null: the decoders' stringList refuses it). */
const STRINGS: Rule = (c, depth) => c.at(0x5b) && c.stringArray(depth) === 1;
/** null, or an object of any content. */
const ANY_OBJECT: Rule = (c, depth) => isNull(c) || (c.at(0x7b) && c.anyObject(depth));
/** An RFC 3339 text (or Tracee's "null"), or null. */
const RFC3339: Rule = (c) => {
  if (isNull(c)) return true;
  if (!c.at(QUOTE) || !c.string() || c.escaped) return false;
  if (isRfc3339(c.buf, c.strStart, c.strEnd)) return true;
  return c.buf.toString('latin1', c.strStart, c.strEnd) === 'null';
};

/** An object whose known keys follow their rules (each at most once); other keys may hold anything. */
function object(keys: readonly string[], rules: readonly Rule[], nullable = true): Rule {
  const order = new KeyOrder(new KeyTable(keys));
  return structural((c, depth, ev) => {
    if (nullable && isNull(c)) return true;
    if (!c.at(0x7b) || depth > MAX_DEPTH) return false;
    c.pos++;
    let seen = 0;
    for (let i = 0; ; i++) {
      const k = c.member(i, order);
      if (k === END) return true;
      if (k === FAULT || k === ESCAPED_KEY) return false;
      if (k === UNKNOWN_KEY) {
        if (!(c.rec ? leaf(c, ANY, depth + 1, ev) : c.value(depth + 1))) return false;
        continue;
      }
      if (seen & (1 << k)) return false; // a repeated key: JSON.parse keeps the last, the notes here the first
      seen |= 1 << k;
      const rule = rules[k];
      if (!(c.rec && !STRUCTURAL.has(rule) ? leaf(c, rule, depth + 1, ev) : rule(c, depth + 1, ev))) return false;
    }
  });
}

/** object(), noting that it was there (not null). */
function seenObject(note: (ev: ScannedEvent) => void, keys: readonly string[], rules: readonly Rule[]): Rule {
  const inner = object(keys, rules);
  return structural((c, depth, ev) => {
    if (isNull(c)) return true;
    note(ev);
    return inner(c, depth, ev);
  });
}

/** A string rule that also hands where the value lies to `note` (the string is built only if read). */
function noted(note: (ev: ScannedEvent, at: TextAt | undefined) => void): Rule {
  return (c, _depth, ev) => {
    if (isNull(c)) {
      note(ev, undefined);
      return true;
    }
    if (!c.at(QUOTE) || !c.string()) return false;
    note(ev, c.escaped ? -c.strStart : c.strStart);
    return true;
  };
}

/** Where a string's content starts (negative when it has escapes); it ends at the next unescaped quote. */
type TextAt = number;

function notedBool(note: (ev: ScannedEvent, value: boolean | undefined) => void): Rule {
  return (c, _depth, ev) => {
    if (c.literal(TRUE)) note(ev, true);
    else if (c.literal(FALSE)) note(ev, false);
    else if (isNull(c)) note(ev, undefined);
    else return false;
    return true;
  };
}

/** The event's name: a plain string equal to the one the prefilter read. */
const EVENT_NAME: Rule = (c, _depth, ev) => {
  if (!c.at(QUOTE) || !c.string() || c.escaped || c.high) return false;
  const name = ev.name;
  ev.nameSeen = true;
  if (c.strEnd - c.strStart !== name.length || name.length === 0) return false;
  for (let i = 0; i < name.length; i++) if (c.buf[c.strStart + i] !== name.charCodeAt(i)) return false;
  return true;
};

/** The arguments noted: env as a range; remote_addr and container_id decoded at scan time (they are small). */
const NOTED_NAMES = ['env', 'remote_addr', 'container_id'];
const NOTED_ARGUMENTS = new KeyTable(NOTED_NAMES);
/** Stands for the name of any other argument (never a real name: it has a NUL). */
const OTHER_ARGUMENT = '\0other';

/** Keys of an argument object: legacy reads name, type and value; current reads name and the value kinds. */
const ARG_KEYS = new KeyTable(['name', 'type', 'value', 'str_array', 'sockaddr', 'int32', 'u_int32', 'str', 'bool', 'int64', 'u_int64', 'pointer', 'bytes']);
const LEGACY_ARG_ORDER = new KeyOrder(ARG_KEYS);
const CURRENT_ARG_ORDER = new KeyOrder(ARG_KEYS);
const K_NAME = 0;
const K_TYPE = 1;
const K_VALUE = 2;
const K_STR_ARRAY = 3;
const K_SOCKADDR = 4;
const K_INT32 = 5;
const K_U_INT32 = 6;
const K_STR = 7;
const K_BOOL = 8;
const K_BYTES = 12;

/**
 * One argument, whichever shape: notes the first `env` of an exec as a range
 * and decodes the first remote_addr and container_id. `hard` items (object values the
 * decoder checks closely) are decoded now, with the decoder's own code.
 */
function argumentItem(c: Cursor, depth: number, ev: ScannedEvent, index: number, legacy: boolean): boolean {
  const rec = c.rec;
  if (rec === undefined) return argument(c, depth, ev, index, legacy, undefined);
  c.rec = undefined; // what the argument's values hold is not recorded: they are its holes
  try {
    return argument(c, depth, ev, index, legacy, rec);
  } finally {
    c.rec = rec;
  }
}

/** argumentItem(), recording into `rec` (learning a template) the values' holes, or the whole argument as one unless it is only checked. */
function argument(c: Cursor, depth: number, ev: ScannedEvent, index: number, legacy: boolean, rec: number[] | undefined): boolean {
  if (!c.at(0x7b) || depth > MAX_DEPTH) return false;
  const itemStart = c.pos;
  c.pos++;
  const holes = rec?.length ?? 0;
  let valueAt = 0;
  let name: string | undefined;
  let seen = 0;
  let kinds = 0; // keys besides name (and type, for legacy)
  let hard = false;
  let arrayStart = -1;
  let strings = 0;
  let nullValue = false;
  let sawStrArray = false;
  for (let i = 0; ; i++) {
    let k = c.member(i, legacy ? LEGACY_ARG_ORDER : CURRENT_ARG_ORDER);
    if (k === FAULT || k === ESCAPED_KEY) return false;
    if (k === END) break;
    if (legacy && k > K_VALUE) k = UNKNOWN_KEY; // legacy reads no kind keys
    if (k >= 0) {
      if (seen & (1 << k)) return false;
      seen |= 1 << k;
    }
    valueAt = c.pos;
    if (k === K_NAME) {
      if (!c.at(QUOTE) || !c.string()) return false;
      // Only the noted arguments' names become strings.
      const noted = NOTED_ARGUMENTS.find(c);
      name = noted === ESCAPED_KEY ? c.text() : noted === UNKNOWN_KEY ? OTHER_ARGUMENT : NOTED_NAMES[noted];
      continue;
    }
    if (k === UNKNOWN_KEY || k === K_TYPE) {
      if (!c.value(depth + 1)) return false;
      if (!legacy) kinds++; // an opaque kind, or a key the decoder ignores
      rec?.push(valueAt, c.pos, holeId(ANY), depth + 1, 0);
      continue;
    }
    kinds++;
    if (k === K_VALUE) {
      // legacy's only value key, current's generic variant
      if (c.at(0x5b)) {
        const at = c.pos;
        strings = c.stringArray(depth + 1);
        if (strings === BAD) return false;
        arrayStart = at;
        if (strings === 1) ev.noteItemArray(c, at);
        if (!legacy && strings === 0) return false; // the generic variant refuses arrays of other things
      } else if (c.at(0x7b)) {
        hard = true;
        if (!c.anyObject(depth + 1)) return false;
      } else {
        nullValue = c.at(0x6e);
        if (!c.value(depth + 1)) return false;
      }
      rec?.push(valueAt, c.pos, holeId(ITEM_VALUE), depth + 1, legacy ? 1 : 0);
      continue;
    }
    if (k === K_STR_ARRAY) {
      // {"value":[...]} (or {}): noted for env
      if (!c.at(0x7b)) return false;
      ev.itemArrayStart = -1;
      if (!STR_ARRAY_OBJECT(c, depth + 1, ev)) return false;
      arrayStart = ev.itemArrayStart;
      strings = 1;
      sawStrArray = true;
      rec?.push(valueAt, c.pos, holeId(ITEM_STR_ARRAY), depth + 1, 0);
      continue;
    }
    if (k === K_SOCKADDR) {
      if (isNull(c)) continue;
      hard = true;
      if (!c.at(0x7b) || !c.anyObject(depth + 1)) return false;
      continue;
    }
    const hole = k === K_INT32 || k === K_U_INT32 ? ITEM_INT : k === K_STR || k === K_BYTES ? ITEM_STR : k === K_BOOL ? ITEM_BOOL : ITEM_INT64; // int64, u_int64, pointer
    if (!hole(c, depth + 1, ev, 0)) return false;
    rec?.push(valueAt, c.pos, holeId(hole), depth + 1, 0);
  }
  if (name === undefined) return false;
  if (rec && (name !== OTHER_ARGUMENT || hard)) {
    rec.length = holes;
    rec.push(itemStart, c.pos, holeId(ITEM), depth, index * 2 + (legacy ? 1 : 0));
  }
  if (name === 'env' && ev.name === 'sched_process_exec') {
    // A string array or nothing (legacy: no value or null; current: one str_array, or a generic
    // "value" array or null); anything else is the full decoder's to judge.
    if (!legacy && kinds !== 1) return false;
    if (arrayStart >= 0) {
      if (strings !== 1) return false;
    } else if (!(nullValue || sawStrArray || (legacy && kinds === 0))) return false;
    if (ev.envStart === NOT_SEEN) ev.takeEnv(arrayStart >= 0);
    return true;
  }
  const eager = name === 'remote_addr' || name === 'container_id';
  if (!hard && !eager) return true;
  if (ev.deferNotedItems) {
    // Left for decodeNotedItems, on the thread that dispatches the event (it reads them there).
    if (name === 'remote_addr' && ev.remoteAddrItem === undefined) {
      ev.remoteAddrItem = [itemStart, c.pos, index];
      return true;
    }
    if (name === 'container_id' && ev.containerIdItem === undefined) {
      ev.containerIdItem = [itemStart, c.pos, index];
      return true;
    }
  }
  let decoded: EventValue;
  try {
    decoded = eager ? decodedItem(c.buf, itemStart, c.pos, index, legacy ? 'legacy' : 'current', ev.name) : decodeItem(c.buf.toString('utf8', itemStart, c.pos), index, legacy ? 'legacy' : 'current', ev.name);
  } catch (e) {
    if (e instanceof DecodeError) return false;
    throw e;
  }
  if (name === 'remote_addr' && ev.remoteAddrItem === undefined) {
    ev.remoteAddr = decoded;
    ev.remoteAddrItem = [itemStart, c.pos, index];
  } else if (name === 'container_id' && ev.containerIdItem === undefined) {
    ev.containerIdArgument = decoded;
    ev.containerIdItem = [itemStart, c.pos, index];
  }
  return true;
}

/** {"value":[strings]} (noted as the item's array) or an object without "value" (then no entries). */
const STR_ARRAY_OBJECT: Rule = object(
  ['value'],
  [
    (c, depth, ev) => {
      const at = c.pos;
      if (!STRINGS(c, depth, ev)) return false;
      ev.noteItemArray(c, at);
      return true;
    },
  ],
  false,
);

/** Decimal digits as a string (at most 20, optional minus), or an integer number. */
function int64Text(c: Cursor): boolean {
  if (!c.at(QUOTE)) return c.number() === INTEGER;
  if (!c.string() || c.escaped) return false;
  let i = c.strStart;
  if (i < c.strEnd && c.buf[i] === 0x2d) i++;
  const digits = c.strEnd - i;
  if (digits < 1 || digits > 20) return false;
  for (; i < c.strEnd; i++) if (!isDigit(c.buf[i])) return false;
  return true;
}

function argumentList(legacy: boolean): Rule {
  return structural((c, depth, ev) => {
    if (isNull(c)) return true;
    if (!c.at(0x5b) || depth > MAX_DEPTH) return false;
    c.pos++;
    for (let i = 0; ; i++) {
      const m = c.nextElement(i === 0);
      if (m !== MEMBER) return m === DONE;
      if (!argumentItem(c, depth + 1, ev, i, legacy)) return false;
    }
  });
}

/** An argument as a template's hole: arg = its index * 2, + 1 when legacy. */
const ITEM: Hole = (c, depth, ev, arg) => argumentItem(c, depth, ev, arg >> 1, (arg & 1) === 1);

// An argument that is only checked (not env, remote_addr or container_id, no object value) keeps its
// keys and name in a template, its values as holes: each hole accepts what the argument's loop accepts
// for its key, but no object (that would make the argument one the loop decodes).
const ITEM_VALUE: Hole = (c, depth, _ev, legacy) => {
  if (c.at(0x7b)) return false;
  if (!c.at(0x5b)) return c.value(depth);
  const strings = c.stringArray(depth);
  return strings !== BAD && (legacy === 1 || strings === 1);
};
const ITEM_STR_ARRAY: Hole = (c, depth, ev) => c.at(0x7b) && STR_ARRAY_OBJECT(c, depth, ev);
const ITEM_INT: Hole = (c) => c.number() === INTEGER;
const ITEM_STR: Hole = (c) => c.at(QUOTE) && c.string();
const ITEM_BOOL: Hole = (c) => c.literal(TRUE) || c.literal(FALSE);
const ITEM_INT64: Hole = (c) => int64Text(c);

// ---- legacy trace.Event ------------------------------------------------------

const LEGACY_EVENT: Rule = object(
  [
    'timestamp', 'eventName', 'eventId', 'matchedPolicies', 'args', 'container', 'kubernetes', 'contextFlags', 'containerId',
    'processId', 'threadStartTime', 'processEntityId', 'hostProcessId', 'userId', 'threadEntityId', 'hostThreadId', 'threadId',
    'parentEntityId', 'hostParentProcessId', 'parentProcessId', 'processName', 'syscall', 'executable', 'containerImage',
    'containerName', 'podName', 'podUID', 'podNamespace',
  ],
  [
    (c, _depth, ev) => (ev.timestampSeen = c.number() === INTEGER), // an integer count of nanoseconds
    EVENT_NAME,
    (c) => (c.at(QUOTE) ? c.string() && !c.escaped && c.strEnd > c.strStart && allDigits(c) : c.number() === INTEGER),
    (c, depth) => (c.at(0x5b) ? c.stringArray(depth) === 1 : c.value(depth)), // matchedPolicies: only an array is read
    argumentList(true),
    object(['id', 'image', 'imageDigest', 'name'], [noted((ev, at) => (ev.containerObjectIdAt = at)), STRING, STRING, STRING]),
    object(['podName', 'podUID', 'podNamespace'], [STRING, STRING, STRING]),
    seenObject((ev) => (ev.flagsSeen = true), ['containerStarted', 'isCompat'], [notedBool((ev, started) => (ev.flagsStarted = started === true)), BOOL]),
    noted((ev, at) => (ev.flatContainerIdAt = at)),
    ...Array<Rule>(11).fill(NUMBER),
    STRING, // processName
    STRING, // syscall
    object(['path'], [STRING]),
    STRING, STRING, STRING, STRING, STRING,
  ],
  false,
);

function allDigits(c: Cursor): boolean {
  for (let i = c.strStart; i < c.strEnd; i++) if (!isDigit(c.buf[i])) return false;
  return true;
}

// ---- current tracee.v1beta1.Event JSON --------------------------------------

const UINT: Rule = (c, depth, ev) => (c.at(0x7b) ? UINT_WRAPPER(c, depth, ev) : NUMBER(c, depth, ev));
const UINT_WRAPPER: Rule = object(['value'], [NUMBER], false);

const PROCESS: Rule = structural((c, depth, ev) => PROCESS_OBJECT(c, depth, ev));
/** Only an array is read, else any value: not an array, the whole rule is a template's hole (an array in its place takes the other way). */
const ANCESTORS: Rule = structural((c, depth, ev) => {
  if (!c.at(0x5b)) return c.rec ? leaf(c, ANCESTORS, depth, ev) : c.value(depth);
  if (depth > MAX_DEPTH) return false;
  c.pos++;
  for (let first = true; ; first = false) {
    const m = c.nextElement(first);
    if (m !== MEMBER) return m === DONE;
    if (!c.at(0x7b) || !PROCESS(c, depth + 1, ev)) return false;
  }
});
const PROCESS_OBJECT: Rule = object(
  ['unique_id', 'host_pid', 'pid', 'executable', 'real_user', 'thread', 'ancestors'],
  [
    UINT, UINT, UINT,
    object(['path'], [STRING]),
    object(['id'], [UINT]),
    object(
      ['start_time', 'name', 'unique_id', 'host_tid', 'tid', 'syscall', 'compat', 'user_stack_trace'],
      [RFC3339, STRING, UINT, UINT, UINT, STRING, BOOL, ANY_OBJECT],
    ),
    ANCESTORS,
  ],
);

const CURRENT_EVENT: Rule = object(
  ['timestamp', 'id', 'name', 'policies', 'workload', 'data', 'threat', 'detected_from', 'eventName'],
  [
    RFC3339,
    (c) => (c.at(QUOTE) ? c.string() : c.number() === INTEGER), // a number, or protojson's enum name
    EVENT_NAME,
    object(['matched'], [STRINGS]),
    object(
      ['process', 'container', 'k8s'],
      [
        PROCESS,
        seenObject(
          (ev) => (ev.containerSeen = true),
          ['id', 'name', 'image', 'started', 'is_running'],
          [
            noted((ev, at) => (ev.containerObjectIdAt = at)),
            STRING,
            object(['id', 'repo_digests', 'name'], [STRING, STRINGS, STRING]),
            notedBool((ev, started) => (ev.startedField = started)),
            notedBool((ev, running) => (ev.isRunningField = running)),
          ],
        ),
        object(['pod', 'namespace'], [object(['name', 'uid', 'labels'], [STRING, STRING, ANY_OBJECT]), object(['name'], [STRING])]),
      ],
    ),
    argumentList(false),
    isNull, // threat and detected_from: findings, not events a signature selects; the full decoder reads them
    isNull,
    () => false, // "eventName" would make it a legacy line
  ],
  false,
);

// ---- the event --------------------------------------------------------------

const NOT_SEEN = -1;
const NOT_AN_ARRAY = -2;

/**
 * An event read from a line in Tracee's layout: the container and the noted
 * arguments answer from the scan, everything else from the full decoder, run
 * once on first read. Valid while its line's buffer is (replay reads it during
 * dispatch).
 */
export class ScannedEvent implements Event, LazyReads {
  containerObjectIdAt: TextAt | undefined;
  flatContainerIdAt: TextAt | undefined;
  /** The first remote_addr and container_id arguments, decoded at scan time (from notes: on first read), and their items' [start, end) and index. */
  remoteAddr: EventValue | undefined;
  containerIdArgument: EventValue | undefined;
  remoteAddrItem: ArgumentItem | undefined;
  containerIdItem: ArgumentItem | undefined;
  private container: string | undefined;
  /** Set by a scanner that leaves the noted items' decoding to decodeNotedItems (TraceeLineScanner's option). */
  deferNotedItems = false;
  nameSeen = false;
  timestampSeen = false;
  containerSeen = false;
  flagsSeen = false;
  flagsStarted = false;
  startedField: boolean | undefined;
  isRunningField: boolean | undefined;
  /** The first exec `env` array: its [start, end) in the buffer (else NOT_SEEN or NOT_AN_ARRAY), and what the scan counted. */
  envStart = NOT_SEEN;
  envEnd = NOT_SEEN;
  envCount = 0;
  envBytes = 0;
  envPlain = true;
  envLastStart = 0;
  envLastEnd = 0;
  /** The string array of the argument being scanned, as the cursor counted it. */
  itemArrayStart = -1;
  private itemArrayEnd = -1;
  private itemCount = 0;
  private itemBytes = 0;
  private itemPlain = true;
  private itemLastStart = 0;
  private itemLastEnd = 0;

  noteItemArray(c: Cursor, start: number): void {
    this.itemArrayStart = start;
    this.itemArrayEnd = c.pos;
    this.itemCount = c.arrayCount;
    this.itemBytes = c.arrayBytes;
    this.itemPlain = c.arrayPlain;
    this.itemLastStart = c.arrayLastStart;
    this.itemLastEnd = c.arrayLastEnd;
  }

  /** The argument just scanned is the env: keep its array (or its absence). */
  takeEnv(isArray: boolean): void {
    if (!isArray) {
      this.envStart = NOT_AN_ARRAY;
      return;
    }
    this.envStart = this.itemArrayStart;
    this.envEnd = this.itemArrayEnd;
    this.envCount = this.itemCount;
    this.envBytes = this.itemBytes;
    this.envPlain = this.itemPlain;
    this.envLastStart = this.itemLastStart;
    this.envLastEnd = this.itemLastEnd;
  }
  private decoded: Event | undefined;

  constructor(readonly name: string, readonly shape: JsonShape, private readonly buf: Buffer, private readonly start: number, private readonly end: number) {}

  /** The whole event, from the full decoder (which the scan checked will accept the line). */
  full(): Event {
    return (this.decoded ??= decodeJsonLine(this.buf.toString('utf8', this.start, this.end)).event);
  }

  get id(): number {
    return this.full().id;
  }
  get timestamp(): Timestamp | undefined {
    return this.full().timestamp;
  }
  get policies(): Event['policies'] {
    return this.full().policies;
  }
  get workload(): Workload | undefined {
    return this.full().workload;
  }
  get data(): EventValue[] {
    return this.full().data;
  }
  get threat(): Threat | undefined {
    return this.full().threat;
  }
  get detected_from(): DetectedFrom | undefined {
    return this.full().detected_from;
  }
  get source(): SourceHandle | undefined {
    return this.full().source;
  }

  containerId(): string {
    if (this.container === undefined) {
      const nested = this.textAt(this.containerObjectIdAt);
      this.container = this.shape === 'current' ? nested : nested || this.textAt(this.flatContainerIdAt);
    }
    return this.container;
  }

  private textAt(at: TextAt | undefined): string {
    if (at === undefined) return '';
    const from = at < 0 ? -at : at;
    const c = READER;
    c.use(this.buf, from - 1, this.end);
    c.string();
    return c.text();
  }

  /** An argument the scan checked, decoded again (an event rebuilt from its notes). */
  private itemValue(item: ArgumentItem | undefined): EventValue | undefined {
    if (item === undefined) return undefined;
    const [from, to, index] = item;
    return decodedItem(this.buf, from, to, index, this.shape, this.name);
  }

  /** What the scan noted, as NOTES integers from out[at]: the event again, elsewhere, by fromNotes (decoded values excepted: decodeNotedItems decodes them there). */
  writeNotes(out: Int32Array, at: number): void {
    out[at] = this.containerObjectIdAt ?? 0;
    out[at + 1] = this.flatContainerIdAt ?? 0;
    out[at + 2] =
      (this.nameSeen ? 1 : 0) | (this.timestampSeen ? 2 : 0) | (this.containerSeen ? 4 : 0) | (this.flagsSeen ? 8 : 0) | (this.flagsStarted ? 16 : 0) |
      (this.startedField === undefined ? 0 : this.startedField ? 32 : 64) | (this.isRunningField === undefined ? 0 : this.isRunningField ? 128 : 256) |
      (this.envPlain ? 512 : 0);
    out[at + 3] = this.envStart;
    out[at + 4] = this.envEnd;
    out[at + 5] = this.envCount;
    out[at + 6] = this.envBytes;
    out[at + 7] = this.envLastStart;
    out[at + 8] = this.envLastEnd;
    writeItem(out, at + 9, this.remoteAddrItem);
    writeItem(out, at + 12, this.containerIdItem);
  }

  static fromNotes(name: string, shape: JsonShape, buf: Buffer, start: number, end: number, notes: Int32Array, at: number): ScannedEvent {
    const ev = new ScannedEvent(name, shape, buf, start, end);
    ev.containerObjectIdAt = notes[at] === 0 ? undefined : notes[at];
    ev.flatContainerIdAt = notes[at + 1] === 0 ? undefined : notes[at + 1];
    const flags = notes[at + 2];
    ev.nameSeen = (flags & 1) !== 0;
    ev.timestampSeen = (flags & 2) !== 0;
    ev.containerSeen = (flags & 4) !== 0;
    ev.flagsSeen = (flags & 8) !== 0;
    ev.flagsStarted = (flags & 16) !== 0;
    ev.startedField = flags & 32 ? true : flags & 64 ? false : undefined;
    ev.isRunningField = flags & 128 ? true : flags & 256 ? false : undefined;
    ev.envPlain = (flags & 512) !== 0;
    ev.envStart = notes[at + 3];
    ev.envEnd = notes[at + 4];
    ev.envCount = notes[at + 5];
    ev.envBytes = notes[at + 6];
    ev.envLastStart = notes[at + 7];
    ev.envLastEnd = notes[at + 8];
    ev.remoteAddrItem = readItem(notes, at + 9);
    ev.containerIdItem = readItem(notes, at + 12);
    return ev;
  }

  /**
   * Decodes the first remote_addr and container_id items, when a scan noted them without decoding
   * them (deferNotedItems): false when one does not decode, and the line is the full decoder's.
   */
  decodeNotedItems(): boolean {
    try {
      if (this.remoteAddrItem) this.remoteAddr = this.itemValue(this.remoteAddrItem);
      if (this.containerIdItem) this.containerIdArgument = this.itemValue(this.containerIdItem);
      return true;
    } catch (e) {
      if (e instanceof DecodeError) return false;
      throw e;
    }
  }

  containerStarted(): boolean {
    if (this.shape === 'current') return this.containerSeen && (this.startedField ?? this.isRunningField ?? false);
    const id = this.containerId();
    if (id === '') return false;
    return this.flagsSeen ? this.flagsStarted : true;
  }

  argument(name: string): EventValue | undefined {
    if (this.decoded === undefined) {
      if (name === 'remote_addr') return (this.remoteAddr ??= this.itemValue(this.remoteAddrItem));
      if (name === 'container_id') return (this.containerIdArgument ??= this.itemValue(this.containerIdItem));
    }
    for (const v of this.full().data) if (v.name === name) return v;
    return undefined;
  }

  stringArraySummary(name: string, prefix?: string): StringArraySummary | undefined {
    if (name !== 'env' || this.name !== 'sched_process_exec' || this.decoded !== undefined) {
      const v = this.argument(name);
      return v?.str_array?.value ? summarizeStrings(v.str_array.value, prefix) : undefined;
    }
    if (this.envStart < 0) return undefined;
    if (!this.envPlain) return summarizeRange(this.buf, this.envStart, this.envEnd, prefix);
    // Plain entries (no escapes, ASCII): their sizes were counted by the scan, and an entry
    // with the prefix starts right after a quote (every quote here delimits an entry).
    const out: StringArraySummary = {
      length: this.envCount,
      nulTerminatedBytes: this.envBytes,
      last: this.envCount > 0 ? this.buf.toString('latin1', this.envLastStart, this.envLastEnd) : undefined,
      withPrefix: [],
    };
    if (prefix === undefined) return out;
    const needle = Buffer.from(prefix);
    if (needle.length === 0 || needle.length !== prefix.length) return summarizeRange(this.buf, this.envStart, this.envEnd, prefix);
    // Searched within the array only: the buffer may hold megabytes of later lines.
    const env = this.buf.subarray(this.envStart, this.envEnd);
    for (let at = env.indexOf(needle); at >= 0; at = env.indexOf(needle, at + 1)) {
      if (env[at - 1] !== QUOTE) continue;
      const close = env.indexOf(QUOTE, at);
      out.withPrefix.push(env.toString('latin1', at, close));
      at = close;
    }
    return out;
  }
}

/**
 * The cursor events read their strings again with after the scan (one per thread: a reading never
 * calls another): a new one each time made views of the whole chunk's memory for every container id read.
 */
const READER = new Cursor();

/** An argument's item decoded from its text, as the full decoder decodes it (DecodeError when it would refuse it). */
function decodeItem(text: string, index: number, shape: JsonShape, eventName: string): EventValue {
  const parsed = JSON.parse(text) as unknown;
  return shape === 'legacy' ? legacyArg(parsed, index, eventName) : dataValue(parsed, `data[${index}]`, eventName);
}

/**
 * remote_addr and container_id items decoded, by their text: a host's connects go to a few
 * destinations (its DNS server, the API server) again and again, and a copy of a value decoded
 * before costs a tenth of decoding it. Only values of plain fields are kept (a sockaddr, a string):
 * each event gets its own copy, so a signature that changes one changes no other event's.
 */
class DecodedItems {
  /** Items decoded lately, and in the generation before (kept while they are still read: a cheap least-recently-used). */
  private recent = new Map<string, EventValue>();
  private older = new Map<string, EventValue>();

  get(text: string): EventValue | undefined {
    const v = this.recent.get(text);
    if (v !== undefined) return v;
    const old = this.older.get(text);
    if (old !== undefined) this.set(text, old);
    return old;
  }

  set(text: string, v: EventValue): void {
    if (this.recent.size >= DECODED_ITEMS_KEPT) {
      this.older = this.recent;
      this.recent = new Map();
    }
    this.recent.set(text, v);
  }
}
const DECODED_ITEMS = { current: new DecodedItems(), legacy: new DecodedItems() };
/** Items a generation keeps (two per shape: well under a MB; 4,096 gave no more hits on the benchmark recordings). */
const DECODED_ITEMS_KEPT = 1024;

function decodedItem(buf: Buffer, from: number, to: number, index: number, shape: JsonShape, eventName: string): EventValue {
  const text = buf.toString('utf8', from, to);
  const kept = DECODED_ITEMS[shape];
  const seen = kept.get(text);
  if (seen !== undefined) return copyOfPlain(seen);
  const value = decodeItem(text, index, shape, eventName); // the index and event name only word its errors: those are never kept
  if (isPlain(value)) kept.set(text, copyOfPlain(value));
  return value;
}

/** A value whose fields are primitives, or a sockaddr (an object of primitives). */
function isPlain(v: EventValue): boolean {
  for (const k in v) {
    const x = (v as unknown as Record<string, unknown>)[k];
    if (x === null || typeof x !== 'object') continue;
    if (k !== 'sockaddr') return false;
    for (const f in x) {
      const y = (x as Record<string, unknown>)[f];
      if (y !== null && typeof y === 'object') return false;
    }
  }
  return true;
}

function copyOfPlain(v: EventValue): EventValue {
  const out = { ...v };
  if (v.sockaddr) out.sockaddr = { ...v.sockaddr };
  return out;
}

/** An argument's item in the line: [start, end) and its index in the arguments. */
type ArgumentItem = [number, number, number];

/** Integers a ScannedEvent's notes take (writeNotes, fromNotes). */
export const NOTES = 15;

function writeItem(out: Int32Array, at: number, item: ArgumentItem | undefined): void {
  out[at] = item === undefined ? -1 : item[0];
  out[at + 1] = item === undefined ? -1 : item[1];
  out[at + 2] = item === undefined ? -1 : item[2];
}

function readItem(notes: Int32Array, at: number): ArgumentItem | undefined {
  return notes[at] < 0 ? undefined : [notes[at], notes[at + 1], notes[at + 2]];
}

/** summarizeStrings of the JSON array of strings in buf[from, to), building only the strings it returns. */
function summarizeRange(buf: Buffer, from: number, to: number, prefix: string | undefined): StringArraySummary {
  const c = READER;
  c.use(buf, from + 1, to);
  const asciiPrefix = prefix !== undefined && Buffer.byteLength(prefix) === prefix.length ? Buffer.from(prefix) : undefined;
  const out: StringArraySummary = { length: 0, nulTerminatedBytes: 0, last: undefined, withPrefix: [] };
  let lastStart = -1;
  let lastEnd = -1;
  let lastEscaped = false;
  for (let first = true; ; first = false) {
    if (c.nextElement(first) !== MEMBER) break;
    c.string();
    out.length++;
    lastStart = c.strStart;
    lastEnd = c.strEnd;
    lastEscaped = c.escaped;
    if (c.escaped || c.high) {
      const text = c.text();
      out.nulTerminatedBytes += Buffer.byteLength(text) + 1;
      if (prefix !== undefined && text.startsWith(prefix)) out.withPrefix.push(text);
      continue;
    }
    out.nulTerminatedBytes += c.strEnd - c.strStart + 1;
    if (prefix === undefined) continue;
    if (asciiPrefix ? startsWithBytes(buf, c.strStart, c.strEnd, asciiPrefix) : c.text().startsWith(prefix)) out.withPrefix.push(c.text());
  }
  if (out.length > 0) {
    c.strStart = lastStart;
    c.strEnd = lastEnd;
    c.escaped = lastEscaped;
    out.last = c.text();
  }
  return out;
}

function startsWithBytes(buf: Buffer, from: number, to: number, prefix: Buffer): boolean {
  if (to - from < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[from + i] !== prefix[i]) return false;
  return true;
}

/** Scans lines the prefilter found in Tracee's layout; one per replay (its cursor is reused line after line). */
export class TraceeLineScanner {
  private readonly cursor = new Cursor();
  private readonly templates = { current: new Map<string, Templates>(), legacy: new Map<string, Templates>() };
  /** Lines a template matched (tests and benchmarks read it). */
  templateMatches = 0;

  /**
   * deferNotedItems: the first remote_addr and container_id items are checked as JSON and noted,
   * and left to the event's decodeNotedItems() to decode (replay's second thread: the thread
   * that dispatches decodes them once, instead of both threads each decoding them).
   * templates: false = every line walked by the rules (the way to measure what templates buy, and to test them).
   */
  constructor(private readonly options: { deferNotedItems?: boolean; templates?: boolean } = {}) {}

  /** The event of buf[start, end), or undefined: decode the line in full instead. */
  scan(buf: Buffer, start: number, end: number, name: string, shape: JsonShape): ScannedEvent | undefined {
    const c = this.cursor;
    let templates: Templates | undefined;
    if (this.options.templates !== false) {
      const byName = this.templates[shape];
      templates = byName.get(name);
      if (templates === undefined) byName.set(name, (templates = new Templates()));
      if (templates.on) {
        const list = templates.list;
        for (let i = 0; i < list.length; i++) {
          c.use(buf, start, end);
          const ev = this.event(name, shape, buf, start, end);
          if (list[i].match(c, ev) && this.complete(ev)) {
            templates.hit(i);
            this.templateMatches++;
            return ev;
          }
        }
        templates.miss();
      }
    }
    c.use(buf, start, end);
    const ev = this.event(name, shape, buf, start, end);
    const rec: number[] | undefined = templates?.on ? [] : undefined;
    c.rec = rec;
    let ok: boolean;
    try {
      ok = (shape === 'legacy' ? LEGACY_EVENT : CURRENT_EVENT)(c, 1, ev);
    } finally {
      c.rec = undefined;
    }
    if (!ok) return undefined;
    c.ws();
    if (c.pos !== end || !this.complete(ev)) return undefined;
    if (rec) templates!.add(Template.of(buf, start, end, rec, ev));
    return ev;
  }

  private event(name: string, shape: JsonShape, buf: Buffer, start: number, end: number): ScannedEvent {
    const ev = new ScannedEvent(name, shape, buf, start, end);
    ev.deferNotedItems = this.options.deferNotedItems === true;
    return ev;
  }

  /** The name was there, and a legacy line's timestamp. */
  private complete(ev: ScannedEvent): boolean {
    return ev.nameSeen && (ev.shape !== 'legacy' || ev.timestampSeen);
  }
}
