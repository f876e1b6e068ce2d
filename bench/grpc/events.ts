// The benchmark's events: a realistic selected-event mix of about 1
// sched_process_exec to 4 security_socket_connect, across 64 containers whose
// environments name the API server (10.96.0.1); 1 connect in 8 goes to it
// (a finding), the others to pod and service addresses.
import { decodeJsonLine } from '../../src/decode/json.js';
import { encodeProtoEvent } from '../../src/wire/event-encoder.js';
import type { Event } from '../../src/model/event.js';
import { CURRENT } from '../../test/server/examples.js';

const CONTAINERS = 64;

function containerId(i: number): string {
  return (i.toString(16).padStart(8, '0') + 'c0ffee').repeat(5).slice(0, 64);
}

const ENV_BASE = [
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  'HOME=/root',
  'LANG=C.UTF-8',
  'KUBERNETES_SERVICE_PORT=443',
  'KUBERNETES_SERVICE_PORT_HTTPS=443',
  'KUBERNETES_PORT=tcp://10.96.0.1:443',
  'KUBERNETES_PORT_443_TCP=tcp://10.96.0.1:443',
  'KUBERNETES_PORT_443_TCP_PROTO=tcp',
  'KUBERNETES_PORT_443_TCP_PORT=443',
  'KUBERNETES_PORT_443_TCP_ADDR=10.96.0.1',
  'REDIS_SERVICE_HOST=10.96.12.7',
  'REDIS_SERVICE_PORT=6379',
  'API_SERVICE_HOST=10.96.40.2',
  'API_SERVICE_PORT=8080',
  'LOG_LEVEL=info',
  'KUBERNETES_SERVICE_HOST=10.96.0.1',
];

/** `count` events in the mix, as model events. */
export function benchEvents(count: number): Event[] {
  const exec = decodeJsonLine(CURRENT.exec).event;
  const connect = decodeJsonLine(CURRENT.connect).event;
  const out: Event[] = [];
  for (let i = 0; i < count; i++) {
    const c = i % CONTAINERS;
    const ts = { seconds: 1772446530 + Math.floor(i / 1000), nanos: (i % 1000) * 1000 };
    const template = i % 5 === 0 ? exec : connect;
    const e: Event = JSON.parse(JSON.stringify(template));
    e.timestamp = ts;
    e.workload!.container!.id = containerId(c);
    e.workload!.process!.host_pid = 40000 + c;
    if (template === exec) {
      e.data = e.data.map((v) => (v.name === 'env' ? { name: 'env', str_array: { value: [`HOSTNAME=pod-${c}`, ...ENV_BASE] } } : v));
    } else {
      const k = Math.floor(i / 5) * 4 + ((i % 5) - 1);
      const toApi = k % 8 === 0;
      const addr = e.data.find((v) => v.name === 'remote_addr')!.sockaddr!;
      addr.sin_addr = toApi ? '10.96.0.1' : `10.244.${c}.${(k % 250) + 2}`;
      addr.sin_port = toApi ? 443 : 8080;
    }
    out.push(e);
  }
  return out;
}

export function encodedBenchEvents(count: number): Uint8Array[] {
  return benchEvents(count).map(encodeProtoEvent);
}
