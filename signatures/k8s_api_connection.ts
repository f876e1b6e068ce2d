// TRC-1013 k8s_api_connection: a process in a container connects to the
// Kubernetes API server. The address is learned per container from the
// KUBERNETES_SERVICE_HOST variable of its execs' environments.
//
// Where this differs from Tracee's own (each has a test that fails on Tracee's):
//  - only the variable named exactly KUBERNETES_SERVICE_HOST is read (Tracee
//    takes the first entry that merely contains the text);
//  - every distinct address a container has shown is kept, earliest first, in a
//    small bounded set (Tracee keeps the last one, so one forged exec unlearns it);
//  - addresses compare as addresses (IPv6 spellings, IPv4-mapped IPv6);
//  - truncated environments are noticed and counted;
//  - the finding carries ip, container_id, comm and port, as Tracee documents.
//
// Tuning (all off or at safe defaults unless configured; see README):
//  - cluster-wide addresses apply to every container, env seen or not; an
//    address shown by N distinct containers (default 3) is learned as one;
//  - hostname values are matched through the host's hostname data source
//    (opt-in; the signature never does I/O and never waits for an answer);
//  - allowlist rules (suppress, or audit: INFO findings with allowed_by);
//  - dedup of repeats per (container, comm, ip, port) by event time, with
//    the repeats carried as `count` on the next finding;
//  - all state bounded (LRU containers, capped sets), forgotten on
//    container_remove, and exportable with snapshot()/restore().
import type { Event, EventValue, StringArraySummary } from '../src/model/event.js';
import { Severity } from '../src/model/event.js';
import { comm, containerId, sockaddrArg, arg, stringArraySummary, summarizeStrings } from '../src/model/accessors.js';
import { addressKey } from '../src/model/address.js';
import type { Signature, SignatureContext, SignatureMetadata, EventSelector } from '../src/model/signature.js';
import { Allowlist, type AllowlistMode, type AllowRule } from '../src/model/allowlist.js';
import { DedupWindow, Interner, type DedupSnapshot } from '../src/model/dedup.js';

const VARIABLE = 'KUBERNETES_SERVICE_HOST';
/** Tracee reads at most 8191 bytes of environment and pads the rest with "?" entries. */
const TRACEE_ENV_CAP_BYTES = 8191;

export const metadata: SignatureMetadata = {
  id: 'TRC-1013',
  version: '0.1.0',
  name: 'Kubernetes API server connection detected',
  eventName: 'k8s_api_connection',
  description:
    'A connection to the kubernetes API server was detected. The K8S API server is the brain of your K8S cluster, ' +
    'adversaries may try and communicate with the K8S API server to gather information/credentials, or even run ' +
    'more containers and laterally expand their grip on your systems.',
  tags: ['container'],
  severity: Severity.LOW,
  category: 'discovery',
  mitre: { tactic: 'Discovery', technique: { id: 'T1526', name: 'Cloud Service Discovery' } },
  properties: { 'MITRE ATT&CK': 'Discovery: Cloud Service Discovery' },
};

export interface K8sApiConnectionOptions {
  /** Distinct addresses kept per container; later ones are dropped and counted (default 8). */
  maxAddressesPerContainer?: number;
  /** Containers tracked at most; the least recently used is evicted past it (default 65,536). */
  maxContainers?: number;
  /** API server addresses that apply to every container, env seen or not (IP texts). */
  clusterAddresses?: string[];
  /** An address shown by this many distinct containers applies to all; 0 = never (the default: opt-in). */
  learnAfterContainers?: number;
  /** Addresses being counted towards learnAfterContainers at most (default 4,096; LRU). */
  maxLearnCandidates?: number;
  /** Learned cluster-wide addresses at most; later ones are dropped and counted (default 256). */
  maxLearnedAddresses?: number;
  /** Treat hostname values as names to resolve through the host's hostname data source. */
  resolveHostnames?: boolean;
  /** Connections to allow: counted per rule, not reported (or reported as INFO in audit mode). */
  allowlist?: { mode?: AllowlistMode; rules: AllowRule[] };
  /** Repeats per (container, comm, ip, port) within this many seconds are counted, not reported; 0 = off. */
  dedupWindowSeconds?: number;
}

export const DEFAULTS = {
  maxAddressesPerContainer: 8,
  maxContainers: 65536,
  learnAfterContainers: 0,
  maxLearnCandidates: 4096,
  maxLearnedAddresses: 256,
  dedupWindowSeconds: 0,
} as const;

/** A hostname value is kept in the same sets as addresses, under this prefix. */
const NAME_PREFIX = 'dns:';

