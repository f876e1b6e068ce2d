// Findings in the legacy shapes released Tracee printed:
//  - `legacy`: the detection `trace.Event` unified `tracee` v0.24 printed;
//  - `rules`:  the tracee-rules rawjson finding {Data, Context, SigMetadata}.
// The context is the triggering event as the user's Tracee printed it when it
// came from a legacy recording, else rebuilt from the model in v0.24 shape.
import type { Event, EventValue, SockAddr } from '../model/event.js';
import type { SignatureMetadata } from '../model/signature.js';
import { FIRST_DETECTOR_EVENT_ID, FIRST_SIGNATURE_EVENT_ID, internalEventId } from '../model/event-ids.js';
import { toNanosText } from '../model/time.js';
import { legacySourceOf } from '../decode/legacy.js';
import { rawNumber, writeJson } from './raw-json.js';

type Obj = Record<string, unknown>;

/** The legacy `trace.Event` context of an event (its own, or rebuilt), exact timestamps. */
export function legacyContext(event: Event): Obj {
  const ts = rawNumber(event.timestamp ? toNanosText(event.timestamp) : '0');
  const start = event.workload?.process?.thread?.start_time;
  const source = legacySourceOf(event);
  if (source) {
    const copy: Obj = { ...source.object };
    copy.timestamp = ts;
    if (start && 'threadStartTime' in copy) copy.threadStartTime = rawNumber(toNanosText(start));
    return copy;
  }
  const p = event.workload?.process;
  const t = p?.thread;
  const parent = p?.ancestors?.[0];
  const c = event.workload?.container;
  const k = event.workload?.k8s;
  const args = event.data.map(legacyArg);
  return {
    timestamp: ts,
    threadStartTime: rawNumber(start ? toNanosText(start) : '0'),
    processorId: 0,
    processId: p?.pid ?? 0,
    cgroupId: 0,
    threadId: t?.tid ?? 0,
    parentProcessId: parent?.pid ?? 0,
    hostProcessId: p?.host_pid ?? 0,
    hostThreadId: t?.host_tid ?? 0,
    hostParentProcessId: parent?.host_pid ?? 0,
    userId: p?.real_user?.id ?? 0,
    mountNamespace: 0,
    pidNamespace: 0,
    processName: t?.name ?? '',
    executable: { path: p?.executable?.path ?? '' },
    hostName: k?.pod?.name ?? '',
    containerId: c?.id ?? '',
    container: c?.id
      ? { id: c.id, name: c.name || undefined, image: c.image?.name || undefined, imageDigest: c.image?.repo_digests?.[0] || undefined }
      : {},
    kubernetes: k?.pod?.name ? { podName: k.pod.name, podNamespace: k.namespace?.name || undefined, podUID: k.pod.uid || undefined } : {},
    eventId: String(internalEventId(event.name, event.id)),
    eventName: event.name,
    matchedPolicies: event.policies?.matched.length ? event.policies.matched : undefined,
    argsNum: args.length,
    returnValue: 0,
    syscall: t?.syscall ?? '',
    stackAddresses: null,
    contextFlags: { containerStarted: c?.started ?? false, isCompat: t?.compat ?? false },
    threadEntityId: t?.unique_id ?? 0,
    processEntityId: p?.unique_id ?? 0,
    parentEntityId: parent?.unique_id ?? 0,
    args,
  };
}

/** A model value as a v0.24 legacy arg ({name, type, value}; sockaddr values as strings). */
function legacyArg(v: EventValue): Obj {
  const name = v.name;
  if (v.int32 !== undefined) return { name, type: 'int32', value: v.int32 };
  if (v.int64 !== undefined) return { name, type: 'int64', value: rawNumber(v.int64) };
  if (v.u_int32 !== undefined) return { name, type: 'uint32', value: v.u_int32 };
  if (v.u_int64 !== undefined) return { name, type: 'uint64', value: rawNumber(v.u_int64) };
  if (v.pointer !== undefined) return { name, type: 'trace.Pointer', value: rawNumber(v.pointer) };
  if (v.str !== undefined) return { name, type: 'string', value: v.str };
  if (v.bytes !== undefined) return { name, type: '[]byte', value: Buffer.from(v.bytes).toString('base64') };
  if (v.bool !== undefined) return { name, type: 'bool', value: v.bool };
  if (v.str_array !== undefined) return { name, type: '[]string', value: v.str_array.value ?? [] };
  if (v.sockaddr) return { name, type: 'SockAddr', value: legacySockaddr(v.sockaddr) };
  if (v.timespec !== undefined) return { name, type: 'float64', value: v.timespec.value ?? 0 };
  if (v.struct !== undefined) return { name, type: 'unknown', value: v.struct };
  return { name, type: 'unknown', value: null };
}

