// Current Tracee JSON (main, protobuf-shaped; from commit a72783645), plus the
// two short-lived main variants before it: protojson (enum-name `id`, string
// severity) and the generic `"value"` data key.
import type { DetectedFrom, Event, EventValue, Process, SockAddr, Threat, Timestamp, Workload } from '../model/event.js';
import { CURRENT_EVENT_IDS } from '../model/event-ids.js';
import { nameTable } from '../model/name-table.js';
import { parseRfc3339 } from '../model/time.js';
import { DecodeError, describe } from './errors.js';
import { isObject, Json, optBool, optNumber, optObject, optString, stringList } from './fields.js';

const SEVERITY_BY_NAME = nameTable({ INFO: 0, LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4 });
const SIMPLE_KINDS = ['int32', 'u_int32', 'str', 'bool'] as const;
const OPAQUE_KINDS = new Set([
  'hooked_syscalls', 'hooked_seq_ops', 'ipv4', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'dns',
  'dns_questions', 'dns_responses', 'packet_metadata', 'http', 'http_request', 'http_response',
]);

export function decodeCurrent(o: Json): Event {
  const name = optString(o, 'name', '');
  if (name === undefined || name === '') throw new DecodeError('name', 'missing or empty');
  const timestamp = timestampField(o, 'timestamp', '');
  let id = 0;
  if (typeof o.id === 'number' && Number.isInteger(o.id)) id = o.id;
  else if (typeof o.id === 'string') id = CURRENT_EVENT_IDS[o.id] ?? 0; // protojson variant: enum name
  else if (o.id !== undefined) throw new DecodeError('id', `expected a number, got ${describe(o.id)}`);
  const pol = optObject(o, 'policies', '');
  const event: Event = {
    timestamp,
    id,
    name,
    policies: pol ? { matched: pol.matched === undefined ? [] : stringList(pol.matched, 'policies.matched') } : undefined,
    workload: workloadField(o),
    data: dataList(o.data, 'data', name),
  };
  const threat = optObject(o, 'threat', '');
  if (threat) event.threat = threatField(threat);
  const df = optObject(o, 'detected_from', '');
  if (df) event.detected_from = detectedFrom(df, 'detected_from');
  return event;
}

function timestampField(o: Json, key: string, path: string): Timestamp | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === 'null') return undefined; // Tracee writes "null" for a nil timestamp
  if (typeof v !== 'string') throw new DecodeError(path + key, `expected an RFC 3339 string, got ${describe(v)}`);
  const ts = parseRfc3339(v);
  if (!ts) throw new DecodeError(path + key, `not an RFC 3339 time: ${describe(v)}`);
  return ts;
}

function workloadField(o: Json): Workload | undefined {
  const w = optObject(o, 'workload', '');
  if (!w) return undefined;
  const out: Workload = {};
  const p = optObject(w, 'process', 'workload.');
  if (p) out.process = processField(p, 'workload.process.');
  const c = optObject(w, 'container', 'workload.');
  if (c) {
    const image = optObject(c, 'image', 'workload.container.');
    out.container = {
      id: optString(c, 'id', 'workload.container.') ?? '',
      name: optString(c, 'name', 'workload.container.'),
      image: image
        ? {
            id: optString(image, 'id', 'workload.container.image.'),
            repo_digests: image.repo_digests === undefined ? undefined : stringList(image.repo_digests, 'workload.container.image.repo_digests'),
            name: optString(image, 'name', 'workload.container.image.'),
          }
        : undefined,
      // protojson omitted false; older builds named it is_running
      started: optBool(c, 'started', 'workload.container.') ?? optBool(c, 'is_running', 'workload.container.') ?? false,
    };
  }
  const k = optObject(w, 'k8s', 'workload.');
  if (k) {
    const pod = optObject(k, 'pod', 'workload.k8s.');
    const ns = optObject(k, 'namespace', 'workload.k8s.');
    const labels = pod && optObject(pod, 'labels', 'workload.k8s.pod.');
    out.k8s = {
      pod: pod
        ? { name: optString(pod, 'name', 'workload.k8s.pod.'), uid: optString(pod, 'uid', 'workload.k8s.pod.'), labels: labels as Record<string, string> | undefined }
        : undefined,
      namespace: ns ? { name: optString(ns, 'name', 'workload.k8s.namespace.') } : undefined,
    };
  }
  return out;
}