/** A DNS name as KUBERNETES_SERVICE_HOST may hold one (lower case, no trailing dot); undefined otherwise. */
export function hostnameOf(value: string): string | undefined {
  const name = value.toLowerCase().replace(/\.$/, '');
  if (name.length === 0 || name.length > 253 || !/[a-z]/.test(name)) return undefined;
  return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(name) ? name : undefined;
}

/** True for what the sets may hold: a canonical address key or dns:<name>. */
function isStateKey(key: unknown): key is string {
  if (typeof key !== 'string') return false;
  if (key.startsWith(NAME_PREFIX)) return hostnameOf(key.slice(NAME_PREFIX.length)) === key.slice(NAME_PREFIX.length);
  return addressKey(key) === key;
}

/** Per container, the API server addresses it has shown, in learning order; containers in LRU order. */
export class ApiAddressBook {
  private readonly containers = new Map<string, string[]>();
  /** Address keys are shared between containers (most show the same one or two). */
  private readonly interned = new Map<string, string>();
  droppedAddresses = 0;
  evictedContainers = 0;

  constructor(readonly maxAddressesPerContainer: number, readonly maxContainers: number) {}

  /** Remember an address for a container: 'new', 'known', or 'full' when its set was full. */
  learn(container: string, key: string): 'new' | 'known' | 'full' {
    const list = this.touch(container);
    if (!list) {
      if (this.containers.size >= this.maxContainers) {
        const oldest = this.containers.keys().next().value as string;
        this.containers.delete(oldest);
        this.evictedContainers++;
      }
      this.containers.set(container, [this.intern(key)]); // a literal: exactly sized (push would reserve 17 slots)
      return 'new';
    }
    if (list.includes(key)) return 'known';
    if (list.length >= this.maxAddressesPerContainer) {
      this.droppedAddresses++;
      return 'full';
    }
    list.push(this.intern(key));
    return 'new';
  }

  /** Mark a container recently used; its addresses, or undefined when unknown. */
  touch(container: string): string[] | undefined {
    const list = this.containers.get(container);
    if (list) {
      this.containers.delete(container); // re-insert: most recently used last
      this.containers.set(container, list);
    }
    return list;
  }

  private intern(key: string): string {
    const known = this.interned.get(key);
    if (known !== undefined) return known;
    if (this.interned.size < 4096) this.interned.set(key, key);
    return key;
  }

  knows(container: string, key: string): boolean {
    return this.containers.get(container)?.includes(key) ?? false;
  }

  keysOf(container: string): readonly string[] | undefined {
    return this.containers.get(container);
  }

  forget(container: string): boolean {
    return this.containers.delete(container);
  }

  forgetAll(): void {
    this.containers.clear();
  }

  get size(): number {
    return this.containers.size;
  }

  /** Least recently used first. */
  entries(): [string, string[]][] {
    return [...this.containers].map(([c, keys]) => [c, [...keys]]);
  }
}

/**
 * Addresses that apply to every container: configured ones, and learned ones
 * (shown by at least `threshold` distinct containers). A container counts once
 * per address however often it shows it, so one container forging its env
 * cannot arm an address for everyone.
 */
export class ClusterAddresses {
  readonly configured = new Set<string>();
  readonly learned = new Set<string>();
  /** address key -> distinct containers that showed it (fewer than threshold), LRU. */
  private readonly candidates = new Map<string, string[]>();
  candidatesEvicted = 0;
  learnedDropped = 0;

  constructor(readonly threshold: number, readonly maxCandidates: number, readonly maxLearned: number) {}

  has(key: string): 'configured' | 'learned' | undefined {
    return this.configured.has(key) ? 'configured' : this.learned.has(key) ? 'learned' : undefined;
  }

  /** A container showed this key; true when that made it cluster-wide. */
  observe(key: string, container: string): boolean {
    if (this.threshold <= 0 || this.configured.has(key) || this.learned.has(key)) return false;
    let seen = this.candidates.get(key);
    if (seen) this.candidates.delete(key);
    else {
      if (this.candidates.size >= this.maxCandidates) {
        this.candidates.delete(this.candidates.keys().next().value as string);
        this.candidatesEvicted++;
      }
      seen = [];
    }
    if (!seen.includes(container)) seen.push(container);
    if (seen.length < this.threshold) {
      this.candidates.set(key, seen);
      return false;
    }
    if (this.learned.size >= this.maxLearned) {
      this.learnedDropped++;
      return false;
    }
    this.addLearned(key);
    return true;
  }

