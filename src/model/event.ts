// The one in-memory event model: Tracee's `tracee.v1beta1.Event`, with proto
// field names. Every edge (recorded JSON of any era, protobuf) converts into it;
// signatures read nothing else. Differences from the protobuf object form, all
// chosen so the model is exact and easy to read:
//  - UInt32Value wrappers are plain numbers;
//  - 64-bit integers are decimal strings (JSON numbers lose precision past 2^53);
//  - enums are names (sa_family "AF_INET"), except `id` and `severity`, numbers
//    as Tracee's JSON prints them.

export interface Timestamp {
  seconds: number; // whole seconds since the Unix epoch (safe: < 2^53)
  nanos: number; // 0 .. 999,999,999
}

export interface SockAddr {
  sa_family: string; // "AF_UNIX" | "AF_INET" | "AF_INET6" | "SA_FAMILY_T_UNSPEC" | other
  sun_path?: string;
  sin_addr?: string;
  sin_port?: number;
  sin6_addr?: string;
  sin6_port?: number;
  sin6_flowinfo?: number;
  sin6_scopeid?: number;
}

/** One argument. Exactly one of the value keys is set (none for a nil value). */
export interface EventValue {
  name: string;
  int32?: number;
  int64?: string;
  u_int32?: number;
  u_int64?: string;
  str?: string;
  bytes?: Uint8Array;
  bool?: boolean;
  str_array?: { value?: string[] };
  int32_array?: { value?: number[] };
  u_int64_array?: { value?: string[] };
  sockaddr?: SockAddr | null;
  credentials?: Record<string, unknown>;
  timespec?: { value?: number };
  struct?: Record<string, unknown>;
  pointer?: string;
  /** Payloads no signature reads (hooked_syscalls ... http_response, fields 15-29), kept opaque. */
  opaque?: { field: string; bytes?: Uint8Array; json?: unknown };
}

export interface Process {
  executable?: { path: string };
  unique_id?: number;
  host_pid?: number;
  pid?: number;
  real_user?: { id?: number };
  thread?: Thread;
  ancestors?: Process[];
}

export interface Thread {
  start_time?: Timestamp;
  name?: string;
  unique_id?: number;
  host_tid?: number;
  tid?: number;
  syscall?: string;
  compat?: boolean;
  user_stack_trace?: { addresses: { address: string; symbol: string }[] };
}

export interface Container {
  id: string;
  name?: string;
  image?: { id?: string; repo_digests?: string[]; name?: string };
  started: boolean;
}

export interface K8s {
  pod?: { name?: string; uid?: string; labels?: Record<string, string> };
  namespace?: { name?: string };
}

export interface Workload {
  process?: Process;
  container?: Container;
  k8s?: K8s;
}

export interface Threat {
  description: string;
  mitre?: { tactic?: { name: string }; technique?: { id: string; name: string } };
  severity: number; // Severity enum: INFO=0 LOW=1 MEDIUM=2 HIGH=3 CRITICAL=4
  name: string;
  properties?: Record<string, string>;
}

/** Freezes a threat and its parts, so that it may be shared (see isFrozenThreat). */
export function freezeThreat(t: Threat): Threat {
  if (t.mitre) {
    Object.freeze(t.mitre.tactic);
    Object.freeze(t.mitre.technique);
    Object.freeze(t.mitre);
  }
  Object.freeze(t.properties);
  return Object.freeze(t);
}

/** Whether a threat and its parts are frozen: its content stays as it is for as long as it lives (what is made of it can be kept by it). */
export function isFrozenThreat(t: Threat): boolean {
  const m = t.mitre;
  return Object.isFrozen(t) && Object.isFrozen(t.properties) && (m === undefined || (Object.isFrozen(m) && Object.isFrozen(m.tactic) && Object.isFrozen(m.technique)));
}

/**
 * `encode` kept per frozen threat (findings share one per signature and severity: see findingBuilder):
 * the function answers a frozen threat's encoding, made once, and undefined for any other threat.
 */
export function perFrozenThreat<T>(encode: (t: Threat) => T): (t: Threat) => T | undefined {
  const kept = new WeakMap<Threat, T>();
  return (t) => {
    let encoded = kept.get(t);
    if (encoded === undefined && isFrozenThreat(t)) kept.set(t, (encoded = encode(t)));
    return encoded;
  };
}

export interface DetectedFrom {
  id: number;
  name: string;
  data?: EventValue[];
  parent?: DetectedFrom;
}

export interface Event {
  timestamp?: Timestamp;
  id: number;
  name: string;
  policies?: { matched: string[] };
  workload?: Workload;
  data: EventValue[];
  threat?: Threat;
  detected_from?: DetectedFrom;
  /**
   * Edge bookkeeping, never read by signatures: an opaque handle the source
   * edge left, so that an output in that edge's format can echo the source
   * exactly (the legacy JSON edge keeps its trace.Event object and line). A
   * finding carries its trigger's.
   */
  source?: SourceHandle;
}

/** What a source edge keeps of an event for its own encoders; opaque to everything else. */
export interface SourceHandle {
  /** The edge that made it, e.g. "legacy-json". */
  readonly edge: string;
  /** The event id as the source recorded it, when it recorded one (a finding's detected_from names it). */
  readonly recordedEventId?: number;
}

/**
 * Reads an event decoded lazily (from protobuf bytes) offers, so that the hot
 * path decodes only what signatures read. Each answers exactly what reading
 * the model would; the accessors (accessors.ts) use them when present.
 */
export interface LazyReads {
  /** `data.find((v) => v.name === name)`, decoding that value alone. */
  argument(name: string): EventValue | undefined;
  /** `workload?.container?.id ?? ''`, decoding only the id. */
  containerId(): string;
  /** `workload?.container?.started === true`, likewise. */
  containerStarted(): boolean;
  /** `summarizeStrings(<the str_array of argument(name)>, prefix)`, read from the bytes without building every entry. */
  stringArraySummary?(name: string, prefix?: string): StringArraySummary | undefined;
}

/**
 * What a signature needs of a long string-array argument (an exec's `env`)
 * without a string per entry: how many entries, their size as the kernel
 * counts it, the last one, and only the entries that start with a prefix.
 */
export interface StringArraySummary {
  length: number;
  /** UTF-8 bytes of every entry plus one NUL each (Tracee's env cap counts these). */
  nulTerminatedBytes: number;
  last: string | undefined;
  /** The entries that start with the prefix asked for, whole, in order (none when no prefix was given). */
  withPrefix: string[];
}

export type Origin = 'host' | 'container' | 'container-init';

export const Severity = { INFO: 0, LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4 } as const;
export const SEVERITY_NAMES = ['INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
