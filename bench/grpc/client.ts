// The benchmark client, run as its own process: streams pre-encoded
// EventBatches over one OnEvents stream as fast as the service answers
// (bounded in-flight window), and prints events/s as JSON.
// Usage: node client.js SOCKET_PATH BATCH_SIZE TOTAL_EVENTS
import * as grpc from '@grpc/grpc-js';
import { SignatureClient } from '../../src/server/client.js';
import { encodeEventBatch } from '../../src/wire/services.js';
import { encodedBenchEvents } from './events.js';

const [socket, batchText, totalText] = process.argv.slice(2);
const batchSize = Number(batchText);
const total = Number(totalText);
const POOL = 5000; // distinct events, cycled

async function main(): Promise<void> {
  const pool = encodedBenchEvents(POOL);
  const batches: Buffer[] = [];
  for (let i = 0; i < Math.max(1, Math.floor(POOL / batchSize)); i++) {
    const evs: Uint8Array[] = [];
    for (let j = 0; j < batchSize; j++) evs.push(pool[(i * batchSize + j) % POOL]);
    batches.push(encodeEventBatch(evs));
  }
  const bytesPerEvent = batches.reduce((n, b) => n + b.length, 0) / (batches.length * batchSize);
  const client = new SignatureClient({ kind: 'unix', path: socket }, { maxMessageBytes: 64 * 1024 * 1024 });
  await client.ready(10000);
  const nBatches = Math.ceil(total / batchSize);
  const window = Math.max(4, Math.ceil(4000 / batchSize));
  const call = client.onEvents();
  let sent = 0;
  let answered = 0;
  let findings = 0;
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (sent < nBatches && sent - answered < window) {
        const ok = call.write(batches[sent % batches.length]);
        sent++;
        if (!ok) return; // resumes on drain
      }
      if (sent === nBatches) call.end();
    };
    call.on('drain', pump);
    call.on('data', (b: Buffer) => {
      answered++;
      if (b.length > 8) findings++;
      pump();
    });
    call.on('status', (s: grpc.StatusObject) => (s.code === grpc.status.OK ? resolve() : reject(new Error(s.details))));
    call.on('error', () => undefined);
    pump();
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  client.close();
  if (answered !== nBatches) throw new Error(`answered ${answered} of ${nBatches} batches`);
  process.stdout.write(JSON.stringify({ batchSize, events: nBatches * batchSize, seconds, eventsPerSecond: (nBatches * batchSize) / seconds, bytesPerEvent, batchesWithFindings: findings }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench client: ${e.stack ?? e}\n`);
  process.exit(1);
});
