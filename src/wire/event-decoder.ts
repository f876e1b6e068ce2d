// tracee.v1beta1.Event protobuf (bytes, or a protobufjs message) -> model Event.
import type * as protobuf from 'protobufjs';
import type { DetectedFrom, Event, EventValue, Process, SockAddr, Threat, Timestamp, Workload } from '../model/event.js';
import { protoEnum, protoType } from './proto.js';
import { DecodeError } from '../decode/errors.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const OBJECT_OPTIONS: protobuf.IConversionOptions = { longs: String, enums: String, bytes: Buffer as unknown as undefined, defaults: false, arrays: true };
const OPAQUE_FIELDS = [
  'hooked_syscalls', 'hooked_seq_ops', 'ipv4', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'dns',
  'dns_questions', 'dns_responses', 'packet_metadata', 'http', 'http_request', 'http_response',
];

let eventType: protobuf.Type | undefined;
let eventIds: Record<string, number> | undefined;
let severities: Record<string, number> | undefined;

function schema() {
  if (!eventType) {
    eventType = protoType('tracee.v1beta1.Event');
    eventIds = protoEnum('tracee.v1beta1.EventId').values;
    severities = protoEnum('tracee.v1beta1.Severity').values;
  }
  return { eventType, eventIds: eventIds!, severities: severities! };
}

/** Decode one serialized tracee.v1beta1.Event. Throws DecodeError on bad bytes. */
export function decodeProtoEvent(bytes: Uint8Array): Event {
  const { eventType } = schema();
  let msg: protobuf.Message;
  try {
    msg = eventType.decode(bytes);
  } catch (e) {
    throw new DecodeError('', `not a valid tracee.v1beta1.Event: ${(e as Error).message}`);
  }
  return eventFromProtoMessage(msg);
}

/** A decoded protobufjs Event message (e.g. from grpc-js) -> model Event. */
export function eventFromProtoMessage(msg: protobuf.Message | Obj): Event {
  const { eventType } = schema();
  const o = typeof (msg as protobuf.Message).$type === 'object' ? eventType.toObject(msg as protobuf.Message, OBJECT_OPTIONS) : (msg as Obj);
  return eventFromProtoObject(o);
}

/** A plain object of the Event message (protobufjs toObject with longs and enums as strings). */
export function eventFromProtoObject(o: Obj): Event {
  const { eventIds, severities } = schema();
  if (typeof o.name !== 'string' || o.name === '') throw new DecodeError('name', 'missing or empty');
  const id = typeof o.id === 'number' ? o.id : typeof o.id === 'string' ? eventIds[o.id] ?? (Number(o.id) || 0) : 0;
  const event: Event = {
    timestamp: timestamp(o.timestamp, 'timestamp'),
    id,
    name: o.name,
    policies: o.policies ? { matched: o.policies.matched ?? [] } : undefined,
    workload: o.workload ? workload(o.workload) : undefined,
    data: (o.data ?? []).map(value),
  };
  if (o.threat) event.threat = threat(o.threat, severities);
  if (o.detected_from && (o.detected_from.name || o.detected_from.id)) event.detected_from = detectedFrom(o.detected_from);
  return event;
}

// google.protobuf.Timestamp's valid range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
const MIN_SECONDS = -62135596800;
const MAX_SECONDS = 253402300799;

function timestamp(t: Obj | undefined, field: string): Timestamp | undefined {
  if (!t) return undefined;
  const seconds = Number(t.seconds ?? 0);
  const nanos = Number(t.nanos ?? 0);
  // Out of range, the model's exact time (and every encoder after it) has no meaning.
  if (!Number.isInteger(seconds) || seconds < MIN_SECONDS || seconds > MAX_SECONDS) {
    throw new DecodeError(`${field}.seconds`, `${t.seconds} is outside google.protobuf.Timestamp's range (years 1 to 9999)`);
  }
  if (!Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) throw new DecodeError(`${field}.nanos`, `expected 0 to 999999999, got ${t.nanos}`);
  return { seconds, nanos };
}

const u32 = (w: Obj | undefined): number | undefined => (w ? Number(w.value ?? 0) : undefined);

function process(p: Obj, path: string): Process {
  const t = p.thread;
  return {
    executable: p.executable ? { path: p.executable.path ?? '' } : undefined,
    unique_id: u32(p.unique_id),
    host_pid: u32(p.host_pid),
    pid: u32(p.pid),
    real_user: p.real_user ? { id: u32(p.real_user.id) } : undefined,
    thread: t
      ? {
          start_time: timestamp(t.start_time, `${path}.thread.start_time`),
          name: t.name,
          unique_id: u32(t.unique_id),
          host_tid: u32(t.host_tid),
          tid: u32(t.tid),
          syscall: t.syscall,
          compat: t.compat,
          user_stack_trace: t.user_stack_trace
            ? { addresses: (t.user_stack_trace.addresses ?? []).map((a: Obj) => ({ address: String(a.address ?? '0'), symbol: a.symbol ?? '' })) }
            : undefined,
        }
      : undefined,
    ancestors: p.ancestors?.length ? p.ancestors.map((a: Obj, i: number) => process(a, `${path}.ancestors[${i}]`)) : undefined,
  };
}

