// replay --scan-thread: with lines read on a second thread, everything a user sees
// is what one thread gives: findings (bytes), counts, malformed lines with their
// file:line, across chunk boundaries, gzip, stdin and several inputs; a slow
// stdin still gets its findings as they come; and auto takes the thread only
// where it pays.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { generate, line } from '../../bench/generate.js';
import { SCAN_AHEAD_MIN_BYTES, worthScanningAhead } from '../../src/sources/scan-ahead.js';
import { BIN, REFERENCE_EXAMPLES, ROOT, runCli, tempDir, tracee, type Run } from '../support/cli.js';

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

/**
 * Lines of several MiB (over 1 MiB chunks) with every kind of line replay treats apart: mostly
 * events TRC-1013 reads ('selected'; the thread hands its chunks over as they are), or one in
 * twenty ('realistic'; the thread copies the lines to read out of its chunks).
 */
function awkwardRecording(shape: 'current' | 'legacy', mix: 'selected' | 'realistic'): string {
  const out: string[] = [];
  let i = 0;
  for (const e of generate({ shape, mix, events: 4000, seed: 7 })) {
    const l = line(e, shape);
    out.push(l);
    i++;
    if (i % 501 === 0) out.push('{"timestamp": 1, broken'); // malformed
    if (i % 733 === 0) out.push('', '   '); // blank
    if (i % 911 === 0) out.push(l + '\r'); // CRLF
    if (i % 1201 === 0) out.push(JSON.stringify(JSON.parse(l), null, 1).replace(/\n/g, '')); // another layout: the full decoder's
    if (i % 1777 === 0) out.push(`{"pad":"${'x'.repeat(300_000)}"}`); // over --max-line-bytes 200000
    if (i % 1319 === 0 && l.includes('"sa_family":"AF_INET"')) out.push(l.replace('"sa_family":"AF_INET"', '"sa_family":true')); // a remote_addr the decoder refuses
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

  it('keeps findings, counts and malformed lines (file:line) across chunks, in both shapes and mixes, from a file, gzip and stdin', async () => {
    for (const shape of ['current', 'legacy'] as const) {
      // Dense, then sparse, then dense again: the thread changes how it hands lines over on the way.
      const text = [awkwardRecording(shape, 'selected'), awkwardRecording(shape, 'realistic'), awkwardRecording(shape, 'selected')].join('\n');
      expect(text.length).to.be.greaterThan(9 << 20);
      const file = tmp.file(`${shape}.json`, text);
      const gz = tmp.file(`${shape}.json.gz`, zlib.gzipSync(text));
      const r = await bothWays(['--max-line-bytes', '200000', file]);
      expect(r.stdout).to.not.equal('');
      expect(r.stderr).to.contain(`${file}:502: not valid JSON`);
      expect(r.stderr).to.match(/sa_family: expected a family name, got boolean true/);
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

  describe('a plain file, read by the thread itself', () => {
    /** An all-selected recording of about `mib` MiB: some 15% of its lines make a finding. */
    const selectedFile = (name: string, mib: number): string => {
      const lines: string[] = [];
      let bytes = 0;
      for (const e of generate({ shape: 'current', mix: 'selected', events: 1 << 30, seed: 5 })) {
        const l = line(e, 'current');
        lines.push(l);
        bytes += l.length + 1;
        if (bytes >= mib << 20) break;
      }
      return tmp.file(name, lines.join('\n') + '\n');
    };

    it('reads no further ahead of a stdout nobody reads than a few chunks, and loses nothing once it is read', async () => {
      const file = selectedFile('big.json', 24);
      const expected = await runCli(['replay', '-q', '--scan-thread', 'off', file]);
      const child = spawn(process.execPath, [BIN, 'replay', '--progress', '--scan-thread', 'on', file], { stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        // stdout is not read yet: once the pipe is full, the replay must wait, and the thread with it.
        const deadline = Date.now() + 20_000;
        const progress = /([\d.]+) (B|KiB|MiB) of [\d.]+ MiB, /g; // "7.0 MiB of 24.0 MiB, …"
        while ((stderr.match(progress) ?? []).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        const shown = [...stderr.matchAll(progress)].map((m) => Number(m[1]) * (m[2] === 'MiB' ? 1 << 20 : m[2] === 'KiB' ? 1024 : 1));
        expect(shown.length, stderr).to.be.at.least(2);
        expect(shown.at(-1)!, 'bytes read while stdout was not read').to.be.below(12 << 20);
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        expect(code, stderr).to.equal(0);
        expect(stdout).to.equal(expected.stdout);
      } finally {
        child.kill(); // a failed check must not leave it waiting on a pipe nobody reads
      }
    });

    it('SIGINT while stdout is not read, then its reader gone: says where it stopped (file:line), either way', async () => {
      const file = selectedFile('big.json', 8);
      for (const thread of ['off', 'on']) {
        const child = spawn(process.execPath, [BIN, 'replay', '--progress', '--scan-thread', thread, file], { stdio: ['ignore', 'pipe', 'pipe'] });
        try {
          let stderr = '';
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          const deadline = Date.now() + 20_000;
          while (!/ MiB of /.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          child.kill('SIGINT');
          await new Promise((r) => setTimeout(r, 300));
          child.stdout.destroy(); // the reader goes: the findings waiting for it cannot be written
          const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
          expect(code, stderr).to.equal(74);
          expect(stderr, `--scan-thread ${thread}`).to.match(new RegExp(`interrupted by SIGINT after ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:[1-9]\\d*: the findings up to there were written`));
          expect(stderr).to.contain('cannot write findings to stdout: the reader closed the pipe');
        } finally {
          child.kill();
        }
      }
    });

    it('a read failing part way: the lines before it replayed, then the error (file:line), exit 74', async () => {
      const file = selectedFile('rec.json', 4);
      // Node's own --require injects the fault: the thread's third read of the file fails.
      const preload = tmp.file('eio.js', [
        "const { isMainThread } = require('node:worker_threads');",
        'if (!isMainThread) {',
        "  const fs = require('node:fs');",
        '  const read = fs.read;',
        '  let reads = 0;',
        "  fs.read = function (...args) { if (++reads === 3) return void process.nextTick(args.at(-1), Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })); return read.apply(this, args); };",
        '}',
      ].join('\n'));
      const r = spawnSync(process.execPath, ['--require', preload, BIN, 'replay', '--scan-thread', 'on', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
      expect(r.status, r.stderr).to.equal(74);
      const failed = /rec\.json: read failed after line (\d+): EIO: i\/o error, read \(EIO\); the lines before it were replayed, the rest of this input was not/.exec(r.stderr);
      expect(failed, r.stderr).to.not.equal(null);
      // Two MiB were read: their whole lines replayed as one thread replays them.
      const twoMiB = fs.readFileSync(file).subarray(0, 2 << 20);
      const whole = twoMiB.subarray(0, twoMiB.lastIndexOf(10) + 1);
      const expected = await runCli(['replay', '-q', '--scan-thread', 'off', tmp.file('first.json', whole)]);
      expect(r.stdout.startsWith(expected.stdout), 'the findings of the lines read').to.equal(true);
      expect(r.stdout.length).to.be.greaterThan(0);
      expect(Number(failed![1])).to.equal(whole.toString().split('\n').length); // the last line, cut short, counted too
    });

    it('the thread itself failing while it reads: the findings made before are written, one line says so and what to do, exit 70, not a hang', () => {
      const file = selectedFile('rec.json', 3);
      const all = tracee(['replay', '-q', '--scan-thread', 'off', file]).stdout;
      // Faults that are no read error (bugs of ours), injected once on the thread with --require:
      // closing the file once it was read, and answering the first batch (not to be taken for a
      // read error, after which the thread would go on).
      for (const [owner, method] of [["require('node:fs')", 'closeSync'], ['Int32Array.prototype', 'slice']]) {
        const preload = tmp.file('bug.js', [
          "const { isMainThread } = require('node:worker_threads');",
          'if (!isMainThread) {',
          `  const owner = ${owner};`,
          `  const real = owner.${method};`,
          '  let failed = false;',
          `  owner.${method} = function (...args) { if (!failed) { failed = true; throw new TypeError('injected bug'); } return real.apply(this, args); };`,
          '}',
        ].join('\n'));
        const r = spawnSync(process.execPath, ['--require', preload, BIN, 'replay', '-q', '--scan-thread', 'on', file], { encoding: 'utf8', timeout: 30_000, maxBuffer: 64 << 20 });
        expect(r.status, `${method}: ${r.stderr}`).to.equal(70);
        // The findings made before the failure was seen are written, whole and in order (the failure
        // can overtake batches still on their way: those are not dispatched).
        expect(all.startsWith(r.stdout), 'a prefix of the findings').to.equal(true);
        expect(r.stdout === '' || r.stdout.endsWith('}\n')).to.equal(true);
        expect(r.stderr).to.equal('tracee-sig replay: the scan-ahead thread failed: injected bug; this is a bug, please report it; --scan-thread off replays without that thread\n');
      }
    });

    it('output failing part way (/dev/full): the same error and exit as one thread', async function () {
      if (!fs.existsSync('/dev/full')) this.skip();
      const r = await bothWays(['-q', '--output-file', '/dev/full', selectedFile('rec.json', 4)]);
      expect(r.status).to.equal(74);
      expect(r.stderr).to.contain('cannot write findings to /dev/full: no space left on the device');
    });
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

  it('auto: a thread for long plain files, sparse ones too; not for short, gzip or piped ones, nor when every event is selected', () => {
    const selected = Array.from(generate({ shape: 'current', mix: 'selected', events: 2000, seed: 3 }), (e) => line(e, 'current'));
    const realistic = Array.from(generate({ shape: 'current', mix: 'realistic', events: 2000, seed: 3 }), (e) => line(e, 'current'));
    const repeatTo = (lines: string[], bytes: number) => {
      const block = lines.join('\n') + '\n';
      return block.repeat(Math.ceil(bytes / block.length));
    };
    const dense = tmp.file('dense.json', repeatTo(selected, SCAN_AHEAD_MIN_BYTES));
    const sparse = tmp.file('sparse.json', repeatTo(realistic, SCAN_AHEAD_MIN_BYTES));
    const short = tmp.file('short.json', selected.join('\n'));
    const denseGz = tmp.file('dense.json.gz', zlib.gzipSync(repeatTo(selected, 2 * SCAN_AHEAD_MIN_BYTES)));
    const twoCpus = os.availableParallelism() >= 2; // one CPU: never a second thread
    expect(worthScanningAhead([dense], SELECTED)).to.equal(twoCpus);
    expect(worthScanningAhead([sparse], SELECTED)).to.equal(twoCpus);
    expect(worthScanningAhead([short, short], SELECTED)).to.equal(false); // too short
    expect(worthScanningAhead([denseGz], SELECTED)).to.equal(false); // gzip: gunzip is the work, on replay's thread
    expect(worthScanningAhead([dense, denseGz], SELECTED)).to.equal(false);
    expect(worthScanningAhead([dense, '-'], SELECTED)).to.equal(false); // stdin: unknown
    expect(worthScanningAhead([dense], undefined)).to.equal(false); // every event selected: nothing is skipped or scanned
  });
});
