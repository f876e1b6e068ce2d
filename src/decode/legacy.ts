// Legacy `trace.Event` JSON (every released Tracee up to v0.24.1, all eras):
// flat or nested container fields, `eventId` as a string, C-style or Go-style
// arg types, sockaddr values as maps of strings, 19-digit integer timestamps.
import type { Event, EventValue, Process, SockAddr, SourceHandle, Workload } from '../model/event.js';
import { fromNanosText } from '../model/time.js';
import { DecodeError, describe } from './errors.js';
import { exactIntegerText, isObject, Json, optBool, optNumber, optObject, optString, stringList } from './fields.js';

const INT32_TYPES = new Set(['int', 'int32', 'pid_t', 'uid_t', 'gid_t', 'clockid_t', 'int8', 'int16']);
const INT64_TYPES = new Set(['long', 'long long', 'int64', 'off_t', 'ssize_t', 'time_t']);
const UINT32_TYPES = new Set(['unsigned int', 'uint32', 'uint16', 'uint8', 'u8', 'u16', 'u32', 'dev_t', 'umode_t', 'mode_t', 'unsigned short', 'u_int32']);
const UINT64_TYPES = new Set(['unsigned long', 'uint64', 'size_t', 'u64', 'unsigned long long', 'void*', 'trace.Pointer']);
const BYTES_TYPES = new Set(['bytes', '[]byte']);

export function decodeLegacy(o: Json, raw: string): Event {
  const name = optString(o, 'eventName', '');
  if (name === undefined || name === '') throw new DecodeError('eventName', 'missing or empty');
  const tsNumber = optNumber(o, 'timestamp', '');
  if (tsNumber === undefined) throw new DecodeError('timestamp', 'missing');
  if (!Number.isInteger(tsNumber)) throw new DecodeError('timestamp', `expected an integer count of nanoseconds, got ${tsNumber}`);
  const timestamp = fromNanosText(exactIntegerText(raw, 'timestamp', tsNumber));

  const eventIdText = o.eventId;
  let id = 0;
  if (typeof eventIdText === 'string' && /^\d+$/.test(eventIdText)) id = Number(eventIdText);
  else if (typeof eventIdText === 'number' && Number.isInteger(eventIdText)) id = eventIdText;
  else if (eventIdText !== undefined) throw new DecodeError('eventId', `expected a decimal string, got ${describe(eventIdText)}`);

  const matched = o.matchedPolicies;
  const policies = Array.isArray(matched) ? { matched: stringList(matched, 'matchedPolicies') } : undefined;

  const event: Event = {
    timestamp,
    id,
    name,
    policies,
    workload: legacyWorkload(o, raw),
    data: legacyArgs(o.args, name),
    source: new LegacySource(o, raw),
  };
  return event;
}

/** The legacy JSON edge's handle: the trace.Event object and its line as printed, for the legacy encoders' echo. */
export class LegacySource implements SourceHandle {
  readonly edge = 'legacy-json';
  readonly recordedEventId: number | undefined;

  constructor(readonly object: Record<string, unknown>, readonly text: string | undefined) {
    const id = Number(object.eventId);
    this.recordedEventId = Number.isInteger(id) ? id : undefined;
  }
}

/** The legacy source of an event (or of a finding, its trigger's); undefined for events from other edges. */
export function legacySourceOf(event: Event): LegacySource | undefined {
  return event.source instanceof LegacySource ? event.source : undefined;
}

function legacyWorkload(o: Json, raw: string): Workload {
  const container = optObject(o, 'container', '');
  const k8s = optObject(o, 'kubernetes', '');
  const flags = optObject(o, 'contextFlags', '');
  const containerIdValue =
    (container && optString(container, 'id', 'container.')) || optString(o, 'containerId', '') || '';
  // v0.9+: started = contextFlags.containerStarted. Older builds had no flag; the
  // container id alone marked a container event then.
  const started = flags ? optBool(flags, 'containerStarted', 'contextFlags.') ?? false : containerIdValue !== '';

  const workload: Workload = {};
  const pid = optNumber(o, 'processId', '');
  const processName = optString(o, 'processName', '');
  if (pid || processName) {
    const tst = optNumber(o, 'threadStartTime', '');
    const process: Process = {
      unique_id: optNumber(o, 'processEntityId', ''),
      host_pid: optNumber(o, 'hostProcessId', ''),
      pid,
      real_user: { id: optNumber(o, 'userId', '') },
      thread: {
        start_time: tst ? fromNanosText(exactIntegerText(raw, 'threadStartTime', tst)) : undefined,
        name: processName,
        unique_id: optNumber(o, 'threadEntityId', ''),
        host_tid: optNumber(o, 'hostThreadId', ''),
        tid: optNumber(o, 'threadId', ''),
        syscall: optString(o, 'syscall', '') || undefined,
        compat: (flags && optBool(flags, 'isCompat', 'contextFlags.')) || undefined,
      },
    };
    const exe = optObject(o, 'executable', '');
    const path = exe && optString(exe, 'path', 'executable.');
    if (path) process.executable = { path };
    const parentEntity = optNumber(o, 'parentEntityId', '');
    if (parentEntity) {
      process.ancestors = [{ unique_id: parentEntity, host_pid: optNumber(o, 'hostParentProcessId', ''), pid: optNumber(o, 'parentProcessId', '') }];
    }
    workload.process = process;
  }
  if (containerIdValue !== '') {
    const image = (container && optString(container, 'image', 'container.')) || optString(o, 'containerImage', '') || '';
    const digest = container && optString(container, 'imageDigest', 'container.');
    workload.container = {
      id: containerIdValue,
      name: (container && optString(container, 'name', 'container.')) || optString(o, 'containerName', '') || '',
      image: image || digest ? { id: '', repo_digests: digest ? [digest] : undefined, name: image } : undefined,
      started,
    };
  }
  const podName = (k8s && optString(k8s, 'podName', 'kubernetes.')) || optString(o, 'podName', '') || '';
  if (podName !== '') {
    workload.k8s = {
      pod: { name: podName, uid: (k8s && optString(k8s, 'podUID', 'kubernetes.')) || optString(o, 'podUID', '') || '' },
      namespace: { name: (k8s && optString(k8s, 'podNamespace', 'kubernetes.')) || optString(o, 'podNamespace', '') || '' },
    };
  }
  return workload;
}

