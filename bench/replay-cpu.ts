// CPU of replay's hot path in one process, apart from reading files and
// start-up: the prefilter per line (realistic mix) and the Tracee-layout
// scanner per selected line with what TRC-1013 reads of it (all-selected mix),
// both shapes, on lines from bench/generate.ts held in 1 MiB buffers as replay
// holds them. Also the timestamp check the scanner makes against the library way,
// and the ceiling of checking JSON in JavaScript: a bare grammar check of the
// selected lines (nothing noted, tight loops) against JSON.parse of them.
//
// With BEFORE (an earlier build copied inside the repository, e.g.
// `cp -a dist dist-before` before a change), both builds run in this one process
// and their passes alternate: compare the ratios of same-moment pairs (single
// figures move by a third with the machine's load). Both must read the same
// things from every line (a digest is compared).
//
// Usage: node dist/bench/replay-cpu.js [BEFORE] (PASSES, LINES override 15 and 40,000)
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { generate, line } from './generate.js';

const BEFORE = process.argv[2];
const PASSES = Number(process.env.PASSES ?? 15);
const LINES = Number(process.env.LINES ?? 40_000);
const ROOT = path.join(__dirname, '..', '..');
const SELECTED = new Set(['sched_process_exec', 'security_socket_connect', 'container_remove']);

type Shape = 'legacy' | 'current';
/** Lines as replay sees them: buf[start, end) in buffers of about 1 MiB. */
interface Lines {
  bufs: Buffer[];
  spans: number[][]; // per buffer: start, end, start, end, ...
  count: number;
}

function linesOf(shape: Shape, mix: 'realistic' | 'selected'): Lines {
  const out: Lines = { bufs: [], spans: [], count: 0 };
  let texts: string[] = [];
  let size = 0;
  const flush = () => {
    const buf = Buffer.from(texts.join('\n') + '\n');
    const spans: number[] = [];
    for (let start = 0, nl = buf.indexOf(10); nl >= 0; start = nl + 1, nl = buf.indexOf(10, start)) spans.push(start, nl);
    out.bufs.push(buf);
    out.spans.push(spans);
    texts = [];
    size = 0;
  };
  for (const e of generate({ shape, mix, events: LINES, seed: 1013 })) {
    const l = line(e, shape);
    texts.push(l);
    size += l.length + 1;
    out.count++;
    if (size >= 1 << 20) flush();
  }
  if (texts.length) flush();
  return out;
}

interface Build {
  name: string;
  digest: string;
  /** µs of CPU per line: prefilter over the realistic mix, scan + reads over the selected mix. */
  prefilter(shape: Shape): number;
  scan(shape: Shape): number;
}

function cpu(run: () => void, per: number): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / per;
}

function load(dist: string, name: string, realistic: Record<Shape, Lines>, selected: Record<Shape, Lines>): Build {
  const from = (p: string) => require(path.join(dist, p)); // eslint-disable-line @typescript-eslint/no-require-imports
  const { Prefilter } = from('src/decode/prefilter.js');
  const { TraceeLineScanner } = from('src/decode/tracee-layout.js');
  const { decodeJsonLine } = from('src/decode/json.js');
  const { arg, containerId, origin, stringArraySummary } = from('src/model/accessors.js');
  const scanner = new TraceeLineScanner();
  const prefilterPass = (lines: Lines) => {
    const p = new Prefilter(SELECTED);
    lines.bufs.forEach((buf, b) => {
      const spans = lines.spans[b];
      for (let i = 0; i < spans.length; i += 2) p.skip(buf, spans[i], spans[i + 1]);
    });
  };
  /** Each selected line scanned (full decoder when declined) and read as TRC-1013 reads it; `sink` sees what was read. */
  const scanPass = (lines: Lines, sink?: (read: string) => void) => {
    const p = new Prefilter(SELECTED);
    lines.bufs.forEach((buf, b) => {
      const spans = lines.spans[b];
      for (let i = 0; i < spans.length; i += 2) {
        if (p.skip(buf, spans[i], spans[i + 1])) continue;
        const ev = (p.layoutName !== undefined && scanner.scan(buf, spans[i], spans[i + 1], p.layoutName, p.layoutShape)) || decodeJsonLine(buf.toString('utf8', spans[i], spans[i + 1])).event;
        if (origin(ev) !== 'container') continue;
        const id = containerId(ev);
        const read = ev.name === 'sched_process_exec' ? stringArraySummary(ev, 'env', 'KUBERNETES_SERVICE_HOST=')?.withPrefix : arg(ev, 'remote_addr')?.sockaddr;
        sink?.(`${id} ${JSON.stringify(read)}`);
      }
    });
  };
  const hash = createHash('sha256');
  for (const shape of ['legacy', 'current'] as const) scanPass(selected[shape], (r) => hash.update(r));
  return {
    name,
    digest: hash.digest('hex').slice(0, 16),
    prefilter: (shape) => cpu(() => prefilterPass(realistic[shape]), realistic[shape].count),
    scan: (shape) => cpu(() => scanPass(selected[shape]), selected[shape].count),
  };
}

