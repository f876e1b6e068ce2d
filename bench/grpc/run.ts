// `make bench-grpc`: OnEvents throughput of `tracee-sig serve` over its unix
// socket, from a separate client process, at batch sizes 1, 100 and 1000,
// beside the transport floor measured in the same run. Each figure is the
// median of RUNS runs. Writes bench/out/grpc.json and prints a table.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const RUNS = Number(process.env.RUNS ?? 3);
const SIZES: [number, number][] = [
  [1, 40_000],
  [100, 400_000],
  [1000, 1_000_000],
];

function startServer(args: string[], ready: RegExp): Promise<ChildProcess> {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    proc.stderr!.on('data', (d) => {
      err += d;
      if (ready.test(err)) resolve(proc);
    });
    proc.once('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
}

function measure(socket: string, batch: number, events: number): number {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'client.js'), socket, String(batch), String(events)], { encoding: 'utf8' });
  return JSON.parse(out).eventsPerSecond;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-sig-bench-'));
  const floorSock = path.join(dir, 'floor.sock');
  const serveSock = path.join(dir, 'serve.sock');
  const floor = await startServer([path.join(__dirname, 'floor-server.js'), floorSock], /listening/);
  const serve = await startServer([path.join(ROOT, 'bin', 'tracee-sig'), 'serve', '--listen', `unix://${serveSock}`], /listening on/);
  const rows = [];
  try {
    for (const [batch, events] of SIZES) {
      const f: number[] = [];
      const s: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        // Interleaved, so both see the same machine conditions.
        f.push(measure(floorSock, batch, events));
        s.push(measure(serveSock, batch, events));
      }
      const row = { batch, events, floor: Math.round(median(f)), serve: Math.round(median(s)), ratio: median(s) / median(f), floorRuns: f.map(Math.round), serveRuns: s.map(Math.round) };
      rows.push(row);
      process.stdout.write(
        `batch ${String(batch).padStart(4)}: serve ${String(row.serve).padStart(8)} events/s, floor ${String(row.floor).padStart(8)} events/s, ratio ${row.ratio.toFixed(2)}` +
          `  (runs serve ${row.serveRuns.join(' ')}; floor ${row.floorRuns.join(' ')})\n`,
      );
    }
  } finally {
    floor.kill('SIGTERM');
    serve.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() };
  fs.mkdirSync(path.join(ROOT, 'bench', 'out'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench', 'out', 'grpc.json'), JSON.stringify({ machine, runs: RUNS, rows }, null, 2) + '\n');
  process.stdout.write(`machine: ${machine.cpus} CPU(s) ${machine.model}, node ${machine.node}, load average at the end ${machine.loadavg.map((l) => l.toFixed(2)).join(' ')}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exit(1);
});