  get candidateCount(): number {
    return this.candidates.size;
  }

  candidateEntries(): [string, string[]][] {
    return [...this.candidates].map(([k, cs]) => [k, [...cs]]);
  }

  /** Learned hostname keys (dns:<name>), kept apart so the connect path need not scan addresses. */
  learnedNames(): readonly string[] {
    return this.names;
  }
  private names: string[] = [];

  private addLearned(key: string): void {
    this.learned.add(key);
    if (key.startsWith(NAME_PREFIX)) this.names.push(key);
  }

  restore(learned: string[], candidates: [string, string[]][]): void {
    this.learned.clear();
    this.names = [];
    this.candidates.clear();
    for (const k of learned) if (this.learned.size < this.maxLearned) this.addLearned(k);
    if (this.threshold <= 0) return;
    for (const [k, cs] of candidates.slice(-this.maxCandidates)) {
      // The threshold may have been lowered since the snapshot was taken.
      if (cs.length >= this.threshold) {
        if (this.learned.size < this.maxLearned) this.addLearned(k);
      } else this.candidates.set(k, [...cs]);
    }
  }
}

/** What snapshot() returns: plain JSON data. */
export interface K8sApiConnectionSnapshot {
  version: 1;
  /** [container id, address keys] least recently used first. */
  containers: [string, string[]][];
  learned: string[];
  candidates: [string, string[]][];
  dedup: DedupSnapshot;
}

/** Every value of variables named exactly KUBERNETES_SERVICE_HOST, trimmed, non-empty. */
export function apiServerValues(env: string[]): string[] {
  const values: string[] = [];
  for (const entry of env) {
    if (typeof entry !== 'string' || !entry.startsWith(VARIABLE) || entry.charCodeAt(VARIABLE.length) !== 0x3d /* = */) continue;
    const value = entry.slice(VARIABLE.length + 1).trim();
    if (value !== '') values.push(value);
  }
  return values;
}

/** True when Tracee's 8 KiB environment cap was reached (it pads with "?"). */
export function looksTruncated(env: string[]): boolean {
  return summaryLooksTruncated(summarizeStrings(env));
}

function summaryLooksTruncated(env: StringArraySummary): boolean {
  return env.length > 0 && (env.last === '?' || env.nulTerminatedBytes >= TRACEE_ENV_CAP_BYTES);
}

export class K8sApiConnection implements Signature {
  readonly metadata = metadata;
  readonly selectedEvents: EventSelector[] = [
    { source: 'tracee', name: 'sched_process_exec', origin: 'container' },
    { source: 'tracee', name: 'security_socket_connect', origin: 'container' },
    // container_remove comes from the host process that removed the cgroup.
    { source: 'tracee', name: 'container_remove', origin: '*' },
  ];
  readonly requires = ['environment'];

  private ctx?: SignatureContext;
  private readonly book: ApiAddressBook;
  private readonly cluster: ClusterAddresses;
  private readonly allowlist?: Allowlist;
  private readonly dedup?: DedupWindow;
  private readonly dedupKeys = new Interner();
  private readonly resolveHostnames: boolean;
  private readonly count = {
    execsSeen: 0,
    execsWithoutEnv: 0,
    envTruncated: 0,
    envTruncatedWithoutAddress: 0,
    nonAddressValues: 0,
    hostnameValues: 0,
    addressesLearned: 0,
    containersRemoved: 0,
    matchedContainerEnv: 0,
    matchedClusterConfigured: 0,
    matchedClusterLearned: 0,
    matchedHostname: 0,
    hostnameAnswerPending: 0,
  };

  constructor(options: K8sApiConnectionOptions = {}) {
    const maxContainers = options.maxContainers ?? DEFAULTS.maxContainers;
    this.book = new ApiAddressBook(options.maxAddressesPerContainer ?? DEFAULTS.maxAddressesPerContainer, maxContainers);
    this.cluster = new ClusterAddresses(
      options.learnAfterContainers ?? DEFAULTS.learnAfterContainers,
      options.maxLearnCandidates ?? DEFAULTS.maxLearnCandidates,
      options.maxLearnedAddresses ?? DEFAULTS.maxLearnedAddresses,
    );
    for (const text of options.clusterAddresses ?? []) {
      const key = addressKey(text);
      if (key === undefined) throw new Error(`cluster-wide API server address "${text}" is not an IP address`);
      this.cluster.configured.add(key);
    }
    if (options.allowlist && options.allowlist.rules.length > 0) this.allowlist = new Allowlist(options.allowlist.rules, options.allowlist.mode);
    const window = options.dedupWindowSeconds ?? DEFAULTS.dedupWindowSeconds;
    if (window > 0) this.dedup = new DedupWindow(window, maxContainers);
    this.resolveHostnames = options.resolveHostnames ?? false;
  }

