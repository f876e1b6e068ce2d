// CPU per event of serve's OnEvents handler in one process, without the client
// and HTTP/2: the SignatureService of the built-in signatures fed the
// benchmark's batches (bench/grpc/events.ts) as grpc-js would hand them over.
// What a change to the hot path buys, measured apart from the transport.
//
// With BEFORE (an earlier build copied inside the repository, e.g.
// `cp -a dist dist-before` before the change), both builds are loaded in this
// one process and their passes alternate: compare the ratio of same-moment
// pairs (single figures move by a third with the machine's load). Both must
// answer every batch with the same bytes (a digest of all answers is compared).
//
// Usage: node dist/bench/grpc/cpu.js [BATCH=100] [BEFORE] (PASSES, EVENTS_PER_PASS override 21 and 20,000)
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import { machine, median, ROOT } from './servers.js';

const BATCH = Number(process.argv[2] ?? 100);
const BEFORE = process.argv[3];
const PASSES = Number(process.env.PASSES ?? 21);
const PER_PASS = Number(process.env.EVENTS_PER_PASS ?? 20_000);
const POOL = 5000;

interface Build {
  name: string;
  digest: string;
  /** One pass of PER_PASS events: µs of CPU per event. */
  pass(): number;
}

/** The service of the build whose compiled tree is `dist` (this build: the dist/ this file is in). */
function load(dist: string, name: string): Build {
  const from = (p: string) => require(path.join(dist, p)); // eslint-disable-line @typescript-eslint/no-require-imports
  const { SignatureService } = from('src/server/service.js');
  const { signaturesFor } = from('src/testing/signatures-for.js');
  const { encodeEventBatch } = from('src/wire/services.js');
  const { encodedBenchEvents } = from('bench/grpc/events.js');
  const pool: Uint8Array[] = encodedBenchEvents(POOL);
  const batches: Buffer[] = [];
  for (let i = 0; i + BATCH <= POOL; i += BATCH) batches.push(encodeEventBatch(pool.slice(i, i + BATCH)));
  const service = new SignatureService(signaturesFor({}));
  // The stream grpc-js hands OnEvents: 'data' per batch, answers written back.
  const call = Object.assign(new EventEmitter(), { write: (_: Buffer) => true, pause() {}, resume() {}, end() {} });
  const hash = createHash('sha256');
  call.write = (answer: Buffer) => (hash.update(answer), true);
  service.handlers().OnEvents(call);
  for (const b of batches) call.emit('data', b);
  const digest = hash.digest('hex').slice(0, 16);
  call.write = () => true;
  return {
    name,
    digest,
    pass() {
      const start = process.cpuUsage();
      for (let i = 0; i < PER_PASS / BATCH; i++) call.emit('data', batches[i % batches.length]);
      const used = process.cpuUsage(start);
      return (used.user + used.system) / PER_PASS;
    },
  };
}

function main(): void {
  const builds = [load(path.resolve(__dirname, '..', '..'), 'this build')];
  if (BEFORE !== undefined) {
    const dist = path.resolve(ROOT, BEFORE);
    if (path.relative(ROOT, dist).startsWith('..')) throw new Error(`BEFORE ${BEFORE}: copy the earlier dist/ inside the repository (e.g. cp -a dist dist-before)`);
    builds.unshift(load(dist, BEFORE));
    if (builds[0].digest !== builds[1].digest) throw new Error(`the two builds answer differently (digests ${builds[0].digest}, ${builds[1].digest})`);
  }
  const times: number[][] = builds.map(() => []);
  for (let p = 0; p < PASSES; p++) {
    const order = p % 2 === 0 ? builds.map((_, i) => i) : builds.map((_, i) => builds.length - 1 - i);
    for (const i of order) times[i].push(builds[i].pass());
  }
  const m = machine();
  const out: Record<string, unknown> = { batch: BATCH, passes: PASSES, eventsPerPass: PER_PASS, digest: builds[0].digest, node: m.node };
  builds.forEach((b, i) => (out[b.name] = { medianMicros: +median(times[i]).toFixed(3), bestMicros: +Math.min(...times[i]).toFixed(3) }));
  if (builds.length === 2) out.ratioAfterToBefore = +median(times[1].map((t, i) => t / times[0][i])).toFixed(3);
  process.stdout.write(JSON.stringify(out) + '\n');
}

main();