/** Legacy sockaddr: every key of the family present, values as strings, keys sorted. */
function legacySockaddr(s: SockAddr): Obj {
  if (s.sa_family === 'AF_INET') return { sa_family: 'AF_INET', sin_addr: s.sin_addr ?? '', sin_port: String(s.sin_port ?? 0) };
  if (s.sa_family === 'AF_INET6') {
    return {
      sa_family: 'AF_INET6',
      sin6_addr: s.sin6_addr ?? '',
      sin6_flowinfo: String(s.sin6_flowinfo ?? 0),
      sin6_port: String(s.sin6_port ?? 0),
      sin6_scopeid: String(s.sin6_scopeid ?? 0),
    };
  }
  if (s.sa_family === 'AF_UNIX') return { sa_family: 'AF_UNIX', sun_path: s.sun_path ?? '' };
  return { sa_family: s.sa_family === 'SA_FAMILY_T_UNSPEC' ? 'AF_UNSPEC' : s.sa_family };
}

/** Finding data as a Go map would hold it: name -> plain value. */
export function findingData(finding: Event): Obj {
  const out: Obj = {};
  for (const v of finding.data) out[v.name] = v.str ?? v.u_int32 ?? v.int32 ?? v.bool ?? v.int64 ?? v.u_int64 ?? v.str_array?.value ?? null;
  return out;
}

function goType(v: EventValue): string {
  if (v.str !== undefined) return 'const char *';
  if (v.int32 !== undefined) return 'int';
  if (v.u_int32 !== undefined) return 'unsigned int';
  if (v.bool !== undefined) return 'bool';
  if (v.int64 !== undefined) return 'long';
  if (v.str_array !== undefined) return 'const char**';
  return 'unknown';
}

