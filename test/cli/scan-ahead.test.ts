// replay --scan-thread: with lines read on a second thread, everything a user sees
// is what one thread gives: findings (bytes), counts, malformed lines with their
// file:line, across chunk boundaries, gzip, stdin and several inputs; a slow
// stdin still gets its findings as they come; and auto takes the thread only
// where it pays.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { generate, line } from '../../bench/generate.js';
import { peekLines, SCAN_AHEAD_MIN_BYTES, worthScanningAhead } from '../../src/sources/scan-ahead.js';
import { BIN, REFERENCE_EXAMPLES, ROOT, runCli, tempDir, type Run } from '../support/cli.js';

const SELECTED = new Set(['sched_process_exec', 'security_socket_connect', 'container_remove']);
const FIXTURES = fs
  .readdirSync(path.join(ROOT, 'fixtures'))
  .filter((f) => /\.json(l\.gz)?$/.test(f))
  .map((f) => path.join(ROOT, 'fixtures', f));

/** The summary without its timing line. */
const untimed = (stderr: string) => stderr.replace(/elapsed [\d.]+ s, [\d,]+ events\/s/, 'elapsed');

async function bothWays(args: string[], input?: string | Buffer): Promise<Run> {
  const off = await runCli(['replay', '--scan-thread', 'off', ...args], input);
  const on = await runCli(['replay', '--scan-thread', 'on', ...args], input);
  expect(on.status, on.stderr).to.equal(off.status);
  expect(on.stdout).to.equal(off.stdout);
  expect(untimed(on.stderr)).to.equal(untimed(off.stderr));
  return on;
}

/** Lines of several MiB (over 1 MiB chunks) with every kind of line replay treats apart. */
function awkwardRecording(shape: 'current' | 'legacy'): string {
  const out: string[] = [];
  let i = 0;
  for (const e of generate({ shape, mix: 'selected', events: 4000, seed: 7 })) {
    const l = line(e, shape);
    out.push(l);
    i++;
    if (i % 501 === 0) out.push('{"timestamp": 1, broken'); // malformed
    if (i % 733 === 0) out.push('', '   '); // blank
    if (i % 911 === 0) out.push(l + '\r'); // CRLF
    if (i % 1201 === 0) out.push(JSON.stringify(JSON.parse(l), null, 1).replace(/\n/g, '')); // another layout: the full decoder's
    if (i % 1777 === 0) out.push(`{"pad":"${'x'.repeat(300_000)}"}`); // over --max-line-bytes 200000
  }
  return out.join('\n'); // the last line without a newline
}