function legacyArgs(args: unknown, eventName: string): EventValue[] {
  if (args === undefined || args === null) return [];
  if (!Array.isArray(args)) throw new DecodeError('args', `expected an array, got ${describe(args)}`);
  const out: EventValue[] = [];
  for (let i = 0; i < args.length; i++) out.push(legacyArg(args[i], i, eventName));
  return out;
}

/** args[i] of a legacy event -> EventValue; throws DecodeError naming the field. */
export function legacyArg(a: unknown, i: number, eventName: string): EventValue {
  const path = `args[${i}]`;
  if (!isObject(a)) throw new DecodeError(path, `expected an object, got ${describe(a)}`);
  const name = optString(a, 'name', `${path}.`);
  if (name === undefined) throw new DecodeError(`${path}.name`, 'missing');
  const type = typeof a.type === 'string' ? a.type : '';
  return legacyValue(name, type, a.value, `${path}.value (${name})`, eventName);
}

function legacyValue(name: string, type: string, v: unknown, path: string, eventName: string): EventValue {
  // The two arguments TRC-1013 reads are checked strictly; others are carried as found.
  if (name === 'env' && eventName === 'sched_process_exec') {
    if (v === null || v === undefined) return { name };
    return { name, str_array: { value: stringList(v, path) } };
  }
  if (name === 'remote_addr') {
    if (v === null || v === undefined) return { name };
    return { name, sockaddr: legacySockaddr(v, path) };
  }
  if (v === null || v === undefined) return { name };
  if (typeof v === 'string') {
    if (BYTES_TYPES.has(type)) return { name, bytes: Buffer.from(v, 'base64') };
    return { name, str: v };
  }
  if (typeof v === 'boolean') return { name, bool: v };
  if (typeof v === 'number') {
    if (INT32_TYPES.has(type) && Number.isInteger(v)) return { name, int32: v };
    if (UINT32_TYPES.has(type) && Number.isInteger(v)) return { name, u_int32: v };
    if (UINT64_TYPES.has(type) && Number.isInteger(v)) return { name, u_int64: BigInt(v).toString() };
    if (INT64_TYPES.has(type) && Number.isInteger(v)) return { name, int64: BigInt(v).toString() };
    if (!Number.isInteger(v)) return { name, timespec: { value: v } };
    return Math.abs(v) <= 0x7fffffff ? { name, int32: v } : { name, int64: BigInt(v).toString() };
  }
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return { name, str_array: { value: v as string[] } };
    if (v.every((x) => typeof x === 'number' && Number.isInteger(x))) {
      return type === '[2]int32' || type === 'int[2]' ? { name, int32_array: { value: v as number[] } } : { name, u_int64_array: { value: (v as number[]).map((x) => BigInt(x).toString()) } };
    }
    return { name, struct: { items: v } };
  }
  if (isObject(v) && typeof v.sa_family === 'string') return { name, sockaddr: legacySockaddr(v, path) };
  return { name, struct: v as Json };
}

/** {"sa_family":"AF_INET","sin_addr":"10.96.0.1","sin_port":"443"} -> SockAddr (ports as numbers). */
export function legacySockaddr(v: unknown, path: string): SockAddr {
  if (!isObject(v)) throw new DecodeError(path, `expected a sockaddr object, got ${describe(v)}`);
  const family = v.sa_family;
  if (typeof family !== 'string') throw new DecodeError(`${path}.sa_family`, `expected a family name, got ${describe(family)}`);
  const out: SockAddr = { sa_family: family };
  for (const key of ['sun_path', 'sin_addr', 'sin6_addr'] as const) {
    const s = v[key];
    if (s === undefined) continue;
    if (typeof s !== 'string') throw new DecodeError(`${path}.${key}`, `expected a string, got ${describe(s)}`);
    out[key] = s;
  }
  for (const key of ['sin_port', 'sin6_port', 'sin6_flowinfo', 'sin6_scopeid'] as const) {
    const s = v[key];
    if (s === undefined) continue;
    const n = typeof s === 'string' && /^\d{1,10}$/.test(s) ? Number(s) : typeof s === 'number' ? s : NaN;
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new DecodeError(`${path}.${key}`, `expected a decimal number, got ${describe(s)}`);
    out[key] = n;
  }
  return out;
}
