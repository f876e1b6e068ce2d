// Random tracee.v1beta1.Event messages for property tests: every field and
// value kind, repeated and non-ASCII argument names, in protobufjs object form,
// and their bytes.
import fc from 'fast-check';
import { protoType } from '../../src/wire/proto.js';

type Obj = Record<string, unknown>;

/** Argument names: the ones signatures read, repeats, empty, non-ASCII. */
export const ARG_NAMES = ['env', 'remote_addr', 'argv', 'container_id', 'pathname', '', 'énv', 'env2', 'en'];

const text = fc.oneof(
  fc.constantFrom('', 'a', 'curl', '10.96.0.1', 'KUBERNETES_SERVICE_HOST=10.96.0.1', 'fd00:10:96::1', 'ünïcødé', '?'),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ minLength: 100, maxLength: 200 }), // longer than the shared-string cache takes
);
const u32 = fc.oneof(fc.constantFrom(0, 1, 443, 4294967295), fc.nat());
const i32 = fc.integer({ min: -2147483648, max: 2147483647 });
const u64 = fc.oneof(fc.constantFrom('0', '1', '9007199254740993', '18446744073709551615', '562949953421311', '562949953421312'), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String));
const i64 = fc.oneof(fc.constantFrom('0', '-1', '-9223372036854775808', '9223372036854775807'), fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map(String));
const wrapper = u32.map((value) => ({ value }));
const timestamp = fc.record({
  seconds: fc.oneof(fc.constantFrom(0, 1772446530, -62135596800, 253402300799, 100000000000), fc.integer({ min: -62135596800, max: 253402300799 })),
  nanos: fc.integer({ min: 0, max: 999_999_999 }),
}, { requiredKeys: [] });

const sockaddr = fc.record({
  sa_family: fc.constantFrom(0, 1, 2, 10, 17),
  sun_path: text,
  sin_addr: fc.oneof(text, fc.constantFrom('10.96.0.1', '10.244.3.7')),
  sin_port: fc.integer({ min: 0, max: 65535 }),
  sin6_addr: text,
  sin6_port: fc.integer({ min: 0, max: 65535 }),
  sin6_flowinfo: u32,
  sin6_scopeid: u32,
}, { requiredKeys: [] });

/** One EventValue with one kind (or none). */
const value: fc.Arbitrary<Obj> = fc.tuple(
  fc.constantFrom(...ARG_NAMES),
  fc.oneof(
    i32.map((int32) => ({ int32 })),
    i64.map((int64) => ({ int64 })),
    u32.map((u_int32) => ({ u_int32 })),
    u64.map((u_int64) => ({ u_int64 })),
    text.map((str) => ({ str })),
    fc.uint8Array({ maxLength: 8 }).map((b) => ({ bytes: Buffer.from(b) })),
    fc.boolean().map((bool) => ({ bool })),
    fc.array(text, { maxLength: 6 }).map((value) => ({ str_array: { value } })),
    fc.array(i32, { maxLength: 4 }).map((value) => ({ int32_array: { value } })),
    fc.array(u64, { maxLength: 4 }).map((value) => ({ u_int64_array: { value } })),
    sockaddr.map((s) => ({ sockaddr: s })),
    fc.constant({ credentials: { uid: { value: 0 }, cap_effective: [1, 2] } }),
    u64.map((pointer) => ({ pointer })),
    fc.constant({}),
  ),
).map(([name, kind]) => ({ name, ...kind }));

const thread = fc.record({
  start_time: timestamp,
  name: text,
  unique_id: wrapper,
  host_tid: wrapper,
  tid: wrapper,
  syscall: text,
  compat: fc.boolean(),
  user_stack_trace: fc.record({ addresses: fc.array(fc.record({ address: u64, symbol: text }, { requiredKeys: [] }), { maxLength: 2 }) }),
}, { requiredKeys: [] });

const processBase = {
  executable: fc.record({ path: text }, { requiredKeys: [] }),
  unique_id: wrapper,
  host_pid: wrapper,
  pid: wrapper,
  real_user: fc.record({ id: wrapper }, { requiredKeys: [] }),
  thread,
};
const process = fc.record({ ...processBase, ancestors: fc.array(fc.record(processBase, { requiredKeys: [] }), { maxLength: 2 }) }, { requiredKeys: [] });

const container = fc.record({
  id: fc.oneof(text, fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 })),
  name: text,
  image: fc.record({ id: text, repo_digests: fc.array(text, { maxLength: 2 }), name: text }, { requiredKeys: [] }),
  started: fc.boolean(),
}, { requiredKeys: [] });

const k8s = fc.record({
  pod: fc.record({ name: text, uid: text, labels: fc.dictionary(fc.string({ maxLength: 5 }), text, { maxKeys: 3 }) }, { requiredKeys: [] }),
  namespace: fc.record({ name: text }, { requiredKeys: [] }),
}, { requiredKeys: [] });

const threat = fc.record({
  description: text,
  mitre: fc.record({ tactic: fc.record({ name: text }), technique: fc.record({ id: text, name: text }, { requiredKeys: [] }) }, { requiredKeys: [] }),
  severity: fc.integer({ min: 0, max: 4 }),
  name: text,
  properties: fc.dictionary(fc.string({ maxLength: 5 }), text, { maxKeys: 3 }),
}, { requiredKeys: [] });

const detectedFromLeaf = fc.record({ id: u32, name: text, data: fc.array(value, { maxLength: 3 }) }, { requiredKeys: [] });
const detectedFrom = fc.record({ id: u32, name: text, data: fc.array(value, { maxLength: 3 }), parent: detectedFromLeaf }, { requiredKeys: [] });

/** A random Event in protobufjs object form (name never empty). */
export const protoEventObject: fc.Arbitrary<Obj> = fc.record({
  timestamp,
  id: fc.oneof(fc.constantFrom(0, 1015, 1036, 2018, 6000), fc.integer({ min: -5, max: 100000 })),
  name: fc.oneof(fc.constantFrom('sched_process_exec', 'security_socket_connect', 'container_remove'), text.filter((s) => s !== '')),
  policies: fc.record({ matched: fc.array(text, { maxLength: 3 }) }, { requiredKeys: [] }),
  workload: fc.record({ process, container, k8s }, { requiredKeys: [] }),
  data: fc.array(value, { maxLength: 8 }),
  threat,
  detected_from: detectedFrom,
}, { requiredKeys: ['name'] });

export function encodeEventObject(obj: Obj): Buffer {
  const t = protoType('tracee.v1beta1.Event');
  return Buffer.from(t.encode(t.fromObject(obj)).finish());
}

/** Random Event bytes. */
export const protoEventBytes: fc.Arbitrary<Buffer> = protoEventObject.map(encodeEventObject);
