// Every error a user can hit with `tracee-sig replay`: one line on stderr
// saying what, where and what to do, and a distinct documented exit code.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { once } from 'node:events';
import * as zlib from 'node:zlib';
import { EXIT } from '../../src/commands/usage.js';
import { BIN, REFERENCE_EXAMPLES, ROOT, runCli, tempDir } from '../support/cli.js';

const [curExec, curConnect] = REFERENCE_EXAMPLES;
const RECORDING = [curExec, curConnect].join('\n') + '\n';

/** stderr is exactly one line, starting with the command's name. */
function oneLine(stderr: string): string {
  const lines = stderr.split('\n');
  expect(lines, stderr).to.have.length(2);
  expect(lines[1]).to.equal('');
  expect(lines[0]).to.match(/^tracee-sig replay: /);
  return lines[0];
}

describe('tracee-sig replay: every error path', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.remove());

  it('the exit codes are distinct', async () => {
    const codes = [EXIT.OK, EXIT.USAGE, EXIT.NO_INPUT, EXIT.CANT_CREATE, EXIT.IO_ERROR, EXIT.INTERNAL];
    expect(new Set(codes).size).to.equal(codes.length);
  });

  describe(`bad usage: exit ${EXIT.USAGE}, nothing read`, () => {
    const cases: [string, string[], RegExp][] = [
      ['an unknown option', ['replay', '--frobnicate', 'x'], /Unknown option '--frobnicate'; see 'tracee-sig replay --help'$/],
      ['a bad option value', ['replay', '--output', 'xml', 'x'], /--output must be one of auto, json, legacy, rules; got "xml"; see/],
      ['a bad number', ['replay', '--max-line-bytes', '16M', 'x'], /--max-line-bytes must be a positive whole number; got "16M"; see/],
      ['zero', ['replay', '--max-line-bytes', '0', 'x'], /--max-line-bytes must be a positive whole number; got "0"/],
      ['an option without its value', ['replay', 'x', '--output'], /Option '-o, --output <value>' argument missing; see/],
      ['an option swallowing the next one', ['replay', '-o', '-q', 'x'], /Option '-o' argument is ambiguous\. .*; see/],
      ['no recording', ['replay'], /no recording given \(use - for stdin\); see/],
    ];
    for (const [what, args, expected] of cases) {
      it(what, async () => {
        const r = await runCli(args);
        expect(r.status).to.equal(EXIT.USAGE);
        expect(r.stdout).to.equal('');
        expect(oneLine(r.stderr)).to.match(expected);
      });
    }
  });

  describe(`an input that cannot be opened: exit ${EXIT.NO_INPUT}, before any output`, () => {
    it('a missing file', async () => {
      const r = await runCli(['replay', `${tmp.dir}/nope.json`]);
      expect(r.status).to.equal(EXIT.NO_INPUT);
      expect(r.stdout).to.equal('');
      expect(oneLine(r.stderr)).to.equal(`tracee-sig replay: ${tmp.dir}/nope.json: cannot read: no such file or directory; check the path`);
    });

    it('a directory', async () => {
      const r = await runCli(['replay', tmp.dir]);
      expect(r.status).to.equal(EXIT.NO_INPUT);
      expect(oneLine(r.stderr)).to.equal(`tracee-sig replay: ${tmp.dir}: is a directory, expected a recording file; give the files in it (e.g. ${tmp.dir}/*.json)`);
    });

    it('a file the user may not read (checked before any output, even after good inputs)', async function () {
      if (process.getuid?.() === 0) {
        // eslint-disable-next-line no-console
        console.log('      skipped: running as root, which can read any file; run the tests as another user to cover permission denied');
        this.skip();
      }
      const good = tmp.file('good.json', RECORDING);
      const secret = tmp.file('secret.json', RECORDING);
      fs.chmodSync(secret, 0o000);
      const r = await runCli(['replay', good, secret]);
      expect(r.status).to.equal(EXIT.NO_INPUT);
      expect(r.stdout).to.equal('');
      expect(oneLine(r.stderr)).to.equal(`tracee-sig replay: ${secret}: cannot read: permission denied; run as a user who may read it, or change its permissions`);
    });
  });

  describe(`an output file that cannot be created: exit ${EXIT.CANT_CREATE}, nothing read`, () => {
    it('in a missing directory', async () => {
      const input = tmp.file('rec.json', RECORDING);
      const r = await runCli(['replay', '--output-file', `${tmp.dir}/no/such/dir/out.json`, input]);
      expect(r.status).to.equal(EXIT.CANT_CREATE);
      expect(oneLine(r.stderr)).to.equal(`tracee-sig replay: cannot write --output-file ${tmp.dir}/no/such/dir/out.json: no such file or directory; choose a path in a writable directory`);
    });

    it('a directory', async () => {
      const input = tmp.file('rec.json', RECORDING);
      const r = await runCli(['replay', '--output-file', tmp.dir, input]);
      expect(r.status).to.equal(EXIT.CANT_CREATE);
      expect(oneLine(r.stderr)).to.match(/cannot write --output-file .*: is a directory; choose a path in a writable directory$/);
    });
  });

  describe(`reading or writing failing part way: exit ${EXIT.IO_ERROR}, what was read before is replayed`, () => {
    const many = RECORDING.repeat(400); // enough that the damage lands after some findings

    it('a gzip file corrupt in the middle', async () => {
      const gz = zlib.gzipSync(many);
      for (let i = gz.length >> 1; i < (gz.length >> 1) + 16; i++) gz[i] ^= 0xff;
      const file = tmp.file('corrupt.json.gz', gz);
      const r = await runCli(['replay', '-q', file]);
      expect(r.status).to.equal(EXIT.IO_ERROR);
      expect(oneLine(r.stderr)).to.match(
        new RegExp(`^tracee-sig replay: read error: ${file}: read failed after line \\d+: the gzip data (is corrupt \\(.+\\)|ends early: the file is truncated or corrupt); the lines before it were replayed, the rest of this input was not$`),
      );
      expect(r.stdout.split('\n').length).to.be.greaterThan(1); // findings before the damage were written
    });

    it('a truncated gzip file, with the summary when not quiet', async () => {
      const gz = zlib.gzipSync(many);
      const file = tmp.file('cut.json.gz', gz.subarray(0, gz.length >> 1));
      const r = await runCli(['replay', file]);
      expect(r.status).to.equal(EXIT.IO_ERROR);
      expect(r.stderr).to.match(/summary: 1 input\(s\), \d+ lines/);
      expect(r.stderr).to.match(new RegExp(`read error: ${file}: read failed after line \\d+: the gzip data ends early: the file is truncated or corrupt; the lines before it were replayed`));
    });

    it('the output file filling the disk (/dev/full)', async function () {
      if (!fs.existsSync('/dev/full')) this.skip();
      const input = tmp.file('rec.json', many);
      const r = await runCli(['replay', '-q', '--output-file', '/dev/full', input]);
      expect(r.status).to.equal(EXIT.IO_ERROR);
      expect(oneLine(r.stderr)).to.equal(
        'tracee-sig replay: cannot write findings to /dev/full: no space left on the device; the replay stopped and later findings were not written; free space or choose another --output-file, then run again',
      );
    });

    it('stdout closed by its reader', async () => {
      const input = tmp.file('rec.json', many);
      const child = spawn(process.execPath, [BIN, 'replay', '-q', input], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // the reader goes away before the first finding
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const [status] = await once(child, 'close');
      expect(status).to.equal(EXIT.IO_ERROR);
      expect(oneLine(stderr)).to.equal(
        'tracee-sig replay: cannot write findings to stdout: the reader closed the pipe; the replay stopped and later findings were not written; keep the reading end open until the replay ends, then run again',
      );
    });
  });
});

describe('a reader that stops early, for the commands that print a report', () => {
  for (const args of [['list'], ['config', 'schema'], ['--help']]) {
    it(`tracee-sig ${args.join(' ')}: ends as usual (exit 0, nothing on stderr), no crash on the closed pipe`, async () => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // the reader goes away, as `| head -0` would
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const [status] = await once(child, 'close');
      expect(stderr).to.equal('');
      expect(status).to.equal(EXIT.OK);
    });
  }
});
