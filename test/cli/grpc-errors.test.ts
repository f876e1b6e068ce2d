// Every error a user can hit with serve, send, attach and config: one line on
// stderr saying what, where and what to do, and the documented exit code.
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { EXIT } from '../../src/commands/usage.js';
import { CURRENT } from '../server/examples.js';
import { pairIn } from '../server/fault-support.js';
import { serve, type Served } from '../server/helpers.js';
import { BIN, NO_OTHER_USER_AS_ROOT, OTHER_USER, ROOT, runCli, tempDir } from '../support/cli.js';


interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Commands with logs write the human text lines these tests read (JSON is the default off a terminal). */
const TEXT_LOGS = new Set(['serve', 'attach', 'replay']);

/** In-process, or as a child process run as another user (`as`) for the permission checks. */
async function run(args: string[], as?: { uid: number; gid: number }): Promise<Run> {
  const withText = TEXT_LOGS.has(args[0]) && !args.includes('--frobnicate') ? [...args, '--log-format', 'text'] : args;
  if (!as) return runCli(withText);
  const r = spawnSync(process.execPath, [BIN, ...withText], { encoding: 'utf8', cwd: ROOT, timeout: 20000, ...as });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The run exited with `code` and said exactly one line on stderr, matching `line`. */
function expectOneLine(r: Run, code: number, command: string, line: RegExp | string): void {
  const lines = r.stderr.split('\n');
  expect(lines, r.stderr).to.have.length(2);
  expect(lines[1]).to.equal('');
  if (typeof line === 'string') expect(lines[0]).to.equal(`tracee-sig ${command}: ${line}`);
  else {
    expect(lines[0]).to.match(new RegExp(`^tracee-sig ${command}: `));
    expect(lines[0]).to.match(line);
  }
  expect(r.status, r.stderr).to.equal(code);
}

describe('serve, send, attach, config: every error path', function () {
  this.timeout(30000);
  let tmp: ReturnType<typeof tempDir>;
  const children: ChildProcess[] = [];
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    tmp.remove();
  });

  it('the exit codes are distinct', async () => {
    const codes = [EXIT.OK, EXIT.FAILED, EXIT.USAGE, EXIT.UNAVAILABLE, EXIT.NO_INPUT, EXIT.INTERNAL, EXIT.CANT_CREATE, EXIT.IO_ERROR];
    expect(new Set(codes).size).to.equal(codes.length);
  });

  describe('serve', () => {
    const sock = () => `unix://${path.join(tmp.dir, 's.sock')}`;

    it(`bad options: exit ${EXIT.USAGE}`, async () => {
      expectOneLine(await run(['serve', '--frobnicate']), EXIT.USAGE, 'serve', "Unknown option '--frobnicate'; see 'tracee-sig serve --help'");
      expectOneLine(await run(['serve', '--max-streams', '0']), EXIT.USAGE, 'serve', `--max-streams must be a positive whole number; got "0"; see 'tracee-sig serve --help'`);
      expectOneLine(await run(['serve', '--listen', 'tcp://localhost:99999']), EXIT.USAGE, 'serve', /--listen: address "tcp:\/\/localhost:99999": port "99999" is not a number from 0 to 65535/);
      expectOneLine(await run(['serve', '--tls-cert', 'c.pem']), EXIT.USAGE, 'serve', /TLS needs both --tls-cert and --tls-key/);
    });

    it(`a --config that cannot be read: exit ${EXIT.NO_INPUT}; one that is wrong: exit ${EXIT.USAGE}`, async () => {
      const missing = path.join(tmp.dir, 'nope.yaml');
      expectOneLine(await run(['serve', '--listen', sock(), '--config', missing]), EXIT.NO_INPUT, 'serve', `${missing}: cannot read: no such file; check the path`);
      const bad = tmp.file('bad.yaml', 'dedup:\n  windowSeconds: -1\n');
      expectOneLine(await run(['serve', '--listen', sock(), '--config', bad]), EXIT.USAGE, 'serve', `${bad}: dedup.windowSeconds: -1: expected a number from 0 to 604800`);
    });

    it(`a TLS file that cannot be read: exit ${EXIT.NO_INPUT}; one that is not PEM: exit ${EXIT.USAGE}`, async () => {
      const missing = path.join(tmp.dir, 'cert.pem');
      const junk = tmp.file('junk.pem', 'not a certificate\n');
      expectOneLine(await run(['serve', '--listen', sock(), '--tls-cert', missing, '--tls-key', junk]), EXIT.NO_INPUT, 'serve', `cannot read --tls-cert ${missing}: no such file or directory; check the path and that this user may read it`);
      expectOneLine(await run(['serve', '--listen', sock(), '--tls-cert', junk, '--tls-key', junk]), EXIT.USAGE, 'serve', /^tracee-sig serve: TLS files unusable \(--tls-cert .*junk\.pem, --tls-key .*junk\.pem\): .*; give a PEM certificate, its PEM private key$/);
    });

    it(`a socket path that cannot be created: exit ${EXIT.CANT_CREATE}`, async function () {
      const noDir = path.join(tmp.dir, 'no', 's.sock');
      expectOneLine(await run(['serve', '--listen', `unix://${noDir}`]), EXIT.CANT_CREATE, 'serve', `cannot create the socket ${noDir}: directory ${path.dirname(noDir)} does not exist; create it or choose another --listen path`);
      // Permission denied: a directory the service's user may not write to.
      if (NO_OTHER_USER_AS_ROOT) return this.skip(); // root writes anywhere, and no other user can run this checkout
      const locked = path.join(tmp.dir, 'locked');
      fs.mkdirSync(locked, { mode: 0o555 });
      fs.chmodSync(tmp.dir, 0o755);
      const r = await run(['serve', '--listen', `unix://${locked}/s.sock`], OTHER_USER);
      expectOneLine(r, EXIT.CANT_CREATE, 'serve', `cannot create the socket ${locked}/s.sock: permission denied on ${locked}; run as a user who may write to it, or choose another --listen path`);
    });

    it(`--findings-log that cannot be created: exit ${EXIT.CANT_CREATE}`, async () => {
      const log = path.join(tmp.dir, 'no', 'findings.log');
      expectOneLine(await run(['serve', '--listen', sock(), '--findings-log', log]), EXIT.CANT_CREATE, 'serve', `cannot open --findings-log ${log}: no such file or directory; choose a path in a writable directory`);
    });

    it(`an address in use (live unix socket, TCP port): exit ${EXIT.UNAVAILABLE}`, async () => {
      const served = await serve(tmp.dir);
      children.push(served.proc);
      expectOneLine(
        await run(['serve', '--listen', served.address]),
        EXIT.UNAVAILABLE,
        'serve',
        `cannot listen on ${served.socket}: another server is listening on this socket; refusing to replace it (stop it, or choose another --listen path)`,
      );
      const holder = net.createServer().listen(0, '127.0.0.1');
      await new Promise((resolve) => holder.once('listening', resolve));
      const port = (holder.address() as net.AddressInfo).port;
      try {
        expectOneLine(await run(['serve', '--listen', `tcp://127.0.0.1:${port}`]), EXIT.UNAVAILABLE, 'serve', `cannot listen on tcp://127.0.0.1:${port}: another process already listens there; stop it or choose another --listen address`);
      } finally {
        holder.close();
      }
    });
  });

  describe('send', () => {
    let served: Served;
    let recording: string;
    beforeEach(async () => {
      served = await serve(tmp.dir, ['--max-message-bytes', '4096']);
      children.push(served.proc);
      recording = tmp.file('pair.json', pairIn(1).lines.join('\n') + '\n');
    });

    it(`bad options: exit ${EXIT.USAGE}`, async () => {
      expectOneLine(await run(['send', '--to', served.address]), EXIT.USAGE, 'send', "no recording given (use - for stdin); see 'tracee-sig send --help'");
      expectOneLine(await run(['send', '--to', served.address, '--batch', 'ten', recording]), EXIT.USAGE, 'send', `--batch must be a positive whole number; got "ten"; see 'tracee-sig send --help'`);
      expectOneLine(await run(['send', '--to', 'unix://relative.sock', recording]), EXIT.USAGE, 'send', /--to: address "unix:\/\/relative.sock": unix:\/\/ must be followed by an absolute path/);
      expectOneLine(await run(['send', '--tls-cert', recording, recording]), EXIT.USAGE, 'send', /a client certificate needs both --tls-cert and --tls-key/);
    });

    it(`a recording or TLS file that cannot be read: exit ${EXIT.NO_INPUT}; TLS files that are not PEM: exit ${EXIT.USAGE}`, async () => {
      const missing = path.join(tmp.dir, 'nope.json');
      expectOneLine(await run(['send', '--to', served.address, recording, missing]), EXIT.NO_INPUT, 'send', `${missing}: cannot read: no such file or directory; check the path`);
      expectOneLine(await run(['send', '--to', served.address, '--tls-ca', missing, recording]), EXIT.NO_INPUT, 'send', `--tls-ca ${missing}: cannot read: no such file or directory; check the path`);
      expectOneLine(await run(['send', '--to', served.address, '--tls-ca', recording, '--tls-cert', recording, '--tls-key', recording, recording]), EXIT.USAGE, 'send', /^tracee-sig send: TLS files unusable \(--tls-ca .*, --tls-cert .*, --tls-key .*\): .*; give PEM files/);
    });

    it(`a service that cannot be reached (no socket, stale socket, permission denied): exit ${EXIT.UNAVAILABLE}`, async function () {
      const none = path.join(tmp.dir, 'none.sock');
      expectOneLine(await run(['send', '--to', `unix://${none}`, recording]), EXIT.UNAVAILABLE, 'send', `cannot reach the signature service at unix://${none}: no socket at ${none}; is \`tracee-sig serve\` running with --listen unix://${none}?`);
      const stale = path.join(tmp.dir, 'stale.sock');
      const binder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`]);
      await new Promise((resolve) => binder.stdout.once('data', resolve));
      binder.kill('SIGKILL');
      await new Promise((resolve) => binder.once('exit', resolve));
      expectOneLine(await run(['send', '--to', `unix://${stale}`, recording]), EXIT.UNAVAILABLE, 'send', `cannot reach the signature service at unix://${stale}: nothing listens on ${stale} (a socket left by a server that stopped); start \`tracee-sig serve\``);
      // The served socket is 0600: another user may not connect (root may, so the socket is closed to all when not root).
      if (NO_OTHER_USER_AS_ROOT) return this.skip(); // root connects anywhere, and no other user can run this checkout
      if (!OTHER_USER) fs.chmodSync(served.socket, 0o000);
      fs.chmodSync(tmp.dir, 0o755);
      fs.chmodSync(recording, 0o644);
      expectOneLine(
        await run(['send', '--to', served.address, recording], OTHER_USER),
        EXIT.UNAVAILABLE,
        'send',
        `cannot reach the signature service at ${served.address}: permission denied on ${served.socket}; the socket is private (mode 0600) to the user serve runs as: run send as that user`,
      );
    });

    it(`the service failing the stream: exit ${EXIT.FAILED}, naming the batch and why`, async () => {
      const big = tmp.file('big.json', new Array(40).fill(CURRENT.connect).join('\n') + '\n');
      const r = await run(['send', '-q', '--to', served.address, '--max-message-bytes', String(1 << 20), big]);
      expectOneLine(r, EXIT.FAILED, 'send', /^tracee-sig send: the service ended the stream: RESOURCE_EXHAUSTED \(8\): .*larger than max.*; 1 batch\(es\) sent were not answered, so findings for them may be missing: send the recordings again$/);
    });

    it(`--output-file that cannot be created: exit ${EXIT.CANT_CREATE}`, async () => {
      const out = path.join(tmp.dir, 'no', 'out.json');
      expectOneLine(await run(['send', '--to', served.address, '--output-file', out, recording]), EXIT.CANT_CREATE, 'send', `cannot write --output-file ${out}: no such file or directory; choose a path in a writable directory`);
    });

    it(`reading a recording or writing findings failing part way: exit ${EXIT.IO_ERROR}`, async function () {
      const gz = zlib.gzipSync(Buffer.from(pairIn(2).lines.join('\n') + '\n'));
      const truncated = tmp.file('cut.json.gz', gz.subarray(0, gz.length - 12));
      const r = await run(['send', '-q', '--to', served.address, truncated]);
      expectOneLine(r, EXIT.IO_ERROR, 'send', /^tracee-sig send: read error: .*cut\.json\.gz: read failed after line \d+: the gzip data ends early: the file is truncated or corrupt; the lines before it were replayed, the rest of this input was not$/);
      if (!fs.existsSync('/dev/full')) return;
      expectOneLine(
        await run(['send', '-q', '--to', served.address, '--output-file', '/dev/full', recording]),
        EXIT.IO_ERROR,
        'send',
        'cannot write findings to /dev/full: no space left on the device; sending stopped and later findings were not written; check /dev/full, then run again',
      );
    });
  });

  describe('attach', () => {
    it(`--output-file that cannot be created: exit ${EXIT.CANT_CREATE}`, async () => {
      const out = path.join(tmp.dir, 'no', 'out.json');
      expectOneLine(await run(['attach', '--tracee', `unix://${tmp.dir}/t.sock`, '--output-file', out]), EXIT.CANT_CREATE, 'attach', `cannot write --output-file ${out}: no such file or directory; choose a path in a writable directory`);
    });

    it(`a --config that cannot be read: exit ${EXIT.NO_INPUT}`, async () => {
      const missing = path.join(tmp.dir, 'nope.yaml');
      expectOneLine(await run(['attach', '--config', missing]), EXIT.NO_INPUT, 'attach', `${missing}: cannot read: no such file; check the path`);
    });

    it(`Tracee unreachable after --max-retries: exit ${EXIT.UNAVAILABLE}, saying where and what to do`, async () => {
      const r = await run(['attach', '--tracee', `unix://${tmp.dir}/t.sock`, '--max-retries', '0']);
      expect(r.status).to.equal(EXIT.UNAVAILABLE);
      expect(r.stderr).to.contain(`tracee-sig attach: giving up: cannot reach Tracee at unix://${tmp.dir}/t.sock: no socket at ${tmp.dir}/t.sock (is Tracee running with its gRPC server on? see 'tracee-sig attach --help')`);
    });

    it(`bad options: exit ${EXIT.USAGE}`, async () => {
      expectOneLine(await run(['attach', '--retry-initial-ms', '5']), EXIT.USAGE, 'attach', "--retry-initial-ms must be at least 10; got 5; see 'tracee-sig attach --help'");
    });
  });

  describe('config', () => {
    it(`validate: a file that cannot be read: exit ${EXIT.NO_INPUT}; a wrong one: exit ${EXIT.USAGE}; no action: exit ${EXIT.USAGE}`, async () => {
      const missing = path.join(tmp.dir, 'nope.yaml');
      const r = await run(['config', 'validate', missing]);
      expect(r.status).to.equal(EXIT.NO_INPUT);
      expect(r.stderr).to.equal(`${missing}: cannot read: no such file; check the path\n`);
      const bad = tmp.file('bad.yaml', 'dedup: [\n');
      const b = await run(['config', 'validate', bad]);
      expect(b.status).to.equal(EXIT.USAGE);
      expect(b.stderr).to.match(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line \\d+, column \\d+: cannot parse: `));
      expectOneLine(await run(['config']), EXIT.USAGE, 'config', `expected "validate FILE" or "schema"; see 'tracee-sig config --help'`);
    });
  });
});
