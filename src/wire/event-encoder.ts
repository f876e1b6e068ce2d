// Model Event -> tracee.v1beta1.Event protobuf (plain object for protobufjs/grpc-js, or bytes).
import type { DetectedFrom, Event, EventValue, Process, Timestamp, Workload } from '../model/event.js';
import { protoType } from './proto.js';

type Obj = Record<string, unknown>;

const ts = (t: Timestamp | undefined): Obj | undefined => (t ? { seconds: t.seconds, nanos: t.nanos } : undefined);
const u32 = (n: number | undefined): Obj | undefined => (n === undefined ? undefined : { value: n });

function process(p: Process): Obj {
  const t = p.thread;
  return {
    executable: p.executable,
    unique_id: u32(p.unique_id),
    host_pid: u32(p.host_pid),
    pid: u32(p.pid),
    real_user: p.real_user ? { id: u32(p.real_user.id) } : undefined,
    thread: t
      ? {
          start_time: ts(t.start_time),
          name: t.name,
          unique_id: u32(t.unique_id),
          host_tid: u32(t.host_tid),
          tid: u32(t.tid),
          syscall: t.syscall,
          compat: t.compat,
          user_stack_trace: t.user_stack_trace,
        }
      : undefined,
    ancestors: p.ancestors?.map(process),
  };
}

function toStructValue(v: unknown): Obj {
  if (v === null || v === undefined) return { nullValue: 0 };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toStructValue) } };
  return { structValue: toStruct(v as Obj) };
}

function toStruct(o: Obj): Obj {
  return { fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, toStructValue(v)])) };
}

export function protoValue(v: EventValue): Obj {
  const out: Obj = { name: v.name };
  if (v.struct !== undefined) out.struct = toStruct(v.struct);
  else if (v.timespec !== undefined) out.timespec = { value: v.timespec.value === undefined ? undefined : { value: v.timespec.value } };
  else if (v.opaque !== undefined) out[v.opaque.field] = v.opaque.bytes ?? Buffer.alloc(0);
  else if (v.sockaddr === null) return out;
  else {
    for (const k of ['int32', 'int64', 'u_int32', 'u_int64', 'str', 'bytes', 'bool', 'str_array', 'int32_array', 'u_int64_array', 'sockaddr', 'credentials', 'pointer'] as const) {
      if (v[k] !== undefined) {
        out[k] = v[k];
        break;
      }
    }
  }
  return out;
}

/** A DetectedFrom in protobufjs form. */
export function protoDetectedFromObject(d: DetectedFrom): Obj {
  return { id: d.id, name: d.name, data: d.data?.map(protoValue), parent: d.parent ? protoDetectedFromObject(d.parent) : undefined };
}

/** A Workload in protobufjs form. */
export function protoWorkloadObject(w: Workload): Obj {
  return {
    process: w.process ? process(w.process) : undefined,
    container: w.container,
    k8s: w.k8s,
  };
}

/** The Event as a plain object in protobufjs form (wrappers, enums by name or number). */
export function protoEventObject(e: Event): Obj {
  return {
    timestamp: ts(e.timestamp),
    id: e.id,
    name: e.name,
    policies: e.policies,
    workload: e.workload ? protoWorkloadObject(e.workload) : undefined,
    data: e.data.map(protoValue),
    threat: e.threat,
    detected_from: e.detected_from ? protoDetectedFromObject(e.detected_from) : undefined,
  };
}

export function encodeProtoEvent(e: Event): Uint8Array {
  const type = protoType('tracee.v1beta1.Event');
  return type.encode(type.fromObject(protoEventObject(e))).finish();
}
