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
import type { Event, EventValue } from '../src/model/event.js';
import { Severity } from '../src/model/event.js';
import { comm, containerId, stringArrayArg, sockaddrArg, arg } from '../src/model/accessors.js';
import { addressKey } from '../src/model/address.js';
import type { Signature, SignatureContext, SignatureMetadata, EventSelector } from '../src/model/signature.js';

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
  /** Distinct addresses kept per container; later ones are dropped and counted. */
  maxAddressesPerContainer?: number;
  /** Containers tracked at most; the least recently used is evicted past it. */
  maxContainers?: number;
}

/** Per container, the API server addresses it has shown: key -> nothing, in learning order. */
export class ApiAddressBook {
  private readonly containers = new Map<string, Set<string>>();
  droppedAddresses = 0;
  evictedContainers = 0;

  constructor(readonly maxAddressesPerContainer: number, readonly maxContainers: number) {}

  /** Remember an address for a container; false when the container's set was full. */
  learn(container: string, key: string): boolean {
    let set = this.containers.get(container);
    if (set) {
      this.containers.delete(container); // re-insert: most recently used last
      this.containers.set(container, set);
    } else {
      if (this.containers.size >= this.maxContainers) {
        const oldest = this.containers.keys().next().value as string;
        this.containers.delete(oldest);
        this.evictedContainers++;
      }
      set = new Set();
      this.containers.set(container, set);
    }
    if (set.has(key)) return true;
    if (set.size >= this.maxAddressesPerContainer) {
      this.droppedAddresses++;
      return false;
    }
    set.add(key);
    return true;
  }

  knows(container: string, key: string): boolean {
    return this.containers.get(container)?.has(key) ?? false;
  }

  forget(container: string): boolean {
    return this.containers.delete(container);
  }

  get size(): number {
    return this.containers.size;
  }
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
  if (env.length === 0) return false;
  if (env[env.length - 1] === '?') return true;
  let bytes = 0;
  for (const entry of env) bytes += Buffer.byteLength(String(entry)) + 1;
  return bytes >= TRACEE_ENV_CAP_BYTES;
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
  private readonly count = {
    execsSeen: 0,
    execsWithoutEnv: 0,
    envTruncated: 0,
    envTruncatedWithoutAddress: 0,
    nonAddressValues: 0,
    addressesLearned: 0,
    containersRemoved: 0,
  };

  constructor(options: K8sApiConnectionOptions = {}) {
    this.book = new ApiAddressBook(options.maxAddressesPerContainer ?? 8, options.maxContainers ?? 65536);
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
    const env = stringArrayArg(event, 'env');
    if (!env || env.length === 0) {
      this.count.execsWithoutEnv++;
      return;
    }
    const values = apiServerValues(env);
    if (looksTruncated(env)) {
      this.count.envTruncated++;
      if (values.length === 0) this.count.envTruncatedWithoutAddress++;
    }
    for (const value of values) {
      const key = addressKey(value);
      if (key === undefined) {
        this.count.nonAddressValues++;
        continue;
      }
      if (!this.book.knows(container, key) && this.book.learn(container, key)) this.count.addressesLearned++;
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
    if (key === undefined || !this.book.knows(container, key)) return;
    const data: EventValue[] = [
      { name: 'ip', str: ip },
      { name: 'container_id', str: container },
      { name: 'comm', str: comm(event) },
      { name: 'port', u_int32: typeof port === 'number' && port >= 0 && port <= 0xffff ? port : 0 },
    ];
    this.ctx?.emit({ trigger: event, data });
  }

  private onContainerRemove(event: Event): void {
    const removed = arg(event, 'container_id')?.str;
    if (removed && this.book.forget(removed)) this.count.containersRemoved++;
  }

  onSignal(): void {}

  close(): void {}

  counters(): Record<string, number> {
    return {
      ...this.count,
      containersTracked: this.book.size,
      addressesDropped: this.book.droppedAddresses,
      containersEvicted: this.book.evictedContainers,
    };
  }
}
