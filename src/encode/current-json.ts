// Event -> the JSON line Tracee main prints (`--output json`): its key order,
// its presence rules (what is omitted when empty) and its value encodings.
import { type DetectedFrom, type Event, type EventValue, perFrozenThreat, type Process, type SockAddr, type Threat, type Timestamp, type Workload } from '../model/event.js';
import { formatRfc3339Nano } from '../model/time.js';
import { rawNumber, writeJson } from './raw-json.js';

export function currentJson(event: Event): string {
  const out: Record<string, unknown> = {
    timestamp: event.timestamp ? formatRfc3339Nano(event.timestamp) : 'null',
    id: event.id,
    name: event.name,
    policies: event.policies ? { matched: event.policies.matched } : undefined,
  };
  const w = event.workload && workload(event.workload);
  if (w) out.workload = w;
  if (event.data.length > 0) out.data = event.data.map(value);
  const t = event.threat && frozenThreatJson(event.threat);
  if (t === undefined) {
    if (event.threat) out.threat = threat(event.threat);
    if (event.detected_from) out.detected_from = detectedFrom(event.detected_from);
    return writeJson(out);
  }
  // The threat's text written once: its keys come after data and before detected_from.
  const head = writeJson(out);
  const from = event.detected_from ? `,"detected_from":${writeJson(detectedFrom(event.detected_from))}` : '';
  return `${head.slice(0, -1)},"threat":${t}${from}}`;
}

/** The JSON of a frozen threat, written once. */
const frozenThreatJson = perFrozenThreat((t) => writeJson(threat(t)));

function ts(t: Timestamp | undefined): string | undefined {
  return t && (t.seconds !== 0 || t.nanos !== 0) ? formatRfc3339Nano(t) : undefined;
}

function process(p: Process): Record<string, unknown> {
  const t = p.thread;
  return {
    executable: p.executable?.path ? { path: p.executable.path } : undefined,
    unique_id: p.unique_id ?? 0,
    host_pid: p.host_pid ?? 0,
    pid: p.pid ?? 0,
    real_user: { id: p.real_user?.id ?? 0 },
    thread: t
      ? {
          start_time: ts(t.start_time),
          name: t.name || undefined,
          unique_id: t.unique_id ?? 0,
          host_tid: t.host_tid ?? 0,
          tid: t.tid ?? 0,
          syscall: t.syscall || undefined,
          compat: t.compat ? true : undefined,
          user_stack_trace: t.user_stack_trace?.addresses.length
            ? { addresses: t.user_stack_trace.addresses.map((a) => ({ address: rawNumber(a.address), symbol: a.symbol })) }
            : undefined,
        }
      : undefined,
    ancestors: p.ancestors?.length
      ? p.ancestors.map((a) => ({
          unique_id: a.unique_id ?? 0,
          host_pid: a.host_pid ?? 0,
          pid: a.pid ?? 0,
          thread: a.thread?.name ? { name: a.thread.name } : undefined,
          executable: a.executable?.path ? { path: a.executable.path } : undefined,
        }))
      : undefined,
  };
}

function workload(w: Workload): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  const p = w.process;
  if (p && ((p.pid ?? 0) !== 0 || (p.thread?.name ?? '') !== '' || (p.host_pid ?? 0) !== 0)) out.process = process(p);
  const c = w.container;
  if (c && c.id !== '') {
    out.container = {
      id: c.id,
      name: c.name ?? '',
      image: c.image?.name ? { id: c.image.id ?? '', repo_digests: c.image.repo_digests?.length ? c.image.repo_digests : undefined, name: c.image.name } : undefined,
      started: c.started,
    };
  }
  const k = w.k8s;
  if (k?.pod?.name) {
    out.k8s = {
      pod: { name: k.pod.name, uid: k.pod.uid ?? '', labels: k.pod.labels && Object.keys(k.pod.labels).length ? k.pod.labels : undefined },
      namespace: { name: k.namespace?.name ?? '' },
    };
  }
  return Object.keys(out).length ? out : undefined;
}

function sockaddr(s: SockAddr): Record<string, unknown> {
  return {
    sa_family: s.sa_family === 'SA_FAMILY_T_UNSPEC' ? undefined : s.sa_family,
    sun_path: s.sun_path || undefined,
    sin_addr: s.sin_addr || undefined,
    sin_port: s.sin_port || undefined,
    sin6_addr: s.sin6_addr || undefined,
    sin6_port: s.sin6_port || undefined,
    sin6_flowinfo: s.sin6_flowinfo || undefined,
    sin6_scopeid: s.sin6_scopeid || undefined,
  };
}

/** One data entry: {"name":…, "<kind>": value}; a nil value is "value":null. */
export function value(v: EventValue): Record<string, unknown> {
  const name = v.name;
  if (v.int32 !== undefined) return { name, int32: v.int32 };
  if (v.int64 !== undefined) return { name, int64: v.int64 };
  if (v.u_int32 !== undefined) return { name, u_int32: v.u_int32 };
  if (v.u_int64 !== undefined) return { name, u_int64: v.u_int64 };
  if (v.str !== undefined) return { name, str: v.str };
  if (v.bytes !== undefined) return { name, bytes: Buffer.from(v.bytes).toString('base64') };
  if (v.bool !== undefined) return { name, bool: v.bool };
  if (v.str_array !== undefined) return { name, str_array: v.str_array.value?.length ? { value: v.str_array.value } : {} };
  if (v.int32_array !== undefined) return { name, int32_array: v.int32_array.value?.length ? { value: v.int32_array.value } : {} };
  if (v.u_int64_array !== undefined) return { name, u_int64_array: v.u_int64_array.value?.length ? { value: v.u_int64_array.value } : {} };
  if (v.sockaddr !== undefined) return { name, sockaddr: v.sockaddr === null ? null : sockaddr(v.sockaddr) };
  if (v.credentials !== undefined) return { name, credentials: v.credentials };
  if (v.timespec !== undefined) return { name, timespec: v.timespec };
  if (v.struct !== undefined) return { name, struct: v.struct };
  if (v.pointer !== undefined) return { name, pointer: v.pointer };
  if (v.opaque !== undefined) return { name, [v.opaque.field]: v.opaque.json ?? (v.opaque.bytes ? Buffer.from(v.opaque.bytes).toString('base64') : null) };
  return { name, value: null };
}

function threat(t: Threat): Record<string, unknown> {
  const mitre = t.mitre
    ? {
        tactic: t.mitre.tactic ? { name: t.mitre.tactic.name } : undefined,
        technique: t.mitre.technique ? { id: t.mitre.technique.id ?? '', name: t.mitre.technique.name } : undefined,
      }
    : undefined;
  return {
    description: t.description,
    mitre,
    severity: t.severity,
    name: t.name,
    properties: t.properties && Object.keys(t.properties).length ? t.properties : undefined,
  };
}

function detectedFrom(d: DetectedFrom): Record<string, unknown> {
  return {
    id: d.id,
    name: d.name,
    data: d.data?.length ? d.data.map(value) : undefined,
    parent: d.parent && (d.parent.id || d.parent.name) ? detectedFrom(d.parent) : undefined,
  };
}
