// A fast, lazy tracee.v1beta1.Event decoder for the hot path (the gRPC
// service): it reads the wire format by hand, decodes the timestamp, id and
// name at once, and the rest (workload, data, policies, threat, detected_from)
// only when something reads it. The model it yields is exactly the one of
// `decodeProtoEvent` (src/wire/event-decoder.ts, protobufjs): the value kinds no
// signature reads (arrays, credentials, timespec, struct, network payloads),
// threat and detected_from go through that slower decoder, so there is one
// definition of their meaning.
//
// Arguments are decoded one at a time: `argument(name)` finds a value by its
// name's bytes and decodes that value alone, so a signature reading `env` of
// an exec does not pay for its 17 other arguments. Strings that repeat from
// event to event (event names, container ids, image names, thread names) are
// shared through a small cache keyed by their bytes instead of being built anew.
import type { LazyReads, Container, DetectedFrom, Event, EventValue, K8s, Process, SockAddr, SourceHandle, StringArraySummary, Thread, Threat, Timestamp, Workload } from '../model/event.js';
import { isUtf8 } from 'node:buffer';
import { summarizeStrings } from '../model/accessors.js';
import { DecodeError } from '../decode/errors.js';
import { decodeProtoDetectedFrom, decodeProtoThreat, decodeProtoValue, decodeProtoWorkload } from './event-decoder.js';

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/** Malformed bytes: the message says where (byte offset in the decoded buffer). */
export class WireError extends DecodeError {}

/** A cursor over protobuf bytes; every read checks its bounds. */
export class WireReader {
  pos: number;
  constructor(public buf: Buffer, start: number, public end: number) {
    this.pos = start;
  }

  reset(buf: Buffer, start: number, end: number): void {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  /** A varint of up to 64 bits as a number when < 2^53 (exact), else throws. Use `varint64` for 64-bit fields. */
  uint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= this.end) throw new WireError('', `truncated varint at byte ${pos}`);
      const b = buf[pos++];
      if (shift < 28) result |= (b & 0x7f) << shift;
      else if (shift === 28) result |= (b & 0x0f) << 28; // higher bits do not fit a 32-bit value (protobuf truncates)
      if (b < 0x80) break;
      shift += 7;
      if (shift > 63) throw new WireError('', `varint longer than 10 bytes at byte ${this.pos}`);
    }
    this.pos = pos;
    return result >>> 0;
  }

  /** A 64-bit varint as a BigInt (unsigned). */
  varint64(): bigint {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (;;) {
      if (pos >= this.end) throw new WireError('', `truncated varint at byte ${pos}`);
      const b = buf[pos++];
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else if (shift < 64) hi |= (b & 0x7f) << (shift - 32);
      if (b < 0x80) break;
      shift += 7;
      if (shift > 63) throw new WireError('', `varint longer than 10 bytes at byte ${this.pos}`);
    }
    this.pos = pos;
    return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  }

  /**
   * A varint as an exact Number when it has at most 7 bytes (< 2^49), else
   * undefined with the position unchanged (the caller then reads `varint64`).
   */
  small(): number | undefined {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (pos >= this.end) throw new WireError('', `truncated varint at byte ${pos}`);
      const b = buf[pos++];
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = pos;
        return result;
      }
      scale *= 128;
    }
    return undefined;
  }

  /** Length of a LEN field, checked against the end; returns the field's end offset. */
  lenEnd(): number {
    const len = this.uint32();
    const end = this.pos + len;
    if (end > this.end) throw new WireError('', `length ${len} at byte ${this.pos} runs past the end of its message (byte ${this.end})`);
    return end;
  }

  string(): string {
    const end = this.lenEnd();
    const s = this.pos === end ? '' : this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return s;
  }

  /** A string that repeats from event to event: shared through the cache rather than built. */
  shared(): string {
    const end = this.lenEnd();
    const s = sharedString(this.buf, this.pos, end);
    this.pos = end;
    return s;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.uint32();
        return;
      case I64:
        this.pos += 8;
        break;
      case LEN:
        this.pos = this.lenEnd();
        return;
      case I32:
        this.pos += 4;
        break;
      default:
        throw new WireError('', `invalid wire type ${wireType} at byte ${this.pos}`);
    }
    if (this.pos > this.end) throw new WireError('', `fixed-size field runs past the end of its message (byte ${this.end})`);
  }
}

// -- shared strings -------------------------------------------------------------

/** Strings longer than this are not shared (long values rarely repeat exactly). */
const SHARED_MAX_BYTES = 128;
/** Entries at most; the cache starts afresh when full, so it always holds the recent ones. */
const SHARED_MAX_ENTRIES = 4096;
const shared = new Map<number, string>();

