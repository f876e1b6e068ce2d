// The latency client, run as its own process: offers a steady load over one
// OnEvents stream, the way a host batches (BATCH events every PERIOD_MS, i.e.
// BATCH * 1000 / PERIOD_MS events/s), open loop: each batch leaves at its
// scheduled time whether or not earlier ones were answered, so a slow server
// shows as queueing, not as a slower offer. Event-to-finding latency is, for
// each finding, the time from sending its batch to receiving that batch's
// FindingBatch (one answers each batch, in order). Prints JSON.
// Usage: node latency-client.js SOCKET_PATH BATCH PERIOD_MS SECONDS WARMUP_SECONDS
import * as grpc from '@grpc/grpc-js';
import { SignatureClient } from '../../src/server/client.js';
import { encodeEventBatch } from '../../src/wire/services.js';
import { WireReader } from '../../src/wire/lazy-reader.js';
import { encodedBenchEvents } from './events.js';

const [socket, batchText, periodText, secondsText, warmupText] = process.argv.slice(2);
const batchSize = Number(batchText);
const periodMs = Number(periodText);
const seconds = Number(secondsText);
const warmup = Number(warmupText ?? 2);
const POOL = 5000;

/** Findings in a FindingBatch (field 1), counted without decoding them. */
function findingsIn(answer: Buffer): number {
  const r = new WireReader(answer, 0, answer.length);
  let n = 0;
  while (r.pos < answer.length) {
    const tag = r.uint32();
    if (tag === 10) n++;
    r.skip(tag & 7);
  }
  return n;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const pool = encodedBenchEvents(POOL);
  const batches: Buffer[] = [];
  for (let i = 0; i < POOL / batchSize; i++) batches.push(encodeEventBatch(pool.slice(i * batchSize, (i + 1) * batchSize)));
  const client = new SignatureClient({ kind: 'unix', path: socket }, { maxMessageBytes: 64 * 1024 * 1024 });
  await client.ready(10000);
  const call = client.onEvents();
  const total = Math.round(((warmup + seconds) * 1000) / periodMs);
  const measuredFrom = Math.round((warmup * 1000) / periodMs);
  const sentAt: bigint[] = new Array(total);
  const findingLatencies: number[] = [];
  const batchLatencies: number[] = [];
  let sent = 0;
  let answered = 0;
  let late = 0; // sends that left more than one period after their scheduled time
  const done = new Promise<void>((resolve, reject) => {
    call.on('data', (answer: Buffer) => {
      const now = process.hrtime.bigint();
      const i = answered++;
      if (i >= measuredFrom) {
        const ms = Number(now - sentAt[i]) / 1e6;
        batchLatencies.push(ms);
        for (let n = findingsIn(answer); n > 0; n--) findingLatencies.push(ms);
      }
      if (answered === total) call.end();
    });
    call.on('status', (s: grpc.StatusObject) => (s.code === grpc.status.OK ? resolve() : reject(new Error(s.details))));
    call.on('error', () => undefined);
  });
  const start = process.hrtime.bigint();
  const periodNs = BigInt(Math.round(periodMs * 1e6));
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = process.hrtime.bigint();
      while (sent < total && start + BigInt(sent) * periodNs <= now) {
        if (now - (start + BigInt(sent) * periodNs) > periodNs) late++;
        sentAt[sent] = process.hrtime.bigint();
        call.write(batches[sent % batches.length]);
        sent++;
      }
      if (sent === total) return resolve();
      const next = start + BigInt(sent) * periodNs;
      setTimeout(tick, Math.max(0, Number(next - process.hrtime.bigint()) / 1e6 - 0.2));
    };
    tick();
  });
  await done;
  client.close();
  findingLatencies.sort((a, b) => a - b);
  batchLatencies.sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  process.stdout.write(
    JSON.stringify({
      batchSize,
      periodMs,
      offeredEventsPerSecond: (batchSize * 1000) / periodMs,
      seconds,
      batchesMeasured: batchLatencies.length,
      findingsMeasured: findingLatencies.length,
      lateSends: late,
      finding: { p50: r(percentile(findingLatencies, 50)), p99: r(percentile(findingLatencies, 99)), p999: r(percentile(findingLatencies, 99.9)), max: r(findingLatencies[findingLatencies.length - 1]) },
      batch: { p50: r(percentile(batchLatencies, 50)), p99: r(percentile(batchLatencies, 99)), max: r(batchLatencies[batchLatencies.length - 1]) },
    }) + '\n',
  );
}

main().catch((e) => {
  process.stderr.write(`latency client: ${e.stack ?? e}\n`);
  process.exit(1);
});
