// `make soak`: steady load on `tracee-sig serve` for SOAK_SECONDS (default 120),
// its RSS sampled every second from /proc; after the warm-up, RSS must stay
// within 10 % (max <= 1.10 x min). Writes the "Soak" section of bench/RESULTS.md
// and exits 1 when RSS was not flat or a batch went wrong.
//
// Load: SOAK_STREAMS streams (default 8) on two connections send
// SOAK_RATE events/s in all (default 20,000) in batches of 100, every 100 ms,
// in bench/grpc's realistic mix (1 exec to 4 connects, 64 containers, 1 connect
// in 8 to the API server: a finding). Every 10 s each stream is closed and
// reopened, as hosts reconnect; every batch's answer is checked
// (events_processed equal to the batch, in order). SOAK_SERVE_ARGS adds
// options to serve's command line (e.g. "--grpc-thread off").
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { SignatureClient } from '../../src/server/client.js';
import { parseAddress } from '../../src/server/listen-address.js';
import { decodeFindingBatch, encodeEventBatch } from '../../src/wire/services.js';
import { encodedBenchEvents } from '../grpc/events.js';
import { replaceSection } from '../results.js';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SECONDS = Number(process.env.SOAK_SECONDS ?? 120);
const RATE = Number(process.env.SOAK_RATE ?? 20_000);
const STREAMS = Number(process.env.SOAK_STREAMS ?? 8);
const WARMUP = Number(process.env.SOAK_WARMUP_SECONDS ?? Math.max(10, Math.round(SECONDS / 4)));
const SERVE_ARGS = (process.env.SOAK_SERVE_ARGS ?? '').split(' ').filter(Boolean);
const BATCH = 100;
const TICK_MS = 100;
const REOPEN_EVERY_MS = 10_000;
/** Unanswered batches a stream may have before a tick skips it (the server is behind). */
const MAX_IN_FLIGHT = 32;
const MiB = 1024 * 1024;

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

interface Stream {
  call: grpc.ClientDuplexStream<Buffer, Buffer>;
  pending: number[]; // events per unanswered batch, in order
  opened: number;
  status: Promise<grpc.StatusObject>;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-sig-soak-'));
  const socket = path.join(dir, 'soak.sock');
  const server = spawn(process.execPath, [path.join(ROOT, 'bin', 'tracee-sig'), 'serve', '--listen', `unix://${socket}`, ...SERVE_ARGS], { stdio: ['ignore', 'ignore', 'pipe'] });
  let serverErr = '';
  server.stderr!.on('data', (d) => (serverErr += d));
  await new Promise<void>((resolve, reject) => {
    server.stderr!.on('data', () => /listening on/.test(serverErr) && resolve());
    server.once('exit', (code) => reject(new Error(`serve exited ${code}: ${serverErr}`)));
  });
  const pid = server.pid!;

  // 64 distinct batches, cycled: the mix across 64 containers, encoded once.
  const events = encodedBenchEvents(64 * BATCH);
  const batches = Array.from({ length: 64 }, (_, i) => encodeEventBatch(events.slice(i * BATCH, (i + 1) * BATCH)));
  const clients = [new SignatureClient(parseAddress(`unix://${socket}`)), new SignatureClient(parseAddress(`unix://${socket}`))];
  await Promise.all(clients.map((c) => c.ready(10000)));

  const totals = { batches: 0, answers: 0, events: 0, findings: 0, skippedTicks: 0, reopens: 0, errors: [] as string[] };
  const open = (i: number): Stream => {
    const call = clients[i % clients.length].onEvents();
    const s: Stream = { call, pending: [], opened: Date.now(), status: new Promise((resolve) => call.on('status', resolve)) };
    call.on('data', (b: Buffer) => {
      const fb = decodeFindingBatch(b);
      const expected = s.pending.shift();
      if (expected !== fb.events_processed && totals.errors.length < 10) totals.errors.push(`stream ${i}: answer for ${expected} events says ${fb.events_processed}`);
      totals.answers++;
      totals.findings += fb.findings.length;
    });
    call.on('error', () => undefined);
    call.on('status', (st: grpc.StatusObject) => {
      if (st.code !== grpc.status.OK && totals.errors.length < 10) totals.errors.push(`stream ${i}: ${grpc.status[st.code]}: ${st.details}`);
    });
    return s;
  };
  const streams = Array.from({ length: STREAMS }, (_, i) => open(i));
  const batchesPerTick = (RATE * TICK_MS) / 1000 / BATCH; // over all streams; fractions carry over
  let credit = 0;
  let next = 0;
  let turn = 0;
  const tick = setInterval(() => {
    const now = Date.now();
    credit += batchesPerTick;
    for (let i = 0; i < streams.length; i++) {
      const s = streams[i];
      if (now - s.opened >= REOPEN_EVERY_MS && s.pending.length === 0) {
        s.call.end();
        streams[i] = open(i);
        totals.reopens++;
      }
    }
    // Batches go round-robin over the streams; a stream with too many unanswered is passed over.
    for (let tries = 0; credit >= 1 && tries < streams.length * 4; tries++) {
      const st = streams[turn++ % streams.length];
      if (st.pending.length >= MAX_IN_FLIGHT) {
        totals.skippedTicks++;
        continue;
      }
      st.pending.push(BATCH);
      st.call.write(batches[next++ % batches.length]);
      totals.batches++;
      totals.events += BATCH;
      credit--;
    }
  }, TICK_MS);

