// Memory floor for TRC-1013's state: 100,000 containers, each armed with the
// API server address from its env, must fit in 64 MiB of heap. Run with
// `make bench-memory` (node --expose-gc); prints the figures, exits 1 over budget.
import { HostedSignature } from '../../src/host/instance.js';
import k8sApiConnection from '../../signatures/k8s_api_connection.js';
import { SignatureHost } from '../../src/host/host.js';
import type { Event } from '../../src/model/event.js';

const CONTAINERS = Number(process.env.CONTAINERS ?? 100_000);
const BUDGET_MIB = 64;
const MiB = 1024 * 1024;

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) {
    process.stderr.write('run with node --expose-gc (make bench-memory)\n');
    process.exit(2);
  }
  for (let i = 0; i < 3; i++) g();
}

const idBytes = Buffer.alloc(32, 0xa5);
function containerId(i: number): string {
  // 64 hex characters, like Tracee's container ids; a fresh flat string per event, as a decoder makes.
  idBytes.writeUInt32BE(i, 0);
  return idBytes.toString('hex');
}

function execEvent(i: number): Event {
  const env = [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    `HOSTNAME=app-${i}`,
    'KUBERNETES_SERVICE_HOST=10.96.0.1',
    'KUBERNETES_SERVICE_PORT=443',
    // every tenth container also shows a second address (e.g. a sidecar's own env)
    ...(i % 10 === 0 ? [`KUBERNETES_SERVICE_HOST=fd00:10:96::${(i % 4096).toString(16)}`] : []),
  ];
  return {
    timestamp: { seconds: 1_772_000_000 + i, nanos: 0 },
    id: 1015,
    name: 'sched_process_exec',
    workload: { container: { id: containerId(i), name: 'app', started: true }, process: { thread: { name: 'sh' } } },
    data: [{ name: 'env', str_array: { value: env } }],
  };
}

function connectEvent(i: number): Event {
  return {
    timestamp: { seconds: 1_772_000_000 + i, nanos: 1 },
    id: 1036,
    name: 'security_socket_connect',
    workload: { container: { id: containerId(i), name: 'app', started: true }, process: { thread: { name: 'kubectl' } } },
    data: [{ name: 'remote_addr', sockaddr: { sa_family: 'AF_INET', sin_addr: '10.96.0.1', sin_port: 443 } }],
  };
}

function measure(label: string, withDedup: boolean): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const signature = new HostedSignature(k8sApiConnection, { maxContainers: CONTAINERS, dedup: { windowSeconds: withDedup ? 300 : 0  }});
  let findings = 0;
  const host = new SignatureHost([signature], () => findings++);
  for (let i = 0; i < CONTAINERS; i++) {
    host.dispatch(execEvent(i));
    if (withDedup) host.dispatch(connectEvent(i));
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  const c = signature.counters();
  if (c.containersTracked !== CONTAINERS || c.containersEvicted !== 0) throw new Error(`expected ${CONTAINERS} containers tracked, got ${c.containersTracked}`);
  const stateMiB = (after - before) / MiB;
  process.stdout.write(
    `${label}: ${CONTAINERS} containers (${c.addressesLearned} addresses${withDedup ? `, ${findings} findings, one dedup entry each` : ''}): ` +
      `heap ${(after / MiB).toFixed(1)} MiB in all, ${stateMiB.toFixed(1)} MiB for the state (${Math.round((after - before) / CONTAINERS)} bytes per container)\n`,
  );
  host.close();
  return after / MiB;
}

const results = [measure('addresses', false), measure('addresses + dedup', true)];
const worst = Math.max(...results);
process.stdout.write(`budget: ${BUDGET_MIB} MiB of heap; worst ${worst.toFixed(1)} MiB: ${worst < BUDGET_MIB ? 'ok' : 'OVER BUDGET'}\n`);
process.exitCode = worst < BUDGET_MIB ? 0 : 1;