/**
 * The string of the ASCII bytes buf[start, end), from the cache when the same
 * bytes were seen before. The key is a hash of length and a sample of bytes;
 * a hit is checked byte for byte, so a collision only costs a miss. Non-ASCII
 * and long strings are decoded as usual.
 */
function sharedString(buf: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n === 0) return '';
  if (n > SHARED_MAX_BYTES) return buf.toString('utf8', start, end);
  const step = n > 8 ? n >>> 3 : 1;
  let h = n;
  for (let i = start; i < end; i += step) h = (Math.imul(h, 31) + buf[i]) | 0;
  h = (Math.imul(h, 31) + buf[end - 1]) | 0;
  const known = shared.get(h);
  if (known !== undefined && known.length === n) {
    let i = 0;
    while (i < n && known.charCodeAt(i) === buf[start + i]) i++;
    if (i === n) return known;
  }
  for (let i = start; i < end; i++) if (buf[i] >= 0x80) return buf.toString('utf8', start, end);
  const s = buf.toString('latin1', start, end); // ASCII: latin1 is the same text, and a one-byte string
  if (shared.size >= SHARED_MAX_ENTRIES) shared.clear();
  shared.set(h, s);
  return s;
}

function int64Text(r: WireReader): string {
  const n = r.small();
  return n !== undefined ? String(n) : BigInt.asIntN(64, r.varint64()).toString();
}

function uint64Text(r: WireReader): string {
  const n = r.small();
  return n !== undefined ? String(n) : r.varint64().toString();
}

const NOT_DECODED = Symbol('not decoded');
const EMPTY_RANGES: readonly number[] = [];
type Lazy<T> = T | typeof NOT_DECODED;

// -- message decoders, each mirroring the object decodeProtoEvent builds ------

/** A Timestamp; `base` is an earlier occurrence of the same field, which this one merges into. */
function timestamp(r: WireReader, end: number, base?: Timestamp): Timestamp {
  let seconds = base?.seconds ?? 0;
  let nanos = base?.nanos ?? 0;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 8) seconds = r.small() ?? Number(BigInt.asIntN(64, r.varint64()));
    else if (tag === 16) nanos = r.uint32() | 0;
    else r.skip(tag & 7);
  }
  return { seconds, nanos };
}

// google.protobuf.Timestamp's valid range, as decodeProtoEvent checks it.
const MIN_SECONDS = -62135596800;
const MAX_SECONDS = 253402300799;

/** Throws as decodeProtoEvent does for a time outside Timestamp's range. */
function checkTimestamp(t: Timestamp | undefined, field: string): void {
  if (!t) return;
  if (t.seconds < MIN_SECONDS || t.seconds > MAX_SECONDS) {
    throw new DecodeError(`${field}.seconds`, `${t.seconds} is outside google.protobuf.Timestamp's range (years 1 to 9999)`);
  }
  if (t.nanos < 0 || t.nanos > 999_999_999) throw new DecodeError(`${field}.nanos`, `expected 0 to 999999999, got ${t.nanos}`);
}

/** google.protobuf.UInt32Value: the wrapper present = its value (0 if unset). */
function u32Value(r: WireReader, end: number): number {
  let value = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 8) value = r.uint32();
    else r.skip(tag & 7);
  }
  return value;
}

/**
 * A singular message field seen twice merges with the first (protobuf's rule);
 * the hand decoders do not merge, so they hand such input to protobufjs.
 */
export class MergeNeeded extends Error {}

function once(previous: unknown): number {
  if (previous !== undefined) throw new MergeNeeded('message field repeated: merge');
  return 0;
}

/** The end of the message field whose tag was just read (the caller dispatched on a LEN tag). */
function subEnd(r: WireReader, _check: number): number {
  return r.lenEnd();
}

function thread(r: WireReader, end: number, where: string): Thread {
  let start_time: Timestamp | undefined;
  let name: string | undefined;
  let unique_id: number | undefined;
  let host_tid: number | undefined;
  let tid: number | undefined;
  let syscall: string | undefined;
  let compat: boolean | undefined;
  let user_stack_trace: Thread['user_stack_trace'];
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case 10: start_time = timestamp(r, subEnd(r, once(start_time))); break;
      case 18: name = r.shared(); break;
      case 26: unique_id = u32Value(r, subEnd(r, once(unique_id))); break;
      case 34: host_tid = u32Value(r, subEnd(r, once(host_tid))); break;
      case 42: tid = u32Value(r, subEnd(r, once(tid))); break;
      case 50: syscall = r.string(); break;
      case 56: compat = r.uint32() !== 0; break;
      case 66: user_stack_trace = stackTrace(r, subEnd(r, once(user_stack_trace))); break;
      default: r.skip(tag & 7);
    }
  }
  checkTimestamp(start_time, `${where}.start_time`);
  return { start_time, name, unique_id, host_tid, tid, syscall, compat, user_stack_trace };
}