  init(ctx: SignatureContext): void {
    this.ctx = ctx;
  }

  onEvent(event: Event): void {
    switch (event.name) {
      case 'sched_process_exec':
        return this.onExec(event);
      case 'security_socket_connect':
        return this.onConnect(event);
      case 'container_remove':
        return this.onContainerRemove(event);
    }
  }

  private onExec(event: Event): void {
    const container = containerId(event);
    if (container === '') return;
    this.count.execsSeen++;
    this.book.touch(container);
    // Read as a summary: only the KUBERNETES_SERVICE_HOST entries become strings.
    const env = stringArraySummary(event, 'env', `${VARIABLE}=`);
    if (!env || env.length === 0) {
      this.count.execsWithoutEnv++;
      return;
    }
    const values = apiServerValues(env.withPrefix);
    if (summaryLooksTruncated(env)) {
      this.count.envTruncated++;
      if (values.length === 0) this.count.envTruncatedWithoutAddress++;
    }
    for (const value of values) {
      let key = addressKey(value);
      if (key === undefined) {
        this.count.nonAddressValues++;
        const name = hostnameOf(value);
        if (name === undefined) continue;
        this.count.hostnameValues++;
        if (!this.resolveHostnames) continue;
        key = NAME_PREFIX + name;
        this.ctx?.dataSources?.hostnames?.addresses(name); // start the lookup now, before the connect
      }
      if (this.book.learn(container, key) === 'new') {
        this.count.addressesLearned++;
        this.cluster.observe(key, container);
      }
    }
  }

  private onConnect(event: Event): void {
    const container = containerId(event);
    if (container === '') return;
    const addr = sockaddrArg(event, 'remote_addr');
    if (!addr) return;
    let ip: string | undefined;
    let port: number | undefined;
    if (addr.sa_family === 'AF_INET') {
      ip = addr.sin_addr;
      port = addr.sin_port;
    } else if (addr.sa_family === 'AF_INET6') {
      ip = addr.sin6_addr;
      port = addr.sin6_port;
    } else {
      return; // AF_UNIX and unknown families never reach the API server
    }
    if (typeof ip !== 'string') return;
    const key = addressKey(ip);
    if (key === undefined || !this.matches(container, key)) return;
    const portNumber = typeof port === 'number' && port >= 0 && port <= 0xffff ? port : 0;
    const allowedBy = this.allowlist?.allow(event);
    if (allowedBy !== undefined && this.allowlist?.mode !== 'audit') return;
    let suppressed: number | undefined;
    if (this.dedup) {
      const at = event.timestamp ? event.timestamp.seconds + event.timestamp.nanos / 1e9 : undefined;
      const decision = this.dedup.check(container, this.dedupKeys.intern(`${comm(event)}\0${key}\0${portNumber}`), at);
      if (!decision.pass) return;
      suppressed = decision.suppressed;
    }
    const data: EventValue[] = [
      { name: 'ip', str: ip },
      { name: 'container_id', str: container },
      { name: 'comm', str: comm(event) },
      { name: 'port', u_int32: portNumber },
    ];
    if (suppressed !== undefined) data.push({ name: 'count', u_int32: suppressed });
    if (allowedBy !== undefined) {
      data.push({ name: 'allowed_by', str: allowedBy });
      this.ctx?.emit({ trigger: event, data, severity: Severity.INFO });
      return;
    }
    this.ctx?.emit({ trigger: event, data });
  }

  /** Is this address an API server address for this container? Counts why it is. */
  private matches(container: string, key: string): boolean {
    const own = this.book.keysOf(container);
    if (own?.includes(key)) {
      this.count.matchedContainerEnv++;
      return true;
    }
    const cluster = this.cluster.has(key);
    if (cluster) {
      if (cluster === 'configured') this.count.matchedClusterConfigured++;
      else this.count.matchedClusterLearned++;
      return true;
    }
    if (!this.resolveHostnames) return false;
    const hostnames = this.ctx?.dataSources?.hostnames;
    if (!hostnames) return false;
    let pending = false;
    const check = (k: string): boolean => {
      if (!k.startsWith(NAME_PREFIX)) return false;
      const answer = hostnames.addresses(k.slice(NAME_PREFIX.length));
      if (answer === undefined) pending = true;
      return answer !== undefined && answer.includes(key);
    };
    if (own?.some(check) || this.cluster.learnedNames().some(check)) {
      this.count.matchedHostname++;
      return true;
    }
    // The name's first answer has not arrived: this connect may be a miss.
    if (pending) this.count.hostnameAnswerPending++;
    return false;
  }