  const samples: number[] = [];
  const start = Date.now();
  await new Promise<void>((resolve) => {
    const sampler = setInterval(() => {
      samples.push(rss(pid));
      const t = samples.length;
      if (t % 10 === 0) process.stdout.write(`soak: ${t}/${SECONDS} s, RSS ${(samples[t - 1] / MiB).toFixed(1)} MiB, ${totals.events} events, ${totals.findings} findings\n`);
      if (t >= SECONDS) {
        clearInterval(sampler);
        resolve();
      }
    }, 1000);
  });
  clearInterval(tick);
  const elapsed = (Date.now() - start) / 1000;
  // Let the last answers arrive, then stop the server as an operator would.
  for (let i = 0; i < 50 && streams.some((s) => s.pending.length > 0); i++) await new Promise((r) => setTimeout(r, 100));
  for (const s of streams) s.call.end();
  await Promise.race([Promise.all(streams.map((s) => s.status)), new Promise((r) => setTimeout(r, 5000))]);
  for (const c of clients) c.close();
  server.kill('SIGTERM');
  const exitCode = await new Promise<number | null>((resolve) => server.once('exit', resolve));
  fs.rmSync(dir, { recursive: true, force: true });

  const after = samples.slice(WARMUP);
  const min = Math.min(...after);
  const max = Math.max(...after);
  const spread = max / min - 1;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const firstTen = mean(after.slice(0, 10));
  const lastTen = mean(after.slice(-10));
  const unanswered = streams.reduce((n, s) => n + s.pending.length, 0);
  const flat = spread <= 0.1;
  const ok = flat && totals.errors.length === 0 && unanswered === 0 && exitCode === 0;
  const mb = (b: number) => (b / MiB).toFixed(1);
  const series = samples.filter((_, i) => i % 10 === 9).map(mb).join(', ');
  const body = [
    `Steady load on \`tracee-sig serve\` over its unix socket for ${SECONDS} s, its RSS read from /proc every second. Run with:`,
    '',
    '```sh',
    `SOAK_SECONDS=${SECONDS} SOAK_RATE=${RATE} SOAK_STREAMS=${STREAMS}${SERVE_ARGS.length ? ` SOAK_SERVE_ARGS="${SERVE_ARGS.join(' ')}"` : ''} make soak`,
    '```',
    '',
    `serve ran as \`tracee-sig serve${SERVE_ARGS.length ? ` ${SERVE_ARGS.join(' ')}` : ''}\` (with ${os.availableParallelism()} CPUs its default is ${os.availableParallelism() >= 2 ? 'gRPC on a thread of its own' : "gRPC on the signatures' thread"}).`,
    `Load: ${STREAMS} streams on 2 connections, ${RATE} events/s offered in batches of ${BATCH} (bench/grpc's mix: 1 exec to 4 connects across 64 containers, 1 connect in 8 to the API server), every stream closed and reopened every ${REOPEN_EVERY_MS / 1000} s.`,
    `Measured on ${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} CPUs), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    '| Figure | Value |',
    '| --- | --- |',
    `| Duration | ${elapsed.toFixed(0)} s (warm-up: first ${WARMUP} s) |`,
    `| Events sent, answered | ${totals.events} in ${totals.batches} batches (${Math.round(totals.events / elapsed)} events/s); ${totals.answers} answers, ${unanswered} unanswered |`,
    `| Findings | ${totals.findings} |`,
    `| Streams reopened | ${totals.reopens} |`,
    `| Batches deferred (a stream had ${MAX_IN_FLIGHT} unanswered) | ${totals.skippedTicks} |`,
    `| RSS at 1 s, at end of warm-up | ${mb(samples[0])} MiB, ${mb(samples[WARMUP - 1] ?? NaN)} MiB |`,
    `| RSS after warm-up: min, max, spread | ${mb(min)} MiB, ${mb(max)} MiB, ${(spread * 100).toFixed(1)} % (limit 10 %) |`,
    `| RSS after warm-up: first 10 s mean, last 10 s mean | ${mb(firstTen)} MiB, ${mb(lastTen)} MiB (drift ${((lastTen / firstTen - 1) * 100).toFixed(1)} %) |`,
    `| Errors | ${totals.errors.length === 0 ? 'none' : totals.errors.join('; ')} |`,
    `| serve exit status after SIGTERM | ${exitCode} |`,
    `| Verdict | ${ok ? 'flat: PASS' : 'FAIL'} |`,
    '',
    `RSS every 10 s (MiB): ${series}.`,
  ].join('\n');
  replaceSection(path.join(ROOT, 'bench', 'RESULTS.md'), 'Soak', body);
  process.stdout.write(`${body}\n`);
  process.exitCode = ok ? 0 : 1;
}

main().catch((e: Error) => {
  process.stderr.write(`soak: ${e.stack ?? e.message}\n`);
  process.exitCode = 1;
});
