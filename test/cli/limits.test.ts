// Oversized and hostile input through `tracee-sig replay`, as a user runs it:
// a 1 GiB line is skipped and reported without being held in memory (the
// child's peak RSS is measured, a resource bound, not a timing), huge env
// arrays and absurdly long addresses neither throw nor match.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { BIN, REFERENCE_EXAMPLES, ROOT, runCli, tempDir } from '../support/cli.js';

const [curExec, curConnect, , , , legExec, legConnect] = REFERENCE_EXAMPLES;
const RUSAGE = path.join(ROOT, 'dist', 'bench', 'rusage.js');
const GiB = 1024 * 1024 * 1024;
const RSS_BOUND_KIB = 200 * 1024;
const lines = (s: string) => s.split('\n').filter((l) => l !== '');

/** `size` bytes of one line's text with no newline, made chunk by chunk from one reused buffer. */
async function* hugeLine(size: number): AsyncGenerator<Buffer> {
  const chunk = Buffer.alloc(1 << 20, 'x');
  chunk.write('{"timestamp":"2026-03-02T10:15:30Z","id":1,"name":"security_socket_connect","data":"');
  for (let sent = 0; sent < size; sent += chunk.length) yield sent + chunk.length <= size ? chunk : chunk.subarray(0, size - sent);
}

async function* recording(size: number): AsyncGenerator<Buffer> {
  yield Buffer.from(curExec + '\n');
  yield* hugeLine(size);
  yield Buffer.from('\n' + curConnect + '\n');
}

interface Measured {
  status: number | null;
  stdout: string;
  stderr: string;
  maxRssKiB: number;
}

describe('tracee-sig replay: limits', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof tempDir>;
  let child: ChildProcess | undefined;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
    tmp.remove();
  });

  /** Runs replay with `args`, feeding stdin from `input` with backpressure; reports the child's peak RSS. */
  async function measured(args: string[], input?: AsyncIterable<Buffer>): Promise<Measured> {
    const rusageFile = path.join(tmp.dir, 'rusage.json');
    child = spawn(process.execPath, ['--require', RUSAGE, BIN, 'replay', ...args], {
      cwd: ROOT,
      env: { ...process.env, RUSAGE_FILE: rusageFile },
      stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = once(child, 'close');
    if (input) await pipeline(Readable.from(input), child.stdin!);
    const [status] = (await exited) as [number | null];
    return { status, stdout, stderr, maxRssKiB: JSON.parse(fs.readFileSync(rusageFile, 'utf8')).maxRssKiB };
  }

  function expectSkippedAndGoneOn(r: Measured, where: string, size: number): void {
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.contain(`malformed: ${where}: line of ${size} bytes exceeds the maximum of 16777216 bytes; skipped`);
    expect(r.stderr).to.match(/summary: 1 input\(s\), 3 lines, 2 events, \d+ dispatched, \d+ findings, 1 malformed/);
    expect(r.stderr).to.match(/k8s_api_connection: dispatched 2, findings 1,/);
    expect(lines(r.stdout)).to.have.length(1); // the connect after the huge line still found
    expect(JSON.parse(lines(r.stdout)[0]).name).to.equal('k8s_api_connection');
    expect(r.maxRssKiB, `peak RSS ${Math.round(r.maxRssKiB / 1024)} MiB`).to.be.below(RSS_BOUND_KIB);
    console.log(`      (peak RSS of the replay: ${Math.round(r.maxRssKiB / 1024)} MiB)`); // eslint-disable-line no-console
  }

  it('a 1 GiB line with no newline on stdin is skipped, reported, and memory stays bounded', async () => {
    const size = GiB;
    const r = await measured(['-'], recording(size));
    expectSkippedAndGoneOn(r, '<stdin>:2', size + 0);
  });

  it('a 1 GiB line inside a gzip file (a few MiB compressed) is skipped the same way', async () => {
    const file = path.join(tmp.dir, 'bomb.json.gz');
    await pipeline(Readable.from(recording(GiB)), zlib.createGzip({ level: 1 }), fs.createWriteStream(file));
    expect(fs.statSync(file).size).to.be.below(16 << 20);
    const r = await measured([file]);
    expectSkippedAndGoneOn(r, `${file}:2`, GiB);
  });

  it('a last line over the maximum with no newline before the end of input is reported too', async () => {
    async function* input(): AsyncGenerator<Buffer> {
      yield Buffer.from(curExec + '\n' + curConnect + '\n');
      yield* hugeLine(64 << 20);
    }
    const r = await measured(['-'], input());
    expect(r.status).to.equal(0);
    expect(r.stderr).to.contain(`malformed: <stdin>:3: line of ${64 << 20} bytes exceeds the maximum of 16777216 bytes; skipped`);
    expect(lines(r.stdout)).to.have.length(1);
    expect(r.maxRssKiB).to.be.below(RSS_BOUND_KIB);
  });

  describe('huge environments and addresses', () => {
    const withEnv = (line: string, env: string[]): string => {
      const o = JSON.parse(line);
      if (o.data) o.data.find((d: { name: string }) => d.name === 'env').str_array.value = env;
      else o.args.find((a: { name: string }) => a.name === 'env').value = env;
      return JSON.stringify(o);
    };
    const withAddress = (line: string, ip: string): string => {
      const o = JSON.parse(line);
      if (o.data) o.data.find((d: { name: string }) => d.name === 'remote_addr').sockaddr.sin_addr = ip;
      else o.args.find((a: { name: string }) => a.name === 'remote_addr').value.sin_addr = ip;
      return JSON.stringify(o);
    };
    const manyVars = Array.from({ length: 100_000 }, (_, i) => `VAR_${i}=value-${i}`);

    for (const [shape, exec, connect] of [['current', curExec, curConnect], ['legacy', legExec, legConnect]] as const) {
      it(`${shape}: an exec with 100,000 env entries is read whole (the address at the end is learned)`, async () => {
        const env = [...manyVars, 'KUBERNETES_SERVICE_HOST=10.96.0.1'];
        const file = tmp.file('rec.json', [withEnv(exec, env), connect].join('\n'));
        const r = await runCli(['replay', file]);
        expect(r.status, r.stderr).to.equal(0);
        expect(lines(r.stdout)).to.have.length(1);
        expect(r.stderr).to.match(/2 events, \d+ dispatched, \d+ findings, 0 malformed/);
        expect(r.stderr).to.match(/k8s_api_connection: dispatched 2, findings 1,/);
        expect(r.stderr).to.match(/addressesLearned 1/);
      });

      it(`${shape}: 10,000-character addresses in env and in remote_addr: no throw, no match, counted`, async () => {
        const long = '1'.repeat(10_000);
        const longV6 = `${'1:'.repeat(5_000)}1`;
        const recording = [
          withEnv(exec, [...manyVars.slice(0, 10), `KUBERNETES_SERVICE_HOST=${long}`, `KUBERNETES_SERVICE_HOST=${longV6}`]),
          withAddress(connect, long),
          withAddress(connect, longV6),
          withAddress(connect, `10.96.0.1${' '.repeat(10_000)}`),
        ];
        const file = tmp.file('rec.json', recording.join('\n'));
        const r = await runCli(['replay', file]);
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stdout).to.equal('');
        expect(r.stderr).to.match(/4 events, \d+ dispatched, \d+ findings, 0 malformed/);
        expect(r.stderr).to.match(/k8s_api_connection: dispatched 4, findings 0,/);
        expect(r.stderr).to.match(/nonAddressValues 2,/);
        expect(r.stderr).to.match(/addressesLearned 0,/);
      });
    }
  });
});