function workload(w: Obj): Workload {
  const out: Workload = {};
  if (w.process) out.process = process(w.process, 'workload.process');
  if (w.container) {
    const c = w.container;
    out.container = {
      id: c.id ?? '',
      name: c.name,
      image: c.image ? { id: c.image.id ?? '', repo_digests: c.image.repo_digests?.length ? c.image.repo_digests : undefined, name: c.image.name ?? '' } : undefined,
      started: c.started === true,
    };
  }
  if (w.k8s) {
    out.k8s = {
      pod: w.k8s.pod ? { name: w.k8s.pod.name ?? '', uid: w.k8s.pod.uid ?? '', labels: w.k8s.pod.labels } : undefined,
      namespace: w.k8s.namespace ? { name: w.k8s.namespace.name ?? '' } : undefined,
    };
  }
  return out;
}

function sockaddr(s: Obj): SockAddr {
  const out: SockAddr = { sa_family: typeof s.sa_family === 'string' ? s.sa_family : s.sa_family === undefined ? 'SA_FAMILY_T_UNSPEC' : String(s.sa_family) };
  for (const k of ['sun_path', 'sin_addr', 'sin6_addr'] as const) if (s[k]) out[k] = s[k];
  for (const k of ['sin_port', 'sin6_port', 'sin6_flowinfo', 'sin6_scopeid'] as const) if (s[k]) out[k] = Number(s[k]);
  return out;
}

function structValue(v: Obj): unknown {
  if ('structValue' in v) return structFields(v.structValue);
  if ('listValue' in v) return (v.listValue.values ?? []).map(structValue);
  if ('stringValue' in v) return v.stringValue;
  if ('numberValue' in v) return v.numberValue;
  if ('boolValue' in v) return v.boolValue;
  return null;
}

function structFields(s: Obj): Record<string, unknown> {
  // Keys come from the input: without a prototype, "__proto__" is a key like any other.
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries((s?.fields ?? {}) as Obj)) out[k] = structValue(v as Obj);
  return out;
}

export function value(v: Obj): EventValue {
  const name: string = v.name ?? '';
  if (v.int32 !== undefined) return { name, int32: v.int32 };
  if (v.int64 !== undefined) return { name, int64: String(v.int64) };
  if (v.u_int32 !== undefined) return { name, u_int32: v.u_int32 };
  if (v.u_int64 !== undefined) return { name, u_int64: String(v.u_int64) };
  if (v.str !== undefined) return { name, str: v.str };
  if (v.bytes !== undefined) return { name, bytes: v.bytes };
  if (v.bool !== undefined) return { name, bool: v.bool };
  if (v.str_array !== undefined) return { name, str_array: { value: v.str_array.value ?? [] } };
  if (v.int32_array !== undefined) return { name, int32_array: { value: v.int32_array.value ?? [] } };
  if (v.u_int64_array !== undefined) return { name, u_int64_array: { value: (v.u_int64_array.value ?? []).map(String) } };
  if (v.sockaddr !== undefined) return { name, sockaddr: sockaddr(v.sockaddr) };
  if (v.credentials !== undefined) return { name, credentials: v.credentials };
  if (v.timespec !== undefined) return { name, timespec: { value: v.timespec.value?.value } };
  if (v.struct !== undefined) return { name, struct: structFields(v.struct) };
  if (v.pointer !== undefined) return { name, pointer: String(v.pointer) };
  for (const field of OPAQUE_FIELDS) if (v[field] !== undefined) return { name, opaque: { field, bytes: v[field] } };
  return { name };
}

function threat(t: Obj, severities: Record<string, number>): Threat {
  return {
    description: t.description ?? '',
    mitre: t.mitre
      ? {
          tactic: t.mitre.tactic ? { name: t.mitre.tactic.name ?? '' } : undefined,
          technique: t.mitre.technique ? { id: t.mitre.technique.id ?? '', name: t.mitre.technique.name ?? '' } : undefined,
        }
      : undefined,
    severity: typeof t.severity === 'number' ? t.severity : severities[t.severity] ?? 0,
    name: t.name ?? '',
    properties: t.properties,
  };
}

function detectedFrom(d: Obj): DetectedFrom {
  return {
    id: d.id ?? 0,
    name: d.name ?? '',
    data: (d.data ?? []).map(value),
    parent: d.parent && (d.parent.name || d.parent.id) ? detectedFrom(d.parent) : undefined,
  };
}

// Sub-message decoders, for the lazy wire decoder (lazy-reader.ts) to share
// this module's meaning of the kinds it does not decode itself.

/** One serialized tracee.v1beta1.EventValue -> model value. */
export function decodeProtoValue(bytes: Uint8Array): EventValue {
  return value(toObject('tracee.v1beta1.EventValue', bytes));
}

/** One serialized tracee.v1beta1.Threat -> model threat. */
export function decodeProtoThreat(bytes: Uint8Array): Threat {
  return threat(toObject('tracee.v1beta1.Threat', bytes), schema().severities);
}

/** One serialized tracee.v1beta1.DetectedFrom; undefined when it names nothing (as in decodeProtoEvent). */
export function decodeProtoDetectedFrom(bytes: Uint8Array): DetectedFrom | undefined {
  const d = toObject('tracee.v1beta1.DetectedFrom', bytes);
  return d.name || d.id ? detectedFrom(d) : undefined;
}

function toObject(typeName: string, bytes: Uint8Array): Obj {
  const type = protoType(typeName);
  try {
    return type.toObject(type.decode(bytes), OBJECT_OPTIONS);
  } catch (e) {
    throw new DecodeError('', `not a valid ${typeName}: ${(e as Error).message}`);
  }
}

/** One serialized tracee.v1beta1.Workload -> model workload. */
export function decodeProtoWorkload(bytes: Uint8Array): Workload {
  return workload(toObject('tracee.v1beta1.Workload', bytes));
}