function uint(o: Json, key: string, path: string): number | undefined {
  const v = o[key];
  if (isObject(v)) return optNumber(v, 'value', `${path}${key}.`); // protojson wrapper form
  return optNumber(o, key, path);
}

function processField(p: Json, path: string): Process {
  const out: Process = {
    unique_id: uint(p, 'unique_id', path),
    host_pid: uint(p, 'host_pid', path),
    pid: uint(p, 'pid', path),
  };
  const exe = optObject(p, 'executable', path);
  if (exe) out.executable = { path: optString(exe, 'path', `${path}executable.`) ?? '' };
  const user = optObject(p, 'real_user', path);
  if (user) out.real_user = { id: uint(user, 'id', `${path}real_user.`) };
  const t = optObject(p, 'thread', path);
  if (t) {
    const tp = `${path}thread.`;
    const stack = optObject(t, 'user_stack_trace', tp);
    out.thread = {
      start_time: timestampField(t, 'start_time', tp),
      name: optString(t, 'name', tp),
      unique_id: uint(t, 'unique_id', tp),
      host_tid: uint(t, 'host_tid', tp),
      tid: uint(t, 'tid', tp),
      syscall: optString(t, 'syscall', tp),
      compat: optBool(t, 'compat', tp),
      user_stack_trace: stack && Array.isArray(stack.addresses)
        ? { addresses: stack.addresses.filter(isObject).map((a) => ({ address: String(a.address ?? 0), symbol: String(a.symbol ?? '') })) }
        : undefined,
    };
  }
  if (Array.isArray(p.ancestors)) {
    out.ancestors = p.ancestors.map((a, i) => {
      if (!isObject(a)) throw new DecodeError(`${path}ancestors[${i}]`, `expected an object, got ${describe(a)}`);
      return processField(a, `${path}ancestors[${i}].`);
    });
  }
  return out;
}

function dataList(v: unknown, path: string, eventName: string): EventValue[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new DecodeError(path, `expected an array, got ${describe(v)}`);
  return v.map((item, i) => dataValue(item, `${path}[${i}]`, eventName));
}

/** One item of `data` -> EventValue; throws DecodeError naming the field. */
export function dataValue(item: unknown, path: string, eventName: string): EventValue {
  if (!isObject(item)) throw new DecodeError(path, `expected an object, got ${describe(item)}`);
  const name = optString(item, 'name', `${path}.`);
  if (name === undefined) throw new DecodeError(`${path}.name`, 'missing');
  const where = `${path} (${name})`;
  // TRC-1013 reads these two: a wrong kind is an error, not a silent miss.
  if (name === 'env' && eventName === 'sched_process_exec' && !('str_array' in item) && !('value' in item)) {
    throw new DecodeError(where, 'expected a str_array value');
  }
  for (const kind of SIMPLE_KINDS) {
    if (kind in item) {
      const x = item[kind];
      const ok = kind === 'str' ? typeof x === 'string' : kind === 'bool' ? typeof x === 'boolean' : typeof x === 'number' && Number.isInteger(x);
      if (!ok) throw new DecodeError(`${where}.${kind}`, `wrong type: ${describe(x)}`);
      return { name, [kind]: x } as EventValue;
    }
  }
  for (const kind of ['int64', 'u_int64', 'pointer'] as const) {
    if (kind in item) return { name, [kind]: int64Text(item[kind], `${where}.${kind}`) };
  }
  if ('str_array' in item) {
    const a = item.str_array;
    if (!isObject(a)) throw new DecodeError(`${where}.str_array`, `expected {"value":[...]}, got ${describe(a)}`);
    return { name, str_array: a.value === undefined ? {} : { value: stringList(a.value, `${where}.str_array.value`) } };
  }
  if ('sockaddr' in item) return { name, sockaddr: item.sockaddr === null ? null : sockaddr(item.sockaddr, `${where}.sockaddr`) };
  if ('bytes' in item) {
    if (typeof item.bytes !== 'string') throw new DecodeError(`${where}.bytes`, `expected base64 text, got ${describe(item.bytes)}`);
    return { name, bytes: Buffer.from(item.bytes, 'base64') };
  }
  if ('int32_array' in item) return { name, int32_array: isObject(item.int32_array) ? { value: item.int32_array.value as number[] | undefined } : {} };
  if ('u_int64_array' in item) return { name, u_int64_array: isObject(item.u_int64_array) ? { value: item.u_int64_array.value as string[] | undefined } : {} };
  if ('credentials' in item) return { name, credentials: isObject(item.credentials) ? item.credentials : {} };
  if ('timespec' in item) return { name, timespec: isObject(item.timespec) ? { value: item.timespec.value as number } : {} };
  if ('struct' in item) return { name, struct: isObject(item.struct) ? item.struct : {} };
  if ('value' in item) return genericValue(name, item.value, where);
  for (const key of Object.keys(item)) if (OPAQUE_KINDS.has(key)) return { name, opaque: { field: key, json: item[key] } };
  return { name };
}

