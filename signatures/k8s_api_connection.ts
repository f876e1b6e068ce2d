// TRC-1013 k8s_api_connection: a process in a container connects to the
// Kubernetes API server. The address is learned per container from the
// KUBERNETES_SERVICE_HOST variable of its execs' environments; cluster-wide
// addresses (configured, or learned from enough containers) and host names
// (through the host's hostname data source) cover containers whose env did not.
// Where it differs from Tracee's own: README, "TRC-1013 and Tracee's signature".
// Allowlist, dedup, the container bound and state files are the host's.
import type { Event, EventValue } from '../src/model/event.js';
import { Severity } from '../src/model/event.js';
import { comm, containerId, sockaddrArg } from '../src/model/accessors.js';
import { addressKey } from '../src/model/address.js';
import { defineSignature, type Finding } from '../src/sdk/signature.js';
import { Interner } from '../src/sdk/interner.js';
import { ClusterAddresses, hostnameOf, isStateKey, NAME_PREFIX } from './k8s_api_connection/addresses.js';
import { apiServerValues, execEnvironment, summaryLooksTruncated } from './k8s_api_connection/environment.js';

export { apiServerValues, looksTruncated } from './k8s_api_connection/environment.js';
export { hostnameOf } from './k8s_api_connection/addresses.js';