describe('replay --scan-thread (a second thread reads lines ahead)', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.remove());

  it('gives every bundled recording the same findings and summary, alone and all together', async () => {
    for (const f of FIXTURES) await bothWays([f]);
    const all = await bothWays(['-o', 'json', ...FIXTURES]);
    expect(all.stdout.split('\n').length).to.be.greaterThan(40);
    // Inputs judged by what their lines were: blank only (a warning), no Tracee event (exit 65).
    const blank = tmp.file('blank.json', '\n  \n\r\n');
    expect((await bothWays([blank, FIXTURES[0]])).stderr).to.contain('empty');
    expect((await bothWays([tmp.file('other.json', '{"a":1}\n{"b":2}\n')])).status).to.equal(65);
  });

  it('keeps findings, counts and malformed lines (file:line) across chunks, in both shapes, from a file, gzip and stdin', async () => {
    for (const shape of ['current', 'legacy'] as const) {
      const text = awkwardRecording(shape);
      expect(text.length).to.be.greaterThan(3 << 20);
      const file = tmp.file(`${shape}.json`, text);
      const gz = tmp.file(`${shape}.json.gz`, zlib.gzipSync(text));
      const r = await bothWays(['--max-line-bytes', '200000', file]);
      expect(r.stdout).to.not.equal('');
      expect(r.stderr).to.contain(`${file}:502: not valid JSON`);
      expect(r.stderr).to.match(/exceeds the maximum of 200000 bytes/);
      await bothWays(['--max-line-bytes', '200000', gz, file]);
      // A read failing part way (gzip cut short): the lines before it, then the error, the same way.
      const cut = tmp.file(`${shape}-cut.json.gz`, fs.readFileSync(gz).subarray(0, 400_000));
      const cutRun = await bothWays(['--max-line-bytes', '200000', cut, file]);
      expect(cutRun.status).to.equal(74);
      expect(cutRun.stderr).to.match(/cut\.json\.gz: read failed after line [1-9]\d*: the gzip data ends early/);
      await bothWays(['--max-line-bytes', '200000', '-'], text);
    }
  });

  it('writes the findings of a slowly piped recording as they come, before the input ends (either way)', async () => {
    const [curExec, curConnect] = REFERENCE_EXAMPLES;
    for (const thread of ['off', 'on']) {
      const child = spawn(process.execPath, [BIN, 'replay', '-q', '--scan-thread', thread, '-'], { stdio: ['pipe', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stdin.write(curExec + '\n' + curConnect + '\n');
      const deadline = Date.now() + 20_000;
      while (!stdout.includes('k8s_api_connection') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const beforeEnd = stdout;
      child.stdin.end();
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(beforeEnd, `--scan-thread ${thread}: a finding before stdin was closed`).to.contain('k8s_api_connection');
      expect(code).to.equal(0);
    }
  });

  it('auto: a thread for long recordings that are mostly selected events, not for short, sparse or piped ones', () => {
    const selected = Array.from(generate({ shape: 'current', mix: 'selected', events: 2000, seed: 3 }), (e) => line(e, 'current'));
    const realistic = Array.from(generate({ shape: 'current', mix: 'realistic', events: 2000, seed: 3 }), (e) => line(e, 'current'));
    const repeatTo = (lines: string[], bytes: number) => {
      const block = lines.join('\n') + '\n';
      return block.repeat(Math.ceil(bytes / block.length));
    };
    const dense = tmp.file('dense.json', repeatTo(selected, SCAN_AHEAD_MIN_BYTES));
    const sparse = tmp.file('sparse.json', repeatTo(realistic, SCAN_AHEAD_MIN_BYTES));
    const short = tmp.file('short.json', selected.join('\n'));
    const denseGz = tmp.file('dense.json.gz', zlib.gzipSync(fs.readFileSync(dense)));
    expect(peekLines(dense, SELECTED).scanned / peekLines(dense, SELECTED).lines).to.equal(1);
    const gzPeek = peekLines(denseGz, SELECTED); // its first eighth of a MiB gunzipped
    expect(gzPeek.lines).to.be.greaterThan(100);
    expect(gzPeek.scanned).to.equal(gzPeek.lines);
    // 64 MiB of blank lines squeezed into a gzip file: not gunzipped whole to be peeked at.
    const bomb = tmp.file('bomb.json.gz', zlib.gzipSync(Buffer.from(`${' '.repeat(1023)}\n`.repeat(64 << 10))));
    expect(peekLines(bomb, SELECTED)).to.deep.equal({ lines: 0, scanned: 0 });
    expect(worthScanningAhead([denseGz], SELECTED)).to.equal(false); // 16 MiB of text, far less on disk
    const twoCpus = os.availableParallelism() >= 2; // one CPU: never a second thread
    expect(worthScanningAhead([dense], SELECTED)).to.equal(twoCpus);
    expect(worthScanningAhead([short, short], SELECTED)).to.equal(false); // too short
    expect(worthScanningAhead([sparse], SELECTED)).to.equal(false); // too few lines to scan
    expect(worthScanningAhead([dense, '-'], SELECTED)).to.equal(false); // stdin: unknown
    expect(worthScanningAhead([dense], undefined)).to.equal(false); // every event selected: nothing is scanned
  });
});