function stackTrace(r: WireReader, end: number): Thread['user_stack_trace'] {
  const addresses: { address: string; symbol: string }[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag !== 10) {
      r.skip(tag & 7);
      continue;
    }
    const aEnd = subEnd(r, tag);
    let address = '0';
    let symbol = '';
    while (r.pos < aEnd) {
      const t = r.uint32();
      if (t === 8) address = uint64Text(r);
      else if (t === 18) symbol = r.string();
      else r.skip(t & 7);
    }
    addresses.push({ address, symbol });
  }
  return { addresses };
}

function process(r: WireReader, end: number, where: string): Process {
  let executable: { path: string } | undefined;
  let unique_id: number | undefined;
  let host_pid: number | undefined;
  let pid: number | undefined;
  let real_user: { id?: number } | undefined;
  let t: Thread | undefined;
  let ancestors: Process[] | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case 10: {
        const e = subEnd(r, once(executable));
        let path = '';
        while (r.pos < e) {
          const t2 = r.uint32();
          if (t2 === 10) path = r.shared();
          else r.skip(t2 & 7);
        }
        executable = { path };
        break;
      }
      case 18: unique_id = u32Value(r, subEnd(r, once(unique_id))); break;
      case 26: host_pid = u32Value(r, subEnd(r, once(host_pid))); break;
      case 34: pid = u32Value(r, subEnd(r, once(pid))); break;
      case 42: {
        const e = subEnd(r, once(real_user));
        let id: number | undefined;
        while (r.pos < e) {
          const t2 = r.uint32();
          if (t2 === 10) id = u32Value(r, subEnd(r, once(id)));
          else r.skip(t2 & 7);
        }
        real_user = { id };
        break;
      }
      case 50: t = thread(r, subEnd(r, once(t)), `${where}.thread`); break;
      case 58: (ancestors ??= []).push(process(r, subEnd(r, 58), `${where}.ancestors[${ancestors?.length ?? 0}]`)); break;
      default: r.skip(tag & 7);
    }
  }
  return { executable, unique_id, host_pid, pid, real_user, thread: t, ancestors };
}

function container(r: WireReader, end: number): Container {
  let id: string | undefined;
  let name: string | undefined;
  let image: Container['image'];
  let started = false;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case 10: id = r.shared(); break;
      case 18: name = r.shared(); break;
      case 26: {
        const e = subEnd(r, once(image));
        let imageId = '';
        const digests: string[] = [];
        let imageName = '';
        while (r.pos < e) {
          const t2 = r.uint32();
          if (t2 === 10) imageId = r.shared();
          else if (t2 === 18) digests.push(r.shared());
          else if (t2 === 26) imageName = r.shared();
          else r.skip(t2 & 7);
        }
        image = { id: imageId, repo_digests: digests.length ? digests : undefined, name: imageName };
        break;
      }
      case 32: started = r.uint32() !== 0; break;
      default: r.skip(tag & 7);
    }
  }
  return { id: id ?? '', name, image, started };
}

function k8s(r: WireReader, end: number): K8s {
  let pod: K8s['pod'];
  let namespace: K8s['namespace'];
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 10) {
      const e = subEnd(r, once(pod));
      let name = '';
      let uid = '';
      let labels: Record<string, string> | undefined;
      while (r.pos < e) {
        const t2 = r.uint32();
        if (t2 === 10) name = r.string();
        else if (t2 === 18) uid = r.string();
        else if (t2 === 26) {
          const le = subEnd(r, t2);
          let key = '';
          let value = '';
          while (r.pos < le) {
            const t3 = r.uint32();
            if (t3 === 10) key = r.string();
            else if (t3 === 18) value = r.string();
            else r.skip(t3 & 7);
          }
          (labels ??= {})[key] = value;
        } else r.skip(t2 & 7);
      }
      pod = { name, uid, labels };
    } else if (tag === 18) {
      const e = subEnd(r, once(namespace));
      let name = '';
      while (r.pos < e) {
        const t2 = r.uint32();
        if (t2 === 10) name = r.string();
        else r.skip(t2 & 7);
      }
      namespace = { name };
    } else r.skip(tag & 7);
  }
  return { pod, namespace };
}

/**
 * A Workload read from bytes: each part (process, container, k8s) decoded on
 * first read, so that a signature reading the container (origin, container id)
 * does not pay for the process tree. `raw` is the encoded message, for
 * re-encoding it unchanged in findings.
 */