  private onContainerRemove(event: Event): void {
    const removed = arg(event, 'container_id')?.str;
    if (!removed) return;
    if (this.book.forget(removed)) this.count.containersRemoved++;
    this.dedup?.forget(removed);
  }

  onSignal(): void {}

  close(): void {}

  counters(): Record<string, number> {
    const out: Record<string, number> = {
      ...this.count,
      containersTracked: this.book.size,
      addressesDropped: this.book.droppedAddresses,
      containersEvicted: this.book.evictedContainers,
      clusterAddresses: this.cluster.configured.size,
      learnedAddresses: this.cluster.learned.size,
      learnCandidates: this.cluster.candidateCount,
      learnCandidatesEvicted: this.cluster.candidatesEvicted,
      learnedDropped: this.cluster.learnedDropped,
    };
    if (this.allowlist) {
      let total = 0;
      for (const [rule, n] of this.allowlist.allowed) {
        out[`allowed[${rule}]`] = n;
        total += n;
      }
      out.allowed = total;
      out.allowlistExpiredMatches = this.allowlist.expiredMatches;
    }
    if (this.dedup) {
      out.duplicatesSuppressed = this.dedup.suppressedTotal;
      out.duplicatesPending = this.dedup.pending();
      out.duplicatesUnreported = this.dedup.unreported;
      out.dedupEvictions = this.dedup.evictions;
    }
    return out;
  }

  snapshot(): K8sApiConnectionSnapshot {
    return {
      version: 1,
      containers: this.book.entries(),
      learned: [...this.cluster.learned],
      candidates: this.cluster.candidateEntries(),
      dedup: this.dedup?.snapshot() ?? [],
    };
  }

  restore(snapshot: unknown): void {
    const s = checkSnapshot(snapshot);
    this.book.forgetAll();
    for (const [container, keys] of s.containers) for (const key of keys) this.book.learn(container, key);
    this.cluster.restore(s.learned, s.candidates);
    this.dedup?.restore(s.dedup);
  }
}

/** The snapshot, checked throughout; throws naming the first thing that is wrong. */
function checkSnapshot(v: unknown): K8sApiConnectionSnapshot {
  const fail = (where: string, what: string): never => {
    throw new Error(`${where}: ${what}`);
  };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail('snapshot', 'expected an object');
  const o = v as Record<string, unknown>;
  if (o.version !== 1) fail('version', `expected 1, got ${JSON.stringify(o.version)}`);
  const pairs = (name: string, check: (s: unknown, where: string) => void): [string, string[]][] => {
    const list = o[name];
    if (!Array.isArray(list)) return fail(name, 'expected an array');
    list.forEach((p, i) => {
      if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || p[0] === '' || !Array.isArray(p[1])) fail(`${name}[${i}]`, 'expected [string, array]');
      (p[1] as unknown[]).forEach((x, j) => check(x, `${name}[${i}][1][${j}]`));
    });
    return list as [string, string[]][];
  };
  const stateKey = (x: unknown, where: string) => {
    if (!isStateKey(x)) fail(where, `expected an address key or dns:<name>, got ${JSON.stringify(x)}`);
  };
  const containerIdText = (x: unknown, where: string) => {
    if (typeof x !== 'string' || x === '') fail(where, 'expected a container id');
  };
  const containers = pairs('containers', stateKey);
  const candidates = pairs('candidates', containerIdText);
  candidates.forEach(([k], i) => stateKey(k, `candidates[${i}][0]`));
  if (!Array.isArray(o.learned)) fail('learned', 'expected an array');
  (o.learned as unknown[]).forEach((k, i) => stateKey(k, `learned[${i}]`));
  const dedup = o.dedup ?? [];
  if (!Array.isArray(dedup)) fail('dedup', 'expected an array');
  (dedup as unknown[]).forEach((p, i) => {
    const ok =
      Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && Array.isArray(p[1]) &&
      (p[1] as unknown[]).every((e) => Array.isArray(e) && e.length === 3 && typeof e[0] === 'string' && Number.isFinite(e[1]) && Number.isInteger(e[2]) && (e[2] as number) >= 0);
    if (!ok) fail(`dedup[${i}]`, 'expected [container, [[key, seconds, count]...]]');
  });
  return { version: 1, containers, learned: o.learned as string[], candidates, dedup: dedup as DedupSnapshot };
}
