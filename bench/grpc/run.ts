// `make bench-grpc` (first part): OnEvents throughput of `tracee-sig serve`
// over its unix socket, from a separate client process, at batch sizes 1, 100
// and 1000, beside the transport floor measured in the same run. Each figure
// is the median of RUNS runs (floor and serve interleaved). Writes
// bench/out/grpc.json and the "gRPC OnEvents" section of bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { replaceSection } from '../results.js';
import { loadText, machine, median, ROOT, startBenchServers } from './servers.js';

const RUNS = Number(process.env.RUNS ?? 3);
const SIZES: [number, number][] = [
  [1, 40_000],
  [100, 400_000],
  [1000, 1_000_000],
];
const TARGET_RATIO = 0.5; // batches of 100 and of 1000: at least half the transport floor

function measure(socket: string, batch: number, events: number): number {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'client.js'), socket, String(batch), String(events)], { encoding: 'utf8' });
  return JSON.parse(out).eventsPerSecond;
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');

interface Row {
  batch: number;
  events: number;
  floor: number;
  serve: number;
  ratio: number;
  floorRuns: number[];
  serveRuns: number[];
  /** `serve --grpc-thread off`. */
  oneThread: number;
  oneThreadRuns: number[];
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg();
  const servers = await startBenchServers();
  const rows: Row[] = [];
  try {
    for (const [batch, events] of SIZES) {
      const f: number[] = [];
      const s: number[] = [];
      const w: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        // Interleaved, so all see the same machine conditions.
        f.push(measure(servers.floorSocket, batch, events));
        s.push(measure(servers.serveSocket, batch, events));
        w.push(measure(servers.oneThreadSocket, batch, events));
      }
      const row = {
        batch,
        events,
        floor: Math.round(median(f)),
        serve: Math.round(median(s)),
        ratio: median(s) / median(f),
        floorRuns: f.map(Math.round),
        serveRuns: s.map(Math.round),
        oneThread: Math.round(median(w)),
        oneThreadRuns: w.map(Math.round),
      };
      rows.push(row);
      process.stdout.write(
        `batch ${String(batch).padStart(4)}: serve ${String(row.serve).padStart(8)} events/s, floor ${String(row.floor).padStart(8)} events/s, ratio ${row.ratio.toFixed(2)}` +
          `  (runs serve ${row.serveRuns.join(' ')}; floor ${row.floorRuns.join(' ')}); one thread ${row.oneThread} (${(row.oneThread / row.floor).toFixed(2)})\n`,
      );
    }
  } finally {
    servers.stop();
  }
  const loadAfter = os.loadavg();
  const m = machine();
  fs.mkdirSync(path.join(ROOT, 'bench', 'out'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench', 'out', 'grpc.json'), JSON.stringify({ machine: { ...m, loadBefore, loadAfter }, runs: RUNS, rows }, null, 2) + '\n');
  process.stdout.write(`machine: ${m.cpus} CPU(s) ${m.model}, node ${m.node}, load average ${loadText(loadBefore)} before, ${loadText(loadAfter)} after\n`);

  const at = (b: number) => rows.find((r) => r.batch === b)!;
  const r100 = at(100);
  const r1000 = at(1000);
  const verdict = (r: (typeof rows)[number]) =>
    r.ratio >= TARGET_RATIO
      ? `**met** (${r.ratio.toFixed(2)})`
      : `**missed**: ${r.ratio.toFixed(2)} of the floor, ${n(TARGET_RATIO * r.floor - r.serve)} events/s short of half the floor`;
  const table = rows
    .map(
      (r) =>
        `| ${r.batch} | ${n(r.serve)} | ${n(r.floor)} | ${r.ratio.toFixed(2)} | ${r.serveRuns.map(n).join(' ')} | ${r.floorRuns.map(n).join(' ')} | ${n(r.oneThread)} | ${(r.oneThread / r.floor).toFixed(2)} | ${r.oneThreadRuns.map(n).join(' ')} |`,
    )
    .join('\n');
  const text = `
**Command:** \`make bench-grpc\` (first part; also run by \`make bench\`), i.e. \`node dist/bench/grpc/run.js\`
(\`RUNS\` overrides the ${RUNS} runs). It starts \`bin/tracee-sig serve\` (both ways) and the transport floor
(\`bench/grpc/floor-server.ts\`: a grpc-js server of the same \`OnEvents\` method that decodes nothing and
answers each batch with an empty \`FindingBatch\`) on unix sockets, then for each batch size runs a separate
client process (\`bench/grpc/client.ts\`) ${RUNS} times against each, interleaved, and reports the medians.
The client streams pre-encoded batches over one stream with a bounded in-flight window.

**Input:** \`bench/grpc/events.ts\`: 1 \`sched_process_exec\` to 4 \`security_socket_connect\` (Tracee main's
shapes, about 676 bytes per event), 64 containers whose exec environments (17 variables) name the API
server; 1 connect in 8 goes to it, so 10% of events produce a finding.

**Machine:** ${m.cpus} CPUs (${m.model}), Node ${m.node}; load average ${loadText(loadBefore)} before the run and
${loadText(loadAfter)} after (other developers' jobs share the machine: single runs vary, all are listed).

| batch | serve events/s | floor events/s | serve / floor | runs serve | runs floor | serve --grpc-thread off, events/s | one thread / floor | runs one thread |
| ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | --- |
${table}

\`serve\` runs grpc-js on a thread of its own (\`--grpc-thread\`, on by default with 2 CPUs or more), so it
reads the next batch, and opens HTTP/2 windows, while a batch is processed; the last three columns are
\`serve --grpc-thread off\`, grpc-js and the signatures taking turns on one thread.

**Against the targets** (at least ${TARGET_RATIO} of the floor): batch 100: ${verdict(r100)}. Batch 1000: ${verdict(r1000)}.
Where the time goes: "gRPC OnEvents: profile" below.
`;
  replaceSection(path.join(ROOT, 'bench', 'RESULTS.md'), 'gRPC OnEvents', text);
  process.stderr.write('wrote bench/RESULTS.md (gRPC OnEvents)\n');
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exit(1);
});