export class WireWorkload implements Workload {
  private _process: Lazy<Process | undefined> = NOT_DECODED;
  private _container: Lazy<Container | undefined> = NOT_DECODED;
  private _k8s: Lazy<K8s | undefined> = NOT_DECODED;
  private readonly at: number[] = [-1, -1, -1, -1, -1, -1]; // [start, end] of process, container, k8s
  /** Set when the bytes need protobuf's merge rules: then protobufjs decodes the whole workload. */
  private full: Workload | undefined;
  private needsMerge = false;
  /** False once a part is replaced: the bytes no longer describe this object. */
  unchanged = true;
  // The container's id and started, read alone (what origin and containerId need).
  private headRead = false;
  private headId = '';
  private headStarted = false;

  constructor(readonly buf: Buffer, readonly start: number, readonly end: number) {
    const r = new WireReader(buf, start, end);
    while (r.pos < end) {
      const tag = r.uint32();
      const field = tag >>> 3;
      if (field >= 1 && field <= 3 && (tag & 7) === LEN) {
        const e = r.lenEnd();
        if (this.at[(field - 1) * 2] >= 0) this.needsMerge = true;
        this.at[(field - 1) * 2] = r.pos;
        this.at[(field - 1) * 2 + 1] = e;
        r.pos = e;
      } else r.skip(tag & 7);
    }
  }

  /** Decodes one part by hand, or through protobufjs when protobuf's merge rules apply. */
  private part<T>(index: number, decode: (r: WireReader) => T, pick: (w: Workload) => T | undefined): T | undefined {
    if (!this.needsMerge) {
      const r = this.reader(index);
      if (!r) return undefined;
      try {
        return decode(r);
      } catch (e) {
        if (!(e instanceof MergeNeeded)) throw e;
        this.needsMerge = true;
      }
    }
    this.full ??= decodeProtoWorkload(this.buf.subarray(this.start, this.end));
    return pick(this.full);
  }

  private reader(part: number): WireReader | undefined {
    const s = this.at[part * 2];
    return s < 0 ? undefined : new WireReader(this.buf, s, this.at[part * 2 + 1]);
  }

  get process(): Process | undefined {
    if (this._process === NOT_DECODED) this._process = this.part(0, (r) => process(r, r.end, 'workload.process'), (w) => w.process);
    return this._process;
  }
  set process(v: Process | undefined) {
    this._process = v;
    this.unchanged = false;
  }

  /** container.id ('' when there is no container), without decoding the rest of the container. */
  containerId(): string {
    if (this._container !== NOT_DECODED || this.needsMerge) return this.container?.id ?? '';
    if (!this.headRead) this.readContainerHead();
    return this.headId;
  }

  /** container.started (false when there is no container), likewise. */
  containerStarted(): boolean {
    if (this._container !== NOT_DECODED || this.needsMerge) return this.container?.started === true;
    if (!this.headRead) this.readContainerHead();
    return this.headStarted;
  }

  private readContainerHead(): void {
    const r = this.reader(1);
    if (r) {
      // Scalars: the last occurrence wins, as in the full decode.
      while (r.pos < r.end) {
        const tag = r.uint32();
        if (tag === 10) this.headId = r.shared();
        else if (tag === 32) this.headStarted = r.uint32() !== 0;
        else r.skip(tag & 7);
      }
    }
    this.headRead = true;
  }

  /**
   * Decodes every part (throws DecodeError when one is malformed): done
   * before the bytes are copied into a finding, so that a finding never
   * carries bytes the host could not decode.
   */
  check(): void {
    void this.process;
    void this.container;
    void this.k8s;
  }

  get container(): Container | undefined {
    if (this._container === NOT_DECODED) this._container = this.part(1, (r) => container(r, r.end), (w) => w.container);
    return this._container;
  }
  set container(v: Container | undefined) {
    this._container = v;
    this.unchanged = false;
  }

  get k8s(): K8s | undefined {
    if (this._k8s === NOT_DECODED) this._k8s = this.part(2, (r) => k8s(r, r.end), (w) => w.k8s);
    return this._k8s;
  }
  set k8s(v: K8s | undefined) {
    this._k8s = v;
    this.unchanged = false;
  }

  /** The encoded Workload message when no part was replaced, else undefined. */
  get raw(): Buffer | undefined {
    return this.unchanged ? this.buf.subarray(this.start, this.end) : undefined;
  }

  /** A plain Workload with the parts present, as decodeProtoEvent builds it. */
  toPlain(): Workload {
    const out: Workload = {};
    if (this.process) out.process = this.process;
    if (this.container) out.container = this.container;
    if (this.k8s) out.k8s = this.k8s;
    return out;
  }
}

const FAMILIES: Record<number, string> = { 0: 'SA_FAMILY_T_UNSPEC', 1: 'AF_UNIX', 2: 'AF_INET', 10: 'AF_INET6' };

