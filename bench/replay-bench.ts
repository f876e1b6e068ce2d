// `make bench-replay`: whole-process replay throughput and peak RSS on
// 1,000,000-event recordings (both shapes, two mixes) beside the floors
// measured in the same run; writes bench/RESULTS.md's replay section.
//
//   node dist/bench/replay-bench.js [--events N] [--runs N]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { writeRecording } from './generate.js';
import { replaceSection } from './results.js';

const ROOT = path.join(__dirname, '..', '..');
// Recordings of 1,000,000 events are gigabytes: generated outside the repository, kept between runs,
// in memory (/dev/shm) where it has room. A disk's page cache is not reliably memory: on a VM that
// reclaims idle pages (DAMON), replays read part of their recording from disk again, and one
// process's system time went from 0.3 to 3.5 s between runs of the same command.
const OUT = process.env.TRACEE_SIG_BENCH_DIR ?? path.join(inMemory() ?? os.tmpdir(), 'tracee-sig-bench');

/** /dev/shm when it is a directory with room for the four recordings (about 5.2 GB, and 1 GB to spare). */
function inMemory(): string | undefined {
  try {
    const s = fs.statfsSync('/dev/shm');
    return s.bavail * s.bsize > 6.2e9 || fs.existsSync('/dev/shm/tracee-sig-bench') ? '/dev/shm' : undefined;
  } catch {
    return undefined;
  }
}
const RUSAGE = path.join(__dirname, 'rusage.js');

interface Measure {
  seconds: number;
  /** CPU seconds (user + system, every thread). */
  cpu: number;
  maxRssMiB: number;
}

function run(args: string[]): Measure {
  const rusageFile = path.join(os.tmpdir(), `tracee-sig-rusage-${process.pid}.json`);
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--require', RUSAGE, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, RUSAGE_FILE: rusageFile }, maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  const usage = JSON.parse(fs.readFileSync(rusageFile, 'utf8'));
  fs.rmSync(rusageFile, { force: true });
  return { seconds, cpu: (usage.userUs + usage.systemUs) / 1e6, maxRssMiB: usage.maxRssKiB / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '3' } } });
  const events = Number(values.events);
  const runs = Number(values.runs);
  fs.mkdirSync(OUT, { recursive: true });
  const rows: string[] = [];
  const summary: string[] = [];
  const verdicts: string[] = [];
  const loadBefore = os.loadavg();
  for (const mix of ['realistic', 'selected'] as const) {
    for (const shape of ['legacy', 'current'] as const) {
      const file = path.join(OUT, `${shape}-${mix}-${events}.json`);
      if (!fs.existsSync(file)) {
        process.stderr.write(`generating ${file}\n`);
        await writeRecording({ shape, mix, events, seed: 1013 }, file);
      }
      const size = fs.statSync(file).size;
      const commands: Record<string, string[]> = {
        'floor: read + split lines': [path.join(__dirname, 'floors.js'), 'split', file],
        'floor: JSON.parse every line': [path.join(__dirname, 'floors.js'), 'parse', file],
        'floor: prefilter + parse selected + detect': [path.join(__dirname, 'floors.js'), 'prefilter', file],
        'read selected, library way: full decoder (JSON.parse + model)': [path.join(__dirname, 'floors.js'), 'decode', file],
        'read selected, fast path: Tracee-layout scanner': [path.join(__dirname, 'floors.js'), 'scan', file],
        'read selected, the same scanner without templates (its rules walk every line)': [path.join(__dirname, 'floors.js'), 'scan-rules', file],
        'tracee-sig replay, one thread (--scan-thread off)': [path.join(ROOT, 'bin', 'tracee-sig'), 'replay', '-q', '--scan-thread', 'off', file],
        'tracee-sig replay': [path.join(ROOT, 'bin', 'tracee-sig'), 'replay', '-q', file],
      };
      const results: Record<string, Measure[]> = {};
      for (let i = 0; i < runs; i++) {
        for (const [name, args] of Object.entries(commands)) (results[name] ??= []).push(run(args));
      }
      const rate = (m: Measure[]) => events / median(m.map((x) => x.seconds));
      const ours = rate(results['tracee-sig replay']);
      const floor = rate(results[mix === 'selected' ? 'floor: JSON.parse every line' : 'floor: read + split lines']);
      const target = mix === 'selected' ? 1.0 : 0.6;
      verdicts.push(
        `- ${shape}, ${mix}: replay ÷ ${mix === 'selected' ? 'JSON.parse' : 'read + split'} floor = ${(ours / floor).toFixed(2)} (target ≥ ${target.toFixed(1)}: ${ours / floor >= target ? '**met**' : '**missed**'}); ` +
          `the scanner reads selected lines ${(rate(results['read selected, fast path: Tracee-layout scanner']) / rate(results['read selected, library way: full decoder (JSON.parse + model)'])).toFixed(2)}× as fast as the full decoder ` +
          `(${(rate(results['read selected, fast path: Tracee-layout scanner']) / rate(results['read selected, the same scanner without templates (its rules walk every line)'])).toFixed(2)}× as fast as without its templates)`,
      );
      for (const [name, ms] of Object.entries(results)) {
        const secs = ms.map((m) => m.seconds);
        const r = rate(ms);
        rows.push(
          `| ${shape} | ${mix} | ${name} | ${Math.round(r).toLocaleString('en-US')} | ${Math.min(...secs).toFixed(2)}–${Math.max(...secs).toFixed(2)} | ${median(ms.map((m) => m.cpu)).toFixed(2)} | ${median(ms.map((m) => m.maxRssMiB)).toFixed(0)} | ${(ours / r).toFixed(2)} |`,
        );
      }
      summary.push(`- ${shape}, ${mix}: ${(size / 1e9).toFixed(2)} GB; replay ${Math.round(ours).toLocaleString('en-US')} events/s`);
      process.stderr.write(`${summary[summary.length - 1]}\n`);
    }
  }
  const text = [
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    `Command: \`make bench-replay\` (= \`node dist/bench/replay-bench.js --events ${events} --runs ${runs}\`); each figure is a whole process over the same file, median of ${runs} runs, ${OUT.startsWith('/dev/shm/') ? 'files in memory' : 'files in the page cache'} (generated under ${OUT}; \`TRACEE_SIG_BENCH_DIR\` sets the directory).`,
    `Load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at the end, ${loadBefore.map((x) => x.toFixed(2)).join(' ')} at the start (other developers' jobs share the machine).`,
    '',
    ...summary,
    '',
    'Against the targets (ratios in this run):',
    '',
    ...verdicts,
    '',
    '`tracee-sig replay` is the default, `--scan-thread auto`: it takes the second thread for all four recordings (plain files of 16 MiB or more; in the realistic ones 1 line in 20 is scanned).',
    '',
    '| shape | mix | what | events/s (median) | seconds (range) | CPU seconds (median) | peak RSS MiB | replay ÷ this |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
  replaceSection(path.join(ROOT, 'bench', 'RESULTS.md'), 'Replay', text);
  process.stderr.write('wrote bench/RESULTS.md (Replay)\n');
  // Kept for the next run, and in /dev/shm they hold memory until removed: say so, and how to free it.
  const kept = fs.readdirSync(OUT).reduce((sum, f) => sum + fs.statSync(path.join(OUT, f)).size, 0);
  process.stderr.write(`recordings kept for the next run: ${(kept / 1e9).toFixed(1)} GB in ${OUT}${OUT.startsWith('/dev/shm/') ? ' (memory)' : ''}; \`rm -r ${OUT}\` frees it\n`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
