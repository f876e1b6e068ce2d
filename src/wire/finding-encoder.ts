// Findings to tracee.v1beta1.Event bytes, written by hand for the hot path,
// alone (encodeFinding) or straight into a FindingBatch answer (FindingBatchWriter).
// The bytes decode to exactly what protobufjs makes of `protoEventObject(finding)`
// (test/wire/finding-encoder.test.ts checks that over random findings):
//  - the threat is the same for every finding of a signature and severity: its
//    bytes are encoded once and reused;
//  - a finding's workload, detected_from.data and detected_from.parent are its
//    trigger's; when the trigger came from the wire and those parts were not
//    replaced, their original bytes are written back as they came (they decode
//    to the same model, and keep fields newer than our proto);
//  - the finding's own values (ip, container_id, comm, port, ...) are strings
//    and integers, written directly; any other kind of value, and any part not
//    available as bytes, goes through protobufjs.
import type * as protobuf from 'protobufjs';
import { type DetectedFrom, type Event, type EventValue, perFrozenThreat, type Threat } from '../model/event.js';
import { protoDetectedFromObject, protoValue, protoWorkloadObject } from './event-encoder.js';
import { WireEvent, WireWorkload } from './lazy-reader.js';
import { protoType } from './proto.js';

const LEN = 2;