function sockaddr(r: WireReader, end: number): SockAddr {
  let family = 0;
  let sun_path = '';
  let sin_addr = '';
  let sin6_addr = '';
  let sin_port = 0;
  let sin6_port = 0;
  let sin6_flowinfo = 0;
  let sin6_scopeid = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case 8: family = r.uint32() | 0; break;
      case 18: sun_path = r.string(); break;
      case 26: sin_addr = r.shared(); break;
      case 32: sin_port = r.uint32(); break;
      case 42: sin6_addr = r.string(); break;
      case 48: sin6_port = r.uint32(); break;
      case 56: sin6_flowinfo = r.uint32(); break;
      case 64: sin6_scopeid = r.uint32(); break;
      default: r.skip(tag & 7);
    }
  }
  const out: SockAddr = { sa_family: FAMILIES[family] ?? String(family) };
  if (sun_path) out.sun_path = sun_path;
  if (sin_addr) out.sin_addr = sin_addr;
  if (sin6_addr) out.sin6_addr = sin6_addr;
  if (sin_port) out.sin_port = sin_port;
  if (sin6_port) out.sin6_port = sin6_port;
  if (sin6_flowinfo) out.sin6_flowinfo = sin6_flowinfo;
  if (sin6_scopeid) out.sin6_scopeid = sin6_scopeid;
  return out;
}

/**
 * One EventValue. The kinds signatures read are decoded here; any other kind,
 * or a value with more than one kind on the wire, goes through protobufjs.
 */
function value(r: WireReader, start: number, end: number): EventValue {
  let name = '';
  let out: EventValue | undefined;
  let kinds = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case 10: name = r.shared(); continue;
      case 16: out = { name: '', int32: r.uint32() | 0 }; break;
      case 24: out = { name: '', int64: int64Text(r) }; break;
      case 32: out = { name: '', u_int32: r.uint32() }; break;
      case 40: out = { name: '', u_int64: uint64Text(r) }; break;
      case 50: out = { name: '', str: r.string() }; break;
      case 64: out = { name: '', bool: r.uint32() !== 0 }; break;
      case 74: {
        const e = subEnd(r, tag);
        const values: string[] = [];
        while (r.pos < e) {
          const t2 = r.uint32();
          if (t2 === 10) values.push(r.shared()); // env entries repeat from exec to exec
          else r.skip(t2 & 7);
        }
        out = { name: '', str_array: { value: values } };
        break;
      }
      case 98: out = { name: '', sockaddr: sockaddr(r, subEnd(r, tag)) }; break;
      case 248: out = { name: '', pointer: uint64Text(r) }; break; // field 31
      default:
        if (tag >>> 3 >= 7 && tag >>> 3 <= 30) return decodeProtoValue(r.buf.subarray(start, end)); // rare kinds
        r.skip(tag & 7);
        continue;
    }
    kinds++;
  }
  if (kinds > 1) return decodeProtoValue(r.buf.subarray(start, end)); // protobufjs's precedence decides
  if (!out) return { name };
  out.name = name;
  return out;
}

/**
 * True when the EventValue in buf[start, end) is named `name`: its last name
 * field, as protobuf reads it. ASCII names compare as bytes, without building
 * a string; only the value's top-level fields are walked.
 */
function valueNamed(buf: Buffer, start: number, end: number, name: string, ascii: boolean): boolean {
  const r = scanner;
  r.reset(buf, start, end);
  let at = -1;
  let atEnd = -1;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 10) {
      atEnd = r.lenEnd();
      at = r.pos;
      r.pos = atEnd;
    } else r.skip(tag & 7);
  }
  if (at < 0) return name === '';
  if (!ascii) return buf.toString('utf8', at, atEnd) === name;
  const n = name.length;
  if (atEnd - at !== n) return false;
  for (let i = 0; i < n; i++) if (buf[at + i] !== name.charCodeAt(i)) return false;
  return true;
}

/**
 * Where the StringArray of the EventValue in buf[start, end) begins, when
 * str_array is its one kind (a value without a kind: -1, no summary); undefined
 * when it has another kind or several (then it is decoded as usual).
 */
function strArrayOnly(buf: Buffer, start: number, end: number): number | undefined {
  const r = new WireReader(buf, start, end);
  let at = -1;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (tag === 74 && at < 0) {
      at = r.pos;
      r.pos = r.lenEnd();
    } else if (field >= 2 && field <= 31) return undefined;
    else r.skip(tag & 7);
  }
  return at;
}

/**
 * What summarizeStrings counts of the StringArray whose length prefix is at
 * buf[at], its entries walked, not built (the last one excepted); kept per
 * event, so that a second summary of the same array (another prefix) only
 * looks for the prefix.
 */
