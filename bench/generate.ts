// Seeded generator of realistic Tracee recordings for benchmarks, in either
// JSON shape. Lines are written by our encoders, which reproduce Tracee's
// writers byte for byte (tested), so the bytes are what Tracee would print.
//
//   node dist/bench/generate.js --shape current|legacy --mix realistic|selected --events N --seed S --out FILE
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { Event, EventValue, SockAddr } from '../src/model/event.js';
import { currentJson } from '../src/encode/current-json.js';
import { legacyContext } from '../src/encode/legacy-json.js';
import { writeJson } from '../src/encode/raw-json.js';
import { CURRENT_EVENT_IDS } from '../src/model/event-ids.js';

/** mulberry32: small, fast, good enough for benchmark data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenerateOptions {
  shape: 'current' | 'legacy';
  mix: 'realistic' | 'selected';
  events: number;
  seed: number;
}

const OTHER_EVENTS = ['openat', 'close', 'security_file_open', 'read', 'clone', 'sched_process_exit', 'security_socket_create', 'getdents64'];
const COMMS = ['curl', 'kubectl', 'python3', 'java', 'nginx', 'envoy', 'node', 'sh', 'coredns', 'prometheus'];

export function* generate(o: GenerateOptions): Generator<Event> {
  const rand = prng(o.seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
  const containers = Array.from({ length: 40 }, (_, i) => ({
    id: hex(64),
    name: `app-${i}`,
    pod: `app-${i}-7d9c5b8f6-${hex(5)}`,
    ns: pick(['default', 'team-green', 'payments', 'monitoring', 'kube-system']),
    image: pick(['docker.io/library/debian:bookworm-slim', 'registry.k8s.io/kubectl:v1.30.0', 'quay.io/prometheus/prometheus:v2.53.0', 'docker.io/envoyproxy/envoy:v1.31.0']),
  }));
  const services = Array.from({ length: 30 }, (_, i) => ({ name: `SVC_${i}`, ip: `10.96.${Math.floor(rand() * 250)}.${1 + Math.floor(rand() * 250)}`, port: pick([80, 443, 8080, 9090, 5432]) }));
  let ns = BigInt(1763629200000000000);
  const selectedShare = o.mix === 'selected' ? 1 : 0.05;

  for (let i = 0; i < o.events; i++) {
    ns += BigInt(1000 + Math.floor(rand() * 50000));
    const seconds = Number(ns / 1000000000n);
    const nanos = Number(ns % 1000000000n);
    const where = rand();
    const c = pick(containers);
    const host = where < 0.2;
    const init = !host && where < 0.23;
    const pid = 20 + Math.floor(rand() * 400);
    const hostPid = 40000 + Math.floor(rand() * 20000);
    const comm = pick(COMMS);
    const base: Omit<Event, 'name' | 'id' | 'data'> = {
      timestamp: { seconds, nanos },
      policies: { matched: ['k8s-watch'] },
      workload: {
        process: {
          executable: { path: `/usr/bin/${comm}` },
          unique_id: Math.floor(rand() * 4e9),
          host_pid: hostPid,
          pid: host ? hostPid : pid,
          real_user: { id: 0 },
          thread: { start_time: { seconds: seconds - 1, nanos: 5000 }, name: comm, unique_id: Math.floor(rand() * 4e9), host_tid: hostPid, tid: host ? hostPid : pid, syscall: 'openat' },
          ancestors: [{ unique_id: Math.floor(rand() * 4e9), host_pid: hostPid - 7, pid: 1 }],
        },
        container: host ? undefined : { id: c.id, name: c.name, image: { id: '', repo_digests: [`sha256:${hex(64)}`], name: c.image }, started: !init },
        k8s: host ? undefined : { pod: { name: c.pod, uid: `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}` }, namespace: { name: c.ns } },
      },
    };
    let name: string;
    let data: EventValue[];
    if (rand() < selectedShare) {
      if (rand() < 0.2) {
        name = 'sched_process_exec';
        base.workload!.process!.thread!.syscall = 'execve';
        data = execData(rand, pick, services, comm, c.pod);
      } else {
        name = 'security_socket_connect';
        base.workload!.process!.thread!.syscall = 'connect';
        data = connectData(rand, pick, services);
      }
    } else {
      name = pick(OTHER_EVENTS);
      data = otherData(name, rand, pick);
    }
    yield { ...base, id: CURRENT_EVENT_IDS[name] ?? 257, name, data };
  }
}

function execData(rand: () => number, pick: <T>(xs: T[]) => T, services: { name: string; ip: string; port: number }[], comm: string, pod: string): EventValue[] {
  const env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `HOSTNAME=${pod}`, 'HOME=/root', 'LANG=C.UTF-8'];
  const n = 20 + Math.floor(rand() * 41) - env.length;
  const svc = services.slice(0, Math.max(0, Math.floor(n / 7)));
  for (const s of svc) {
    env.push(`${s.name}_SERVICE_HOST=${s.ip}`, `${s.name}_SERVICE_PORT=${s.port}`, `${s.name}_PORT=tcp://${s.ip}:${s.port}`, `${s.name}_PORT_${s.port}_TCP_ADDR=${s.ip}`);
  }
  env.push('KUBERNETES_SERVICE_HOST=10.96.0.1', 'KUBERNETES_SERVICE_PORT=443', 'KUBERNETES_PORT=tcp://10.96.0.1:443', 'KUBERNETES_PORT_443_TCP_ADDR=10.96.0.1');
  while (env.length < n + 4) env.push(`APP_SETTING_${env.length}=${Math.floor(rand() * 1e9).toString(36)}`);
  return [
    { name: 'cmdpath', str: `/usr/bin/${comm}` },
    { name: 'pathname', str: `/usr/bin/${comm}` },
    { name: 'dev', u_int32: 45 },
    { name: 'inode', u_int64: String(1800000 + Math.floor(rand() * 1e5)) },
    { name: 'ctime', u_int64: '1740000000123456789' },
    { name: 'inode_mode', u_int32: 33261 },
    { name: 'interpreter_pathname', str: '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
    { name: 'interpreter_dev', u_int32: 45 },
    { name: 'interpreter_inode', u_int64: '1835001' },
    { name: 'interpreter_ctime', u_int64: '1740000000000000000' },
    { name: 'argv', str_array: { value: [comm, pick(['-sk', 'get', '-c', '--config']), pick(['https://10.96.0.1/api', 'pods', '/etc/app.yaml'])] } },
    { name: 'interp', str: `/usr/bin/${comm}` },
    { name: 'stdin_type', u_int32: 8192 },
    { name: 'stdin_path', str: '/dev/null' },
    { name: 'invoked_from_kernel', bool: false },
    { name: 'prev_comm', str: 'sh' },
    { name: 'env', str_array: { value: env } },
    { name: 'pwd', str: '/' },
  ];
}

function connectData(rand: () => number, pick: <T>(xs: T[]) => T, services: { ip: string; port: number }[]): EventValue[] {
  const r = rand();
  let addr: SockAddr;
  if (r < 0.25) addr = { sa_family: 'AF_INET', sin_addr: '10.96.0.1', sin_port: 443 };
  else if (r < 0.5) addr = { sa_family: 'AF_INET', sin_addr: '10.96.0.10', sin_port: 53 };
  else if (r < 0.7) {
    const s = pick(services);
    addr = { sa_family: 'AF_INET', sin_addr: s.ip, sin_port: s.port };
  } else if (r < 0.85) addr = { sa_family: 'AF_INET', sin_addr: `93.184.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)}`, sin_port: 443 };
  else if (r < 0.9) addr = { sa_family: 'AF_INET6', sin6_addr: 'fd00:10:96::a', sin6_port: 53 };
  else addr = { sa_family: 'AF_UNIX', sun_path: pick(['/var/run/nscd/socket', '@/containerd-shim/k8s.io/abc.sock', '/run/systemd/journal/socket']) };
  return [
    { name: 'sockfd', int32: 3 + Math.floor(rand() * 30) },
    { name: 'type', int32: addr.sin_port === 53 ? 2 : 1 },
    { name: 'remote_addr', sockaddr: addr },
  ];
}

function otherData(name: string, rand: () => number, pick: <T>(xs: T[]) => T): EventValue[] {
  const path = pick(['/etc/ld.so.cache', '/lib/x86_64-linux-gnu/libc.so.6', '/proc/self/status', '/etc/hosts', '/var/lib/app/data.db', '/sys/fs/cgroup/cpu.max']);
  switch (name) {
    case 'openat':
      return [{ name: 'dirfd', int32: -100 }, { name: 'pathname', str: path }, { name: 'flags', int32: 524288 }, { name: 'mode', u_int32: 0 }];
    case 'close':
      return [{ name: 'fd', int32: 3 + Math.floor(rand() * 60) }];
    case 'security_file_open':
      return [
        { name: 'pathname', str: path },
        { name: 'flags', int32: 32768 },
        { name: 'dev', u_int32: 2049 },
        { name: 'inode', u_int64: String(Math.floor(rand() * 1e7)) },
        { name: 'ctime', u_int64: '1740000000123456789' },
        { name: 'syscall_pathname', str: path },
      ];
    case 'read':
      return [{ name: 'fd', int32: 3 }, { name: 'buf', pointer: String(140000000000000 + Math.floor(rand() * 1e9)) }, { name: 'count', u_int64: '4096' }];
    case 'clone':
      return [{ name: 'flags', u_int64: '18874385' }, { name: 'stack', pointer: '0' }, { name: 'parent_tid', pointer: '0' }, { name: 'child_tid', pointer: '140000000000000' }, { name: 'tls', u_int64: '0' }];
    case 'sched_process_exit':
      return [{ name: 'exit_code', int64: '0' }, { name: 'process_group_exit', bool: true }];
    case 'security_socket_create':
      return [{ name: 'family', int32: 2 }, { name: 'type', int32: 1 }, { name: 'protocol', int32: 6 }, { name: 'kern', int32: 0 }];
    default:
      return [{ name: 'fd', int32: 3 }, { name: 'dirp', pointer: '140000000000000' }, { name: 'count', u_int32: 32768 }];
  }
}

export function line(e: Event, shape: 'current' | 'legacy'): string {
  return shape === 'current' ? currentJson(e) : writeJson(legacyContext(e));
}

export async function writeRecording(o: GenerateOptions, out: string): Promise<void> {
  const stream = fs.createWriteStream(out);
  let buf: string[] = [];
  let size = 0;
  for (const e of generate(o)) {
    const l = line(e, o.shape) + '\n';
    buf.push(l);
    size += l.length;
    if (size > 1 << 20) {
      if (!stream.write(buf.join(''))) await new Promise<void>((r) => stream.once('drain', () => r()));
      buf = [];
      size = 0;
    }
  }
  stream.write(buf.join(''));
  await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

if (require.main === module) {
  const { values } = parseArgs({
    options: { shape: { type: 'string', default: 'current' }, mix: { type: 'string', default: 'realistic' }, events: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '1013' }, out: { type: 'string' } },
  });
  if (!values.out) throw new Error('--out FILE is required');
  writeRecording({ shape: values.shape as 'current' | 'legacy', mix: values.mix as 'realistic' | 'selected', events: Number(values.events), seed: Number(values.seed) }, values.out).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