/** A growable byte buffer, reused from finding to finding. */
class ByteWriter {
  buf = Buffer.allocUnsafe(16 * 1024);
  pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** An unsigned varint of a non-negative integer below 2^53. */
  varint(n: number): void {
    this.room(10);
    const buf = this.buf;
    let pos = this.pos;
    while (n >= 0x80) {
      buf[pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    buf[pos++] = n;
    this.pos = pos;
  }

  /** A signed 64-bit varint (negative numbers take ten bytes, as protobuf writes them). */
  int64(n: number): void {
    if (n >= 0) this.varint(n);
    else this.bigVarint(BigInt.asUintN(64, BigInt(n)));
  }

  private bigVarint(n: bigint): void {
    this.room(10);
    while (n >= 0x80n) {
      this.buf[this.pos++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.buf[this.pos++] = Number(n);
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  string(field: number, s: string): void {
    this.tag(field, LEN);
    const n = s.length;
    let ascii = n < 0x80;
    for (let i = 0; ascii && i < n; i++) if (s.charCodeAt(i) >= 0x80) ascii = false;
    if (ascii) {
      this.room(n + 1);
      const buf = this.buf;
      let pos = this.pos;
      buf[pos++] = n;
      for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i);
      this.pos = pos;
      return;
    }
    const bytes = Buffer.byteLength(s, 'utf8');
    this.varint(bytes);
    this.room(bytes);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** A length-delimited field whose body is `src[start, end)`. */
  bytes(field: number, src: Uint8Array, start = 0, end = src.length): void {
    this.tag(field, LEN);
    this.varint(end - start);
    this.room(end - start);
    this.buf.set(src.subarray(start, end), this.pos);
    this.pos += end - start;
  }

  /**
   * Starts a nested message; `end(mark, reserved)` writes its length in front
   * of it. `reserved` bytes are kept for the length: one is enough below 128
   * bytes, two below 16 KiB; a wrong guess only moves the body.
   */
  begin(field: number, reserved = 1): number {
    this.tag(field, LEN);
    this.room(reserved);
    const mark = this.pos;
    this.pos += reserved;
    return mark;
  }

  end(mark: number, reserved = 1): void {
    const len = this.pos - mark - reserved;
    if (len < 0x80 && reserved === 1) {
      this.buf[mark] = len;
      return;
    }
    let size = 1;
    for (let n = len; n >= 0x80; n = Math.floor(n / 0x80)) size++;
    if (size !== reserved) {
      if (size > reserved) this.room(size - reserved);
      this.buf.copy(this.buf, mark + size, mark + reserved, this.pos); // the body follows the length's actual size
      this.pos += size - reserved;
    }
    let n = len;
    let at = mark;
    while (n >= 0x80) {
      this.buf[at++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[at] = n;
  }

  /** A copy of the bytes written; the writer starts afresh. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    return out;
  }
}

const writer = new ByteWriter();

let types: { value: protobuf.Type; workload: protobuf.Type; threat: protobuf.Type; detectedFrom: protobuf.Type } | undefined;
function schema() {
  return (types ??= {
    value: protoType('tracee.v1beta1.EventValue'),
    workload: protoType('tracee.v1beta1.Workload'),
    threat: protoType('tracee.v1beta1.Threat'),
    detectedFrom: protoType('tracee.v1beta1.DetectedFrom'),
  });
}

function viaProtobufjs(type: protobuf.Type, obj: Record<string, unknown>): Uint8Array {
  return type.encode(type.fromObject(obj)).finish();
}

// -- threat: encoded once per distinct content ------------------------------------

const threats: { threat: Threat; bytes: Uint8Array }[] = [];
const MAX_THREATS = 64;

function sameThreat(a: Threat, b: Threat): boolean {
  if (a === b) return true;
  if (a.description !== b.description || a.severity !== b.severity || a.name !== b.name) return false;
  const am = a.mitre;
  const bm = b.mitre;
  if (!am || !bm) {
    if (am !== bm) return false;
  } else {
    if ((am.tactic === undefined) !== (bm.tactic === undefined) || am.tactic?.name !== bm.tactic?.name) return false;
    if ((am.technique === undefined) !== (bm.technique === undefined) || am.technique?.id !== bm.technique?.id || am.technique?.name !== bm.technique?.name) return false;
  }
  const ap = a.properties;
  const bp = b.properties;
  if (!ap || !bp) return ap === bp;
  const keys = Object.keys(ap);
  if (keys.length !== Object.keys(bp).length) return false;
  for (const k of keys) if (ap[k] !== bp[k] || !Object.prototype.hasOwnProperty.call(bp, k)) return false;
  return true;
}

/** Bytes of frozen threats, by the object: no comparison per finding. */
const frozenThreatBytes = perFrozenThreat((t) => viaProtobufjs(schema().threat, t as unknown as Record<string, unknown>));

function threatBytes(threat: Threat): Uint8Array {
  const shared = frozenThreatBytes(threat);
  if (shared) return shared;
  for (const known of threats) if (sameThreat(known.threat, threat)) return known.bytes;
  const bytes = viaProtobufjs(schema().threat, threat as unknown as Record<string, unknown>);
  if (threats.length >= MAX_THREATS) threats.shift();
  // A private copy: the cache must not change if the caller's object does.
  threats.push({ threat: structuredClone(threat), bytes });
  return bytes;
}

// -- values ------------------------------------------------------------------------

/** The kinds protoValue considers, in its order (the first one set is written). */
const KINDS = ['int32', 'int64', 'u_int32', 'u_int64', 'str', 'bytes', 'bool', 'str_array', 'int32_array', 'u_int64_array', 'sockaddr', 'credentials', 'pointer'] as const;
type Kind = (typeof KINDS)[number];

/** The kind protoValue would write, when it is one written by hand here; else undefined. */
function handKind(v: EventValue): Kind | undefined {
  if (v.struct !== undefined || v.timespec !== undefined || v.opaque !== undefined || v.sockaddr === null) return undefined;
  for (const k of KINDS) {
    const x = v[k];
    if (x === undefined) continue;
    if (x === null) return undefined;
    return k === 'int32' || k === 'u_int32' || k === 'str' || k === 'bool' ? k : undefined;
  }
  return undefined;
}

/** One EventValue as field `field`: strings, 32-bit integers and booleans by hand, other kinds through protobufjs. */
function writeValue(w: ByteWriter, field: number, v: EventValue): void {
  const kind = handKind(v);
  if (kind === undefined) {
    w.bytes(field, viaProtobufjs(schema().value, protoValue(v)));
    return;
  }
  const mark = w.begin(field);
  if (v.name !== undefined && v.name !== null) w.string(1, String(v.name));
  // Written even when zero or empty: a oneof member that is set stays set.
  if (kind === 'int32') {
    w.tag(2, 0);
    w.int64(v.int32! | 0);
  } else if (kind === 'u_int32') {
    w.tag(4, 0);
    w.varint(v.u_int32! >>> 0);
  } else if (kind === 'str') {
    w.string(6, String(v.str));
  } else {
    w.tag(8, 0);
    w.varint(v.bool ? 1 : 0);
  }
  w.end(mark);
}

function writeDetectedFrom(w: ByteWriter, d: DetectedFrom, trigger: Event | undefined): void {
  const mark = w.begin(8);
  if (d.id) {
    w.tag(1, 0);
    w.varint(d.id >>> 0);
  }
  if (d.name) w.string(2, d.name);
  if (d.data) {
    const wire = trigger instanceof WireEvent && d.data === trigger.data ? trigger.encodedData : undefined;
    if (wire) {
      const buf = (trigger as WireEvent).buffer;
      for (let i = 0; i < wire.length; i += 2) w.bytes(3, buf, wire[i], wire[i + 1]);
    } else for (const v of d.data) writeValue(w, 3, v);
  }
  if (d.parent) {
    const wire = trigger instanceof WireEvent && d.parent === trigger.detected_from ? trigger.encodedDetectedFrom : undefined;
    w.bytes(4, wire ?? viaProtobufjs(schema().detectedFrom, protoDetectedFromObject(d.parent)));
  }
  w.end(mark);
}

/**
 * A finding as tracee.v1beta1.Event bytes. `trigger`, the event it was built
 * from, lets the encoder reuse that event's bytes.
 */
export function encodeFinding(finding: Event, trigger?: Event): Uint8Array {
  writer.pos = 0;
  writeFinding(writer, finding, trigger);
  return writer.take();
}

/**
 * A tracee.sig.v1.FindingBatch written as its findings arrive: each finding is
 * encoded straight into the answer's buffer (no per-finding copy). One writer
 * serves batch after batch: `finish` hands out a copy and starts afresh.
 */
export class FindingBatchWriter {
  private readonly w = new ByteWriter();
  private readonly indexes: number[] = [];

  /** Findings added since the last `finish`. */
  get count(): number {
    return this.indexes.length;
  }

  /** Drops whatever was added since the last `finish` (a batch given up). */
  clear(): void {
    this.w.pos = 0;
    this.indexes.length = 0;
  }

  /** Adds one finding of the event at `triggerIndex`; when encoding throws, the batch is left as it was. */
  add(finding: Event, trigger: Event | undefined, triggerIndex: number): void {
    const w = this.w;
    const start = w.pos;
    try {
      const mark = w.begin(1, 2); // a finding is usually 128 bytes to 16 KiB
      writeFinding(w, finding, trigger);
      w.end(mark, 2);
    } catch (e) {
      w.pos = start;
      throw e;
    }
    this.indexes.push(triggerIndex);
  }

  /** The FindingBatch bytes (as protobuf writes them: zero counts absent, indexes packed). */
  finish(eventsProcessed: number, eventsUnusable: number): Buffer {
    const w = this.w;
    if (eventsProcessed) {
      w.tag(2, 0);
      w.varint(eventsProcessed);
    }
    if (this.indexes.length) {
      const mark = w.begin(3);
      for (const i of this.indexes) w.varint(i);
      w.end(mark);
    }
    if (eventsUnusable) {
      w.tag(4, 0);
      w.varint(eventsUnusable);
    }
    this.indexes.length = 0;
    return w.take();
  }
}

function writeFinding(w: ByteWriter, finding: Event, trigger: Event | undefined): void {
  const t = finding.timestamp;
  if (t) {
    const mark = w.begin(1);
    if (t.seconds) {
      w.tag(1, 0);
      w.int64(t.seconds);
    }
    if (t.nanos) {
      w.tag(2, 0);
      w.int64(t.nanos | 0);
    }
    w.end(mark);
  }
  if (finding.id) {
    w.tag(2, 0);
    w.int64(finding.id | 0);
  }
  if (finding.name) w.string(3, finding.name);
  if (finding.policies) {
    const mark = w.begin(4);
    for (const m of finding.policies.matched ?? []) w.string(1, String(m));
    w.end(mark);
  }
  const workload = finding.workload;
  if (workload) {
    // Every part is decoded (throws when malformed) before its bytes are copied.
    const raw = workload instanceof WireWorkload ? (workload.check(), workload.raw) : undefined;
    w.bytes(5, raw ?? viaProtobufjs(schema().workload, protoWorkloadObject(workload)));
  }
  for (const v of finding.data) writeValue(w, 6, v);
  if (finding.threat) w.bytes(7, threatBytes(finding.threat));
  if (finding.detected_from) writeDetectedFrom(w, finding.detected_from, trigger);
}