interface WireStrings {
  length: number;
  nulTerminatedBytes: number;
  last: string | undefined;
  /** The entries' bytes: buf[start, end). */
  start: number;
  end: number;
  /** Valid UTF-8 throughout: every entry's bytes are its decoded text's. */
  valid: boolean;
}

function walkWireStrings(buf: Buffer, at: number): WireStrings {
  const outer = new WireReader(buf, at, buf.length);
  const end = outer.lenEnd();
  const r = new WireReader(buf, outer.pos, end);
  const out: WireStrings = { length: 0, nulTerminatedBytes: 0, last: undefined, start: outer.pos, end, valid: false };
  let lastStart = -1;
  let lastEnd = -1;
  // Valid UTF-8 throughout (one native check) means every entry is: its bytes are
  // then its decoded size. Otherwise each entry with a byte past ASCII is decoded,
  // as the decoder would.
  const valid = (out.valid = isUtf8(buf.subarray(r.pos, end)));
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag !== 10) {
      r.skip(tag & 7);
      continue;
    }
    const e = r.lenEnd();
    const s = r.pos;
    r.pos = e;
    out.length++;
    lastStart = s;
    lastEnd = e;
    if (!valid && hasHighByte(buf, s, e)) out.nulTerminatedBytes += Buffer.byteLength(buf.toString('utf8', s, e)) + 1;
    else out.nulTerminatedBytes += e - s + 1;
  }
  if (out.length > 0) out.last = buf.toString('utf8', lastStart, lastEnd);
  return out;
}

/** The entries that start with `prefix`, decoded, in order (an ASCII prefix compares as bytes). */
function wireStringsWithPrefix(buf: Buffer, strings: WireStrings, prefix: string): string[] {
  const out: string[] = [];
  const asciiPrefix = isAscii(prefix);
  const r = new WireReader(buf, strings.start, strings.end);
  while (r.pos < strings.end) {
    const tag = r.uint32();
    if (tag !== 10) {
      r.skip(tag & 7);
      continue;
    }
    const e = r.lenEnd();
    const s = r.pos;
    r.pos = e;
    if (asciiPrefix && (strings.valid || !hasHighByte(buf, s, e))) {
      if (startsWithAscii(buf, s, e, prefix)) out.push(buf.toString('utf8', s, e));
    } else {
      const text = buf.toString('utf8', s, e);
      if (text.startsWith(prefix)) out.push(text);
    }
  }
  return out;
}

function hasHighByte(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] >= 0x80) return true;
  return false;
}

function startsWithAscii(buf: Buffer, start: number, end: number, prefix: string): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[start + i] !== prefix.charCodeAt(i)) return false;
  return true;
}

/** One reader reused for scans that do not nest (the name of each value). */
const scanner = new WireReader(Buffer.alloc(0), 0, 0);

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

function policies(buf: Buffer, ranges: number[]): { matched: string[] } {
  const matched: string[] = [];
  for (let i = 0; i < ranges.length; i += 2) {
    const r = new WireReader(buf, ranges[i], ranges[i + 1]);
    while (r.pos < r.end) {
      const tag = r.uint32();
      if (tag === 10) matched.push(r.string());
      else r.skip(tag & 7);
    }
  }
  return { matched };
}


/**
 * A tracee.v1beta1.Event read from bytes: timestamp, id and name decoded, the
 * rest decoded once, on first read. Reading a part may throw DecodeError when
 * its bytes are malformed. Setting a part replaces it.
 */
export class WireEvent implements Event, LazyReads {
  timestamp: Timestamp | undefined;
  id: number;
  name: string;
  source?: SourceHandle;
  private readonly buf: Buffer;
  private readonly ranges: { policies?: number[]; workload?: number[]; data?: number[]; threat?: number[]; detected_from?: number[] };
  private _policies: Lazy<Event['policies']> = NOT_DECODED;
  private _workload: Lazy<Workload | undefined> = NOT_DECODED;
  private _data: Lazy<EventValue[]> = NOT_DECODED;
  /** Values decoded one by one (by `argument`), shared with `data` when it is built. */
  private _values: (EventValue | undefined)[] | undefined;
  private dataReplaced = false;
  /** The last string array summarized from the bytes (none: no str_array-only value of that name). */
  private _strings: { name: string; strings: WireStrings | undefined } | undefined;
  private detectedReplaced = false;
  private _threat: Lazy<Threat | undefined> = NOT_DECODED;
  private _detected: Lazy<DetectedFrom | undefined> = NOT_DECODED;

  /** Throws DecodeError, as decodeProtoEvent, when the timestamp is out of range. */
  constructor(buf: Buffer, head: EventHead) {
    checkTimestamp(head.timestamp, 'timestamp');
    this.buf = buf;
    this.timestamp = head.timestamp;
    this.id = head.id;
    this.name = head.name;
    this.ranges = head.ranges;
  }