export const metadata = {
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

export interface K8sApiConnectionConfig {
  addresses: string[];
  learnAfterContainers: number;
  resolveHostnames: boolean;
  maxAddressesPerContainer: number;
  maxLearnCandidates: number;
  maxLearnedAddresses: number;
}

const count = (description: string, minimum: number, maximum: number, dflt: number) => ({ description, type: 'integer', minimum, maximum, default: dflt });
const STATE_KEYS = { type: 'array', items: { type: 'string', format: 'api-server-key' } };

export default defineSignature<K8sApiConnectionConfig, string[], { learned: string[]; candidates: [string, string[]][] }>({
  metadata,
  selectedEvents: [
    { source: 'tracee', name: 'sched_process_exec', origin: 'container' },
    { source: 'tracee', name: 'security_socket_connect', origin: 'container' },
    // container_remove comes from the host process that removed the cgroup.
    { source: 'tracee', name: 'container_remove', origin: '*' },
  ],
  requires: ['environment'],
  config: {
    type: 'object',
    properties: {
      addresses: { description: 'API server addresses (Service IP, real endpoint IPs) that apply to every container.', type: 'array', items: { type: 'string', format: 'ip-address' }, default: [] },
      learnAfterContainers: count('An address shown in the env of this many distinct containers applies to every container; 0 (the default) turns learning off; 3 is a good value.', 0, 1000, 0),
      resolveHostnames: { description: 'Match KUBERNETES_SERVICE_HOST host names through the hostnames data source (enable `hostnames`).', type: 'boolean', default: false },
      maxAddressesPerContainer: count('Distinct addresses kept per container.', 1, 1024, 8),
      maxLearnCandidates: count('Addresses counted towards learnAfterContainers at most.', 1, 1000000, 4096),
      maxLearnedAddresses: count('Learned cluster-wide addresses at most.', 1, 65536, 256),
    },
  },
  state: {
    container: STATE_KEYS,
    shared: {
      type: 'object',
      required: ['learned', 'candidates'],
      properties: { learned: STATE_KEYS, candidates: { type: 'array', items: { type: 'array', minItems: 2, maxItems: 2, items: [{ type: 'string', format: 'api-server-key' }, { type: 'array', items: { type: 'string', minLength: 1 } }] } } },
    },
  },
  formats: {
    'ip-address': { validate: (s) => addressKey(s) !== undefined, expected: 'an IPv4 or IPv6 address (host names go in KUBERNETES_SERVICE_HOST resolution, not here)' },
    'api-server-key': { validate: isStateKey, expected: 'an address key or dns:<name>' },
  },

  create(config, { containers, dataSources }) {
    const cluster = new ClusterAddresses(config.learnAfterContainers, config.maxLearnCandidates, config.maxLearnedAddresses);
    for (const text of config.addresses) cluster.configured.add(addressKey(text)!);
    const keys = new Interner(); // most containers show the same one or two addresses
    /** Count why a connect matched; true. */
    const hit = (why: 'matchedContainerEnv' | 'matchedClusterConfigured' | 'matchedClusterLearned' | 'matchedHostname') => ++n[why] > 0;
    const n = {
      execsSeen: 0, execsWithoutEnv: 0, envTruncated: 0, envTruncatedWithoutAddress: 0, nonAddressValues: 0, hostnameValues: 0, addressesLearned: 0,
      addressesDropped: 0, connectsSeen: 0, matchedContainerEnv: 0, matchedClusterConfigured: 0, matchedClusterLearned: 0, matchedHostname: 0, hostnameAnswerPending: 0,
    };

    /** Learn the API server addresses an exec's environment shows. */
    function onExec(event: Event): void {
      const container = containerId(event);
      if (container === '') return;
      n.execsSeen++;
      containers.touch(container);
      const env = execEnvironment(event);
      if (!env) return void n.execsWithoutEnv++;
      const values = apiServerValues(env.withPrefix);
      if (summaryLooksTruncated(env)) {
        n.envTruncated++;
        if (values.length === 0) n.envTruncatedWithoutAddress++;
      }
      for (const value of values) {
        let key = addressKey(value);
        if (key === undefined) {
          n.nonAddressValues++;
          const name = hostnameOf(value);
          if (name === undefined) continue;
          n.hostnameValues++;
          if (!config.resolveHostnames) continue;
          key = NAME_PREFIX + name;
          dataSources.hostnames?.addresses(name); // start the lookup now, before the connect
        }
        const own = containers.get(container);
        if (own?.includes(key)) continue;
        if (own && own.length >= config.maxAddressesPerContainer) {
          n.addressesDropped++;
          continue;
        }
        if (own) own.push(keys.intern(key));
        else containers.set(container, [keys.intern(key)]); // a literal: exactly sized
        n.addressesLearned++;
        cluster.observe(key, container);
      }
    }

    /** Is this address an API server address for this container? Counts why it is. */
    function matches(container: string, key: string): boolean {
      const own = containers.get(container);
      if (own?.includes(key)) return hit('matchedContainerEnv');
      const where = cluster.has(key);
      if (where === 'configured') return hit('matchedClusterConfigured');
      if (where === 'learned') return hit('matchedClusterLearned');
      const hostnames = dataSources.hostnames;
      if (!config.resolveHostnames || !hostnames) return false;
      let pending = false;
      const check = (k: string): boolean => {
        if (!k.startsWith(NAME_PREFIX)) return false;
        const answer = hostnames.addresses(k.slice(NAME_PREFIX.length));
        if (answer === undefined) pending = true;
        return answer !== undefined && answer.includes(key);
      };
      if (own?.some(check) || cluster.learnedNames().some(check)) return hit('matchedHostname');
      if (pending) n.hostnameAnswerPending++; // the name's first answer has not arrived: maybe a miss
      return false;
    }

    function onConnect(event: Event): Finding[] | undefined {
      const container = containerId(event);
      if (container === '') return;
      n.connectsSeen++;
      const addr = sockaddrArg(event, 'remote_addr');
      const ip = addr?.sa_family === 'AF_INET' ? addr.sin_addr : addr?.sa_family === 'AF_INET6' ? addr.sin6_addr : undefined;
      if (typeof ip !== 'string') return; // AF_UNIX and unknown families never reach the API server
      const port = addr!.sa_family === 'AF_INET' ? addr!.sin_port : addr!.sin6_port;
      const key = addressKey(ip);
      if (key === undefined || !matches(container, key)) return;
      const portNumber = typeof port === 'number' && port >= 0 && port <= 0xffff ? port : 0;
      const data: EventValue[] = [
        { name: 'ip', str: ip },
        { name: 'container_id', str: container },
        { name: 'comm', str: comm(event) },
        { name: 'port', u_int32: portNumber },
      ];
      return [{ data, key: `${comm(event)}\0${key}\0${portNumber}` }];
    }

    return {
      onEvent(event) {
        if (event.name === 'sched_process_exec') return onExec(event);
        if (event.name === 'security_socket_connect') return onConnect(event);
      },
      counters: () => ({
        ...n,
        clusterAddresses: cluster.configured.size, learnedAddresses: cluster.learned.size, learnCandidates: cluster.candidateCount,
        learnCandidatesEvicted: cluster.candidatesEvicted, learnedDropped: cluster.learnedDropped,
      }),
      evictions: () => ({ learn_candidates: cluster.candidatesEvicted }),
      advice: ({ dataSources: running }) => [
        ...(n.connectsSeen > 0 && n.execsSeen === 0 ? ['security_socket_connect events but no sched_process_exec: TRC-1013 learns addresses from sched_process_exec; add it to the Tracee policy'] : []),
        ...(n.envTruncatedWithoutAddress ? [`${n.envTruncatedWithoutAddress} container exec(s) had their environment cut at Tracee's 8 KiB limit with no KUBERNETES_SERVICE_HOST left in it; those containers may be unarmed (configure cluster-wide API server addresses to cover them)`] : []),
        ...(n.hostnameValues && !(config.resolveHostnames && running.includes('hostnames'))
          ? [`${n.hostnameValues} KUBERNETES_SERVICE_HOST value(s) were host names, not addresses; those containers are unarmed (set signatures.TRC-1013.resolveHostnames and hostnames.enabled in the config, or list the API server addresses in signatures.TRC-1013.addresses)`] : []),
        ...(n.hostnameAnswerPending ? [`${n.hostnameAnswerPending} connect(s) were checked while a KUBERNETES_SERVICE_HOST host name had no DNS answer yet; a connect to the API server among them was missed (see the hostname resolver counters)`] : []),
      ],
      snapshot: () => ({ learned: [...cluster.learned], candidates: cluster.candidateEntries() }),
      restore: (shared) => cluster.restore(shared.learned, shared.candidates),
    };
  },
});
