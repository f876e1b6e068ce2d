// Builders for model events, so tests read as the scenario they check.
import type { Event, SockAddr } from '../../src/model/event.js';

export const CONTAINER_A = '8498b67529680758f69b3a165b6ced82d90e7dae7c573dfa795a87925267230b';
export const CONTAINER_B = '0907ef86d7be1c2a6b0f0d7e93f6b1a4c5d2e3f40718293a4b5c6d7e8f901234';

let clock = 1772446530;

interface Where {
  container?: string; // '' = host
  started?: boolean;
  comm?: string;
}

function workload(w: Where): Event['workload'] {
  const container = w.container ?? CONTAINER_A;
  return {
    process: { pid: 27, host_pid: 48211, thread: { name: w.comm ?? 'curl', tid: 27, host_tid: 48211 } },
    container: container === '' ? undefined : { id: container, name: 'app', started: w.started ?? true },
  };
}

export function exec(env: string[] | undefined, where: Where = {}): Event {
  return {
    timestamp: { seconds: clock++, nanos: 123456789 },
    id: 1015,
    name: 'sched_process_exec',
    workload: workload(where),
    data: [
      { name: 'pathname', str: '/usr/bin/curl' },
      { name: 'env', str_array: env === undefined ? {} : { value: env } },
    ],
  };
}

export function connect(addr: SockAddr, where: Where = {}): Event {
  return {
    timestamp: { seconds: clock++, nanos: 187654321 },
    id: 1036,
    name: 'security_socket_connect',
    workload: workload(where),
    data: [
      { name: 'sockfd', int32: 5 },
      { name: 'type', int32: 1 },
      { name: 'remote_addr', sockaddr: addr },
    ],
  };
}

export const inet = (ip: string, port = 443): SockAddr => ({ sa_family: 'AF_INET', sin_addr: ip, sin_port: port });
export const inet6 = (ip: string, port = 443): SockAddr => ({ sa_family: 'AF_INET6', sin6_addr: ip, sin6_port: port });
export const unix = (path: string): SockAddr => ({ sa_family: 'AF_UNIX', sun_path: path });

export function containerRemove(container: string): Event {
  return {
    timestamp: { seconds: clock++, nanos: 0 },
    id: 2018,
    name: 'container_remove',
    workload: workload({ container: '', comm: 'runc' }),
    data: [
      { name: 'runtime', str: 'containerd' },
      { name: 'container_id', str: container },
    ],
  };
}

export const K8S_ENV = [
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  'HOSTNAME=app-c-8b9cd456c-5h54z',
  'KUBERNETES_PORT_443_TCP_ADDR=10.96.0.1',
  'KUBERNETES_SERVICE_HOST=10.96.0.1',
  'KUBERNETES_SERVICE_PORT=443',
  'HOME=/root',
];