  get policies(): Event['policies'] {
    if (this._policies === NOT_DECODED) this._policies = this.ranges.policies ? policies(this.buf, this.ranges.policies) : undefined;
    return this._policies;
  }
  set policies(v: Event['policies']) {
    this._policies = v;
  }

  get workload(): Workload | undefined {
    if (this._workload === NOT_DECODED) {
      const ranges = this.ranges.workload;
      if (!ranges) this._workload = undefined;
      else if (ranges.length === 2) this._workload = new WireWorkload(this.buf, ranges[0], ranges[1]);
      else {
        const joined = joinRanges(this.buf, ranges);
        this._workload = new WireWorkload(joined, 0, joined.length);
      }
    }
    return this._workload;
  }
  set workload(v: Workload | undefined) {
    this._workload = v;
  }

  get data(): EventValue[] {
    if (this._data === NOT_DECODED) {
      const n = this.ranges.data ? this.ranges.data.length >> 1 : 0;
      const out: EventValue[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = this.valueAt(i);
      this._data = out;
    }
    return this._data;
  }
  set data(v: EventValue[]) {
    this._data = v;
    this.dataReplaced = true;
  }

  /**
   * The first argument named `name` (as `data.find(v => v.name === name)`),
   * decoding that value alone. Other values are walked, not decoded.
   */
  argument(name: string): EventValue | undefined {
    if (this._data !== NOT_DECODED) {
      for (const v of this._data) if (v.name === name) return v;
      return undefined;
    }
    const ranges = this.ranges.data;
    if (!ranges) return undefined;
    const ascii = isAscii(name);
    for (let i = 0; i < ranges.length; i += 2) {
      if (valueNamed(this.buf, ranges[i], ranges[i + 1], name, ascii)) return this.valueAt(i >> 1);
    }
    return undefined;
  }

  /**
   * The summary of the first argument named `name` (see StringArraySummary),
   * read from its bytes: an entry becomes a string only when it is the last
   * one or starts with `prefix`. Values with more than one kind on the wire
   * are decoded as `argument` decodes them.
   */
  stringArraySummary(name: string, prefix?: string): StringArraySummary | undefined {
    const ranges = this.ranges.data;
    if (this._data === NOT_DECODED && ranges) {
      const ascii = isAscii(name);
      let known = this._strings;
      if (known?.name !== name) {
        known = undefined;
        for (let i = 0; i < ranges.length; i += 2) {
          if (!valueNamed(this.buf, ranges[i], ranges[i + 1], name, ascii)) continue;
          const at = strArrayOnly(this.buf, ranges[i], ranges[i + 1]);
          if (at !== undefined) this._strings = known = { name, strings: at < 0 ? undefined : walkWireStrings(this.buf, at) };
          break;
        }
      }
      if (known) {
        const w = known.strings;
        if (!w) return undefined;
        return { length: w.length, nulTerminatedBytes: w.nulTerminatedBytes, last: w.last, withPrefix: prefix === undefined ? [] : wireStringsWithPrefix(this.buf, w, prefix) };
      }
    }
    const v = this.argument(name);
    return v?.str_array?.value ? summarizeStrings(v.str_array.value, prefix) : undefined;
  }

  /** workload.container.id, '' when absent: the container alone is read. */
  containerId(): string {
    const w = this.workload;
    return w instanceof WireWorkload ? w.containerId() : (w?.container?.id ?? '');
  }

  /** workload.container.started, false when absent. */
  containerStarted(): boolean {
    const w = this.workload;
    return w instanceof WireWorkload ? w.containerStarted() : w?.container?.started === true;
  }

  private valueAt(i: number): EventValue {
    const ranges = this.ranges.data!;
    const values = (this._values ??= new Array(ranges.length >> 1));
    let v = values[i];
    if (v === undefined) {
      const start = ranges[2 * i];
      const end = ranges[2 * i + 1];
      v = values[i] = value(new WireReader(this.buf, start, end), start, end);
    }
    return v;
  }

  /**
   * The encoded data values (pairs of [start, end) into `buffer`) while
   * `data` still holds what the wire said; undefined once it was replaced.
   */
  get encodedData(): readonly number[] | undefined {
    return this.dataReplaced ? undefined : (this.ranges.data ?? EMPTY_RANGES);
  }

  /** The encoded DetectedFrom (occurrences joined) while not replaced; undefined when absent or replaced. */
  get encodedDetectedFrom(): Buffer | undefined {
    return this.detectedReplaced || !this.ranges.detected_from ? undefined : joinRanges(this.buf, this.ranges.detected_from);
  }

  /** The bytes the event was read from (the ranges above point into it). */
  get buffer(): Buffer {
    return this.buf;
  }

  get threat(): Threat | undefined {
    if (this._threat === NOT_DECODED) this._threat = this.ranges.threat ? decodeProtoThreat(this.slice(this.ranges.threat)) : undefined;
    return this._threat;
  }
  set threat(v: Threat | undefined) {
    this._threat = v;
  }

  get detected_from(): DetectedFrom | undefined {
    if (this._detected === NOT_DECODED) {
      this._detected = this.ranges.detected_from ? decodeProtoDetectedFrom(this.slice(this.ranges.detected_from)) : undefined;
    }
    return this._detected;
  }
  set detected_from(v: DetectedFrom | undefined) {
    this._detected = v;
    this.detectedReplaced = true;
  }

  private slice(ranges: number[]): Buffer {
    return joinRanges(this.buf, ranges);
  }

  /** A plain object with every part decoded, as decodeProtoEvent returns. */
  toPlain(): Event {
    const w = this.workload;
    const workload = w instanceof WireWorkload ? w.toPlain() : w;
    const event: Event = { timestamp: this.timestamp, id: this.id, name: this.name, policies: this.policies, workload, data: this.data };
    if (this.threat) event.threat = this.threat;
    if (this.detected_from) event.detected_from = this.detected_from;
    if (this.source) event.source = this.source;
    return event;
  }
}

/** The bytes of a field's occurrences, joined: decoding them is protobuf's merge. */
function joinRanges(buf: Buffer, ranges: number[]): Buffer {
  if (ranges.length === 2) return buf.subarray(ranges[0], ranges[1]);
  const parts: Buffer[] = [];
  for (let i = 0; i < ranges.length; i += 2) parts.push(buf.subarray(ranges[i], ranges[i + 1]));
  return Buffer.concat(parts);
}

/** What one pass over an Event's top-level fields learns. */
export interface EventHead {
  timestamp: Timestamp | undefined;
  id: number;
  name: string;
  ranges: { policies?: number[]; workload?: number[]; data?: number[]; threat?: number[]; detected_from?: number[] };
}

/**
 * One pass over the top-level fields of the Event in buf[start, end): checks
 * their framing (throws WireError), decodes timestamp, id and name and notes
 * where the other parts lie. Nested messages are checked when decoded.
 */
export function readEventHead(buf: Buffer, start: number, end: number): EventHead {
  const r = new WireReader(buf, start, end);
  const head: EventHead = { timestamp: undefined, id: 0, name: '', ranges: {} };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag) {
      case 10: {
        const e = r.lenEnd();
        head.timestamp = timestamp(r, e, head.timestamp);
        break;
      }
      case 16: head.id = r.uint32() | 0; break;
      case 26: head.name = r.shared(); break;
      // A message field seen twice merges (protobuf's rule): its ranges decode as one.
      case 34: { const e = r.lenEnd(); (head.ranges.policies ??= []).push(r.pos, e); r.pos = e; break; }
      case 42: { const e = r.lenEnd(); (head.ranges.workload ??= []).push(r.pos, e); r.pos = e; break; }
      case 50: { const e = r.lenEnd(); (head.ranges.data ??= []).push(r.pos, e); r.pos = e; break; }
      case 58: { const e = r.lenEnd(); (head.ranges.threat ??= []).push(r.pos, e); r.pos = e; break; }
      case 66: { const e = r.lenEnd(); (head.ranges.detected_from ??= []).push(r.pos, e); r.pos = e; break; }
      default: r.skip(tag & 7);
    }
  }
  if (r.pos !== end) throw new WireError('', `field runs past the end of the event (byte ${end})`);
  return head;
}

/**
 * The serialized Event inside a tracee.v1beta1.StreamEventsResponse (field 1),
 * as a view without a copy; undefined when absent, unreadable, or sent in
 * several parts (protobuf merges those: the full decoder handles that rare case).
 */
export function eventBytesOfResponse(response: Buffer): Buffer | undefined {
  const r = new WireReader(response, 0, response.length);
  let start = -1;
  let end = -1;
  let count = 0;
  try {
    while (r.pos < response.length) {
      const tag = r.uint32();
      if (tag === 10) {
        end = r.lenEnd();
        start = r.pos;
        r.pos = end;
        count++;
      } else {
        r.skip(tag & 7);
      }
    }
  } catch (e) {
    if (e instanceof WireError) return undefined;
    throw e;
  }
  return count === 1 && r.pos === response.length ? response.subarray(start, end) : undefined;
}

/** Decode one serialized Event lazily; throws DecodeError like decodeProtoEvent. */
export function decodeWireEvent(bytes: Uint8Array): WireEvent {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = readEventHead(buf, 0, buf.length);
  if (head.name === '') throw new DecodeError('name', 'missing or empty');
  return new WireEvent(buf, head);
}