/** The scanner's timestamp check against the library way, µs per timestamp. */
function timestamps(): { bytes: number; library: number } {
  const { isRfc3339, parseRfc3339 } = require(path.join(__dirname, '..', 'src', 'model', 'time.js')); // eslint-disable-line @typescript-eslint/no-require-imports
  const texts = Array.from({ length: 1000 }, (_, i) => `2025-11-20T09:${String(i % 60).padStart(2, '0')}:00.${String(40552 + i).padStart(9, '0')}Z`);
  const bufs = texts.map((t) => Buffer.from(t));
  const n = 2_000_000;
  let ok = 0;
  const bytes = cpu(() => {
    for (let i = 0; i < n; i++) ok += isRfc3339(bufs[i % 1000], 0, bufs[i % 1000].length) ? 1 : 0;
  }, n);
  const library = cpu(() => {
    for (let i = 0; i < n; i++) ok += parseRfc3339(bufs[i % 1000].toString('latin1')) ? 1 : 0;
  }, n);
  if (ok !== 2 * n) throw new Error('a timestamp was refused');
  return { bytes, library };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number) => x.toFixed(3);

/**
 * A bare JSON grammar check: the least a scanner that lets no malformed line
 * through must do, with nothing noted (bench only: numbers and literals are
 * checked loosely, which only makes it faster than a real check).
 */
function bareCheck(buf: Buffer, start: number, end: number): boolean {
  let pos = start;
  const ws = () => {
    while (pos < end && (buf[pos] === 0x20 || buf[pos] === 0x09 || buf[pos] === 0x0d)) pos++;
  };
  const str = (): boolean => {
    for (let p = pos + 1; p < end; ) {
      const c = buf[p];
      if (c === 0x22) return ((pos = p + 1), true);
      if (c === 0x5c) p += 2;
      else if (c < 0x20) return false;
      else p++;
    }
    return false;
  };
  const value = (): boolean => {
    const c = buf[pos];
    if (c === 0x22) return str();
    if (c === 0x7b || c === 0x5b) {
      const close = c === 0x7b ? 0x7d : 0x5d;
      pos++;
      ws();
      if (buf[pos] === close) return (pos++, true);
      for (;;) {
        ws();
        if (c === 0x7b) {
          if (buf[pos] !== 0x22 || !str()) return false;
          ws();
          if (buf[pos++] !== 0x3a) return false;
          ws();
        }
        if (!value()) return false;
        ws();
        const next = buf[pos++];
        if (next === close) return true;
        if (next !== 0x2c) return false;
      }
    }
    const from = pos;
    while (pos < end && ((buf[pos] >= 0x30 && buf[pos] <= 0x39) || buf[pos] === 0x2d || buf[pos] === 0x2e || buf[pos] === 0x2b || (buf[pos] | 0x20) === 0x65 || (buf[pos] >= 0x61 && buf[pos] <= 0x7a))) pos++;
    return pos > from;
  };
  return value() && (ws(), pos === end);
}

/** µs a selected line: the bare grammar check, and JSON.parse of the line's text. */
function checkCeiling(lines: Lines): { bare: number; parse: number } {
  let ok = 0;
  const each = (f: (buf: Buffer, start: number, end: number) => boolean) => () =>
    lines.bufs.forEach((buf, b) => {
      const spans = lines.spans[b];
      for (let i = 0; i < spans.length; i += 2) ok += f(buf, spans[i], spans[i + 1]) ? 1 : 0;
    });
  const bare: number[] = [];
  const parse: number[] = [];
  for (let p = 0; p < PASSES; p++) {
    bare.push(cpu(each(bareCheck), lines.count));
    parse.push(cpu(each((buf, start, end) => JSON.parse(buf.toString('utf8', start, end)) !== null), lines.count));
  }
  if (ok !== 2 * PASSES * lines.count) throw new Error('the bare check refused a line JSON.parse takes');
  return { bare: median(bare), parse: median(parse) };
}

function main(): void {
  const realistic = { legacy: linesOf('legacy', 'realistic'), current: linesOf('current', 'realistic') };
  const selected = { legacy: linesOf('legacy', 'selected'), current: linesOf('current', 'selected') };
  const builds = [load(path.join(ROOT, 'dist'), 'this build', realistic, selected)];
  if (BEFORE) builds.unshift(load(path.resolve(BEFORE), BEFORE, realistic, selected));
  if (new Set(builds.map((b) => b.digest)).size > 1) throw new Error(`the builds read different things: ${builds.map((b) => `${b.name} ${b.digest}`).join(', ')}`);
  const load0 = os.loadavg();
  for (const shape of ['legacy', 'current'] as const) {
    for (const what of ['prefilter', 'scan'] as const) {
      const figures = builds.map(() => [] as number[]);
      for (let p = 0; p < PASSES; p++) builds.forEach((b, i) => figures[i].push(b[what](shape)));
      const unit = what === 'prefilter' ? 'us a line (realistic mix)' : 'us a selected line (scan + reads)';
      const parts = builds.map((b, i) => `${b.name} ${fmt(median(figures[i]))}`);
      const ratio = builds.length === 2 ? `, ratio this/before ${fmt(median(figures[1].map((x, p) => x / figures[0][p])))}` : '';
      console.log(`${shape} ${what}: ${parts.join(', ')} ${unit}${ratio}`);
    }
  }
  for (const shape of ['legacy', 'current'] as const) {
    const c = checkCeiling(selected[shape]);
    console.log(`${shape} ceiling: bare grammar check ${fmt(c.bare)} us, JSON.parse ${fmt(c.parse)} us a selected line (${fmt(c.bare / c.parse)} of JSON.parse)`);
  }
  const t = timestamps();
  console.log(`timestamp check: isRfc3339 ${fmt(t.bytes)} us, string + parseRfc3339 ${fmt(t.library)} us`);
  console.log(`machine: ${os.cpus().length} CPU(s), node ${process.version}, load average ${load0.map((x) => x.toFixed(2)).join(' ')} before, ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} after; digest ${builds[0].digest}`);
}

main();