function sortedKeys(o: Obj): Obj {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

/** The JSON of a signature's constant metadata, made once per signature. */
interface MetadataJson {
  legacy: string; // "metadata" of a v0.24 detection event
  rules: string; // "SigMetadata" of a tracee-rules finding
}
const metadataJson = new WeakMap<SignatureMetadata, MetadataJson>();

function metadataJsonOf(meta: SignatureMetadata): MetadataJson {
  let m = metadataJson.get(meta);
  if (m) return m;
  // Properties as Go's json.Marshal writes a map: sorted keys; v0.18+ adds these keys, null when unset.
  const legacyProperties = sortedKeys({
    ...meta.properties,
    Category: meta.category,
    Severity: meta.severity,
    Technique: meta.mitre.technique.name,
    external_id: meta.mitre.technique.id,
    id: null,
    signatureID: meta.id,
    signatureName: meta.name,
  });
  m = {
    legacy: JSON.stringify({ Version: meta.version, Description: meta.description, Tags: meta.tags, Properties: legacyProperties }),
    rules: JSON.stringify({
      ID: meta.id,
      Version: meta.version,
      Name: meta.name,
      EventName: meta.eventName,
      Description: meta.description,
      Tags: meta.tags,
      Properties: sortedKeys({ ...meta.properties, Severity: meta.severity, Category: meta.category, Technique: meta.mitre.technique.name, external_id: meta.mitre.technique.id }),
    }),
  };
  metadataJson.set(meta, m);
  return m;
}

/** The finding's own args, as v0.24 printed finding data (Go types of the values). */
function findingArgs(finding: Event): Obj[] {
  return finding.data.map((v) => ({ name: v.name, type: goType(v), value: findingData({ ...finding, data: [v] })[v.name] }));
}

const signatureEventId = (finding: Event) => String(FIRST_SIGNATURE_EVENT_ID + (finding.id - FIRST_DETECTOR_EVENT_ID));

/**
 * The v0.24 detection event made from the trigger's own line, as printed: only
 * eventId, eventName, argsNum, returnValue and args change and metadata is added,
 * so everything else stays byte for byte what the user's Tracee wrote. Undefined
 * when the line is not laid out as Tracee writes it (then the object path runs).
 */
function legacyFindingFromText(finding: Event, meta: SignatureMetadata): string | undefined {
  const source = legacySourceOf(finding);
  const text = source?.text;
  const o = source?.object;
  if (!text || !o || text.charCodeAt(0) !== 0x7b || !text.endsWith(']}')) return undefined;
  const idAt = text.indexOf('"eventId":"');
  const nameAt = text.indexOf(',"eventName":"', idAt);
  const argsNumAt = text.indexOf(',"argsNum":', nameAt);
  const returnAt = text.indexOf(',"returnValue":', argsNumAt);
  const argsAt = text.indexOf(',"args":[', returnAt);
  if (idAt < 0 || nameAt < 0 || argsNumAt < 0 || returnAt < 0 || argsAt < 0) return undefined;
  // The values read from the text must be the ones JSON.parse saw, or the layout is not Tracee's.
  if (text.slice(idAt + 11, nameAt) !== `${o.eventId}"`) return undefined;
  const nameEnd = text.indexOf('"', nameAt + 14);
  if (text.slice(nameAt + 14, nameEnd) !== o.eventName) return undefined;
  const returnEnd = text.indexOf(',', returnAt + 15);
  const returnText = text.slice(returnAt + 15, returnEnd);
  if (returnEnd < 0 || returnEnd > argsAt || Number(returnText) !== o.returnValue) return undefined;
  const triggerArgs = text.slice(argsAt + 8, text.length - 1);
  const args = findingArgs(finding);
  const detectedFrom = `{"name":"detectedFrom","type":"unknown","value":{"args":${triggerArgs},"id":${Number(o.eventId)},"name":${JSON.stringify(o.eventName)},"returnValue":${returnText}}}`;
  return (
    text.slice(0, idAt) +
    `"eventId":"${signatureEventId(finding)}","eventName":${JSON.stringify(meta.eventName)}` +
    text.slice(nameEnd + 1, argsNumAt) +
    `,"argsNum":${args.length + 1},"returnValue":0` +
    text.slice(returnEnd, argsAt) +
    `,"args":[${JSON.stringify(args).slice(1, -1)},${detectedFrom}],"metadata":${metadataJsonOf(meta).legacy}}`
  );
}

/** The detection event unified `tracee` v0.24 printed for a signature finding. */
export function legacyFinding(finding: Event, meta: SignatureMetadata): string {
  const fast = legacyFindingFromText(finding, meta);
  if (fast !== undefined) return fast;
  const trigger = legacyContext({ ...finding, name: finding.detected_from?.name ?? '', data: finding.detected_from?.data ?? [] });
  const args = findingArgs(finding);
  args.push({
    name: 'detectedFrom',
    type: 'unknown',
    value: { args: trigger.args, id: Number(trigger.eventId), name: trigger.eventName, returnValue: trigger.returnValue ?? 0 },
  });
  const out: Obj = { ...trigger };
  out.eventId = signatureEventId(finding);
  out.eventName = meta.eventName;
  out.argsNum = args.length;
  out.returnValue = 0;
  out.args = args;
  out.metadata = JSON.parse(metadataJsonOf(meta).legacy);
  return writeJson(out);
}

/** tracee-rules' rawjson template: {"Data":…,"Context":…,"SigMetadata":…}; the Context is the trigger's line as printed. */
export function rulesFinding(finding: Event, meta: SignatureMetadata): string {
  const text = legacySourceOf(finding)?.text;
  const context = text && text.charCodeAt(0) === 0x7b && text.charCodeAt(text.length - 1) === 0x7d
    ? text
    : writeJson(legacyContext({ ...finding, name: finding.detected_from?.name ?? '', data: finding.detected_from?.data ?? [] }));
  return `{"Data":${JSON.stringify(sortedKeys(findingData(finding)))},"Context":${context},"SigMetadata":${metadataJsonOf(meta).rules}}`;
}