function int64Text(x: unknown, where: string): string {
  if (typeof x === 'string' && /^-?\d{1,20}$/.test(x)) return x;
  if (typeof x === 'number' && Number.isInteger(x)) return BigInt(x).toString();
  throw new DecodeError(where, `expected decimal digits, got ${describe(x)}`);
}

/** The Dec 2025 variant wrote every value under "value"; infer the kind from the JSON. */
function genericValue(name: string, v: unknown, where: string): EventValue {
  if (v === null) return { name };
  if (typeof v === 'string') return { name, str: v };
  if (typeof v === 'boolean') return { name, bool: v };
  if (typeof v === 'number') return Number.isInteger(v) ? (Math.abs(v) <= 0x7fffffff ? { name, int32: v } : { name, int64: BigInt(v).toString() }) : { name, timespec: { value: v } };
  if (Array.isArray(v)) return { name, str_array: { value: stringList(v, `${where}.value`) } };
  if (isObject(v) && 'sa_family' in v) return { name, sockaddr: sockaddr(v, `${where}.value`) };
  return { name, struct: v as Json };
}

const FAMILY_BY_NUMBER: Record<number, string> = { 0: 'SA_FAMILY_T_UNSPEC', 1: 'AF_UNIX', 2: 'AF_INET', 10: 'AF_INET6' };

function sockaddr(v: unknown, path: string): SockAddr {
  if (!isObject(v)) throw new DecodeError(path, `expected a sockaddr object, got ${describe(v)}`);
  const fam = v.sa_family;
  // All-zero sockaddr prints as {} (family absent = unspecified).
  const family = fam === undefined ? 'SA_FAMILY_T_UNSPEC' : typeof fam === 'number' ? FAMILY_BY_NUMBER[fam] ?? String(fam) : fam;
  if (typeof family !== 'string') throw new DecodeError(`${path}.sa_family`, `expected a family name, got ${describe(fam)}`);
  const out: SockAddr = { sa_family: family };
  for (const key of ['sun_path', 'sin_addr', 'sin6_addr'] as const) {
    const s = optString(v, key, `${path}.`);
    if (s !== undefined) out[key] = s;
  }
  for (const key of ['sin_port', 'sin6_port', 'sin6_flowinfo', 'sin6_scopeid'] as const) {
    const n = optNumber(v, key, `${path}.`);
    if (n === undefined) continue;
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new DecodeError(`${path}.${key}`, `expected a port/uint32, got ${n}`);
    out[key] = n;
  }
  return out;
}

function threatField(t: Json): Threat {
  const sev = t.severity;
  const mitre = optObject(t, 'mitre', 'threat.');
  const tactic = mitre && optObject(mitre, 'tactic', 'threat.mitre.');
  const technique = mitre && optObject(mitre, 'technique', 'threat.mitre.');
  return {
    description: optString(t, 'description', 'threat.') ?? '',
    mitre: mitre
      ? {
          tactic: tactic ? { name: optString(tactic, 'name', 'threat.mitre.tactic.') ?? '' } : undefined,
          technique: technique ? { id: optString(technique, 'id', 'threat.mitre.technique.') ?? '', name: optString(technique, 'name', 'threat.mitre.technique.') ?? '' } : undefined,
        }
      : undefined,
    severity: typeof sev === 'number' ? sev : typeof sev === 'string' ? SEVERITY_BY_NAME[sev] ?? 0 : 0,
    name: optString(t, 'name', 'threat.') ?? '',
    properties: optObject(t, 'properties', 'threat.') as Record<string, string> | undefined,
  };
}

function detectedFrom(d: Json, path: string): DetectedFrom {
  const parent = optObject(d, 'parent', `${path}.`);
  return {
    id: optNumber(d, 'id', `${path}.`) ?? 0,
    name: optString(d, 'name', `${path}.`) ?? '',
    data: dataList(d.data, `${path}.data`, ''),
    parent: parent ? detectedFrom(parent, `${path}.parent`) : undefined,
  };
}
