// `tracee-sig attach` end to end: the real CLI as a child process against our
// Tracee-compatible gRPC server (test/support/tracee-server.ts), in both wire
// eras (Tracee v0.24.x and Tracee main).
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { protoType } from '../../src/wire/proto.js';
import { TraceeSig } from '../support/child.js';
import { runCli } from '../support/cli.js';
import { CURRENT_CONNECT_V4, CURRENT_CONNECT_V6, CURRENT_EXEC, LEGACY_CONNECT_V4, LEGACY_EXEC, session } from '../support/examples.js';
import { TraceeServer, type TraceeEra } from '../support/tracee-server.js';

describe('tracee-sig attach', function () {
  this.timeout(40_000);
  let dir: string;
  let socket: string;
  let children: TraceeSig[];
  let servers: TraceeServer[];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsig-attach-'));
    socket = path.join(dir, 'tracee.sock');
    children = [];
    servers = [];
  });

  afterEach(() => {
    for (const c of children) c.kill();
    for (const s of servers) s.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const attach = (...args: string[]): TraceeSig => {
    // Text logs: these tests read attach's status lines as a person would (test/metrics reads the JSON ones).
    const c = new TraceeSig(['attach', '--log-format', 'text', ...args]);
    children.push(c);
    return c;
  };
  const serve = async (era: TraceeEra, onSubscribe: string[] = [], extra: { policies?: string[]; version?: string } = {}): Promise<TraceeServer> => {
    const s = await TraceeServer.start({ address: `unix:${socket}`, era, onSubscribe, ...extra });
    servers.push(s);
    return s;
  };
  const tracee = () => `unix://${socket}`;
  /** A StreamEventsResponse whose event has no name: attach reports it as unreadable, once. */
  const unreadable = (): Buffer => {
    const t = protoType('tracee.v1beta1.StreamEventsResponse');
    return Buffer.from(t.encode(t.fromObject({ event: { id: 7 } })).finish());
  };

  /**
   * A legacy Context echoed from a legacy recording has fields Tracee's protobuf
   * Event does not carry (so no gRPC client can know them): zero them as the
   * context rebuilt from a streamed event has them.
   */
  const onTheWire = (finding: string): string => finding.replace(/"(processorId|cgroupId|mountNamespace|pidNamespace)":\d+/g, '"$1":0');

  describe("finds what replay finds on the same recording", () => {
    const cases: { era: TraceeEra; shape: 'current' | 'legacy' }[] = [
      { era: 'v0.24', shape: 'legacy' },
      { era: 'main', shape: 'current' },
      { era: 'v0.24', shape: 'current' },
      { era: 'main', shape: 'legacy' },
    ];
    for (const { era, shape } of cases) {
      for (const output of ['json', 'rules']) {
        it(`Tracee ${era} wire, ${shape} recording, --output ${output}`, async () => {
          const { lines, findings } = session(shape);
          const file = path.join(dir, 'recording.json');
          fs.writeFileSync(file, lines.join('\n') + '\n');
          const replayed = await runCli(['replay', '--output', output, file]);
          expect(replayed.status, replayed.stderr).to.equal(0);
          const expected = replayed.stdout.split('\n').filter((l) => l !== '').map(onTheWire);
          expect(expected).to.have.length(findings);

          const server = await serve(era, lines);
          const child = attach('--tracee', tracee(), '--output', output);
          await child.waitForFindings(findings);
          const exit = await child.stop();
          expect(exit.code, child.stderr).to.equal(0);
          expect(child.stdoutLines()).to.deep.equal(expected);
          expect(child.stderr).to.contain(`connected to Tracee ${server.version} at ${tracee()}`);
          expect(child.stderr).to.match(new RegExp(`summary: ${lines.length} stream messages, ${lines.length} events, \\d+ dispatched, \\d+ findings, 0 malformed`));
          expect(child.stderr).to.match(new RegExp(`k8s_api_connection: dispatched \\d+, findings ${findings},`));
        });
      }
    }

    it('over tcp://127.0.0.1:PORT as over a unix socket', async () => {
      const { lines, findings } = session('current');
      const server = await TraceeServer.start({ address: '127.0.0.1:0', era: 'main', onSubscribe: lines });
      servers.push(server);
      const child = attach('--tracee', `tcp://127.0.0.1:${server.boundPort}`, '--output', 'json');
      await child.waitForFindings(findings);
      expect((await child.stop()).code).to.equal(0);
      expect(child.stdoutLines().map((l) => JSON.parse(l).data[0].str)).to.deep.equal(['10.96.0.1', 'fd00:10:96::1']);
    });
  });

  for (const era of ['v0.24', 'main'] as TraceeEra[]) {
    it(`reconnects when Tracee ${era} stops or crashes, and keeps what it learned (${era})`, async () => {
      const [exec, connect] = era === 'v0.24' ? [LEGACY_EXEC, LEGACY_CONNECT_V4] : [CURRENT_EXEC, CURRENT_CONNECT_V4];
      let server = await serve(era, [exec, connect]);
      const child = attach('--tracee', tracee(), '--retry-initial-ms', '20', '--retry-max-ms', '200', '--output', 'json');
      await child.waitForFindings(1);

      // Tracee shuts down (its streams end with status OK) and comes back.
      await server.stop();
      await child.waitForStderr(/ended the event stream.*; retry 1 in \d+ ms/);
      // Only the connect: the address was learned from the exec sent before the restart.
      server = await serve(era, [connect]);
      await child.waitForFindings(2);

      // Tracee crashes (connections dropped) and comes back.
      server.kill();
      await child.waitForStderr(/event stream from .* broke: .*; retry 1 in \d+ ms/);
      server = await serve(era, [connect]);
      await child.waitForFindings(3);

      expect((await child.stop()).code).to.equal(0);
      expect(child.stderr.match(/connected to Tracee/g)).to.have.length(3);
      const findings = child.stdoutLines().map((l) => JSON.parse(l));
      expect(findings.map((f) => f.data[0].str)).to.deep.equal(['10.96.0.1', '10.96.0.1', '10.96.0.1']);
      expect(child.stderr).to.match(/summary: 4 stream messages, 4 events, \d+ dispatched, \d+ findings, 0 malformed, 3 connection\(s\)/);
      expect(child.stderr).to.match(/k8s_api_connection: dispatched 4, findings 3,/);
    });
  }

  it('without Tracee: says so, retries with growing delays, exits 3 when --max-retries is used up', async () => {
    const child = attach('--tracee', tracee(), '--retry-initial-ms', '40', '--retry-max-ms', '300', '--max-retries', '6');
    const exit = await child.exitWithin();
    expect(exit.code, child.stderr).to.equal(3);
    expect(child.stdout).to.equal('');
    const retries = [...child.stderr.matchAll(/cannot reach Tracee at (\S+): no socket at (\S+).*; retry (\d+)\/6 in (\d+) ms/g)];
    expect(retries.map((m) => Number(m[3]))).to.deep.equal([1, 2, 3, 4, 5, 6]);
    for (const m of retries) {
      expect(m[1]).to.equal(tracee());
      expect(m[2]).to.equal(socket);
    }
    // Each wait is drawn between half and all of base = min(300, 40 * 2^(n-1)): while the
    // base doubles, a wait is never shorter than the one before.
    const delays = retries.map((m) => Number(m[4]));
    const bases = delays.map((_, i) => Math.min(300, 40 * 2 ** i));
    delays.forEach((d, i) => {
      expect(d, `retry ${i + 1}`).to.be.within(bases[i] / 2, bases[i]);
      if (i > 0 && bases[i] === 2 * bases[i - 1]) expect(d, `retry ${i + 1}`).to.be.at.least(delays[i - 1]);
    });
    expect(delays[delays.length - 1]).to.be.at.least(150);
    expect(Math.max(...delays)).to.be.at.most(300);
    expect(child.stderr).to.contain("is Tracee running with its gRPC server on? see 'tracee-sig attach --help'");
    expect(child.stderr).to.match(/giving up: .*7 attempt\(s\) in a row failed and --max-retries 6 is used up/);
  });

  it('starts before Tracee and attaches once it is up', async () => {
    const child = attach('--tracee', tracee(), '--retry-initial-ms', '20', '--retry-max-ms', '100', '--output', 'json');
    await child.waitForStderr(/retry 2 in \d+ ms/);
    const { lines, findings } = session('current');
    await serve('main', lines);
    await child.waitForFindings(findings);
    expect((await child.stop()).code).to.equal(0);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as NodeJS.Signals[]) {
    it(`on ${signal}: stops, writes every finding it made, prints the summary, exits 0`, async () => {
      const server = await serve('main', [CURRENT_EXEC]);
      const out = path.join(dir, 'findings.json');
      const child = attach('--tracee', tracee(), '--output-file', out);
      await server.waitForStream();
      const connects = 300;
      server.send(Array(connects).fill(CURRENT_CONNECT_V4));
      // The unreadable message comes after every connect: once attach reports it, all were handled.
      server.sendRaw(unreadable());
      await child.waitForStderr(/skipped an event that could not be read \(Tracee stream message 302: name: missing or empty\)/);
      const exit = await child.stop(signal);
      expect(exit.code, child.stderr).to.equal(0);
      expect(child.stderr).to.contain(`${signal}: stopping`);
      expect(child.stderr).to.match(/summary: 302 stream messages, 301 events, \d+ dispatched, \d+ findings, 1 malformed/);
      expect(child.stderr).to.contain(`k8s_api_connection: dispatched 301, findings ${connects},`);
      expect(child.stderr).to.contain('malformed: Tracee stream message 302: name: missing or empty');
      const written = fs.readFileSync(out, 'utf8').split('\n').filter((l) => l !== '');
      expect(written).to.have.length(connects);
      for (const l of written) expect(JSON.parse(l)).to.include({ name: 'k8s_api_connection' });
    });
  }

  it('asks Tracee for the given policies only, and streams what they matched', async () => {
    const other = CURRENT_CONNECT_V6.replace('"matched":["k8s-watch"]', '"matched":["audit"]');
    const server = await serve('main', [CURRENT_EXEC, other, CURRENT_CONNECT_V4], { policies: ['k8s-watch', 'audit'] });
    const child = attach('--tracee', tracee(), '--policy', 'k8s-watch', '--output', 'json');
    await child.waitForFindings(1);
    expect((await child.stop()).code).to.equal(0);
    expect(server.requests).to.deep.equal([['k8s-watch']]);
    expect(child.stderr).to.contain('summary: 2 stream messages');
    expect(child.stderr).to.contain('(policies: k8s-watch)');
  });

  it('stops with exit status 2 on a policy Tracee does not know, naming it', async () => {
    const server = await serve('v0.24', [LEGACY_EXEC], { policies: ['k8s-watch'] });
    const child = attach('--tracee', tracee(), '--policy', 'k8s-watch', '--policy', 'no-such-policy', '--retry-initial-ms', '20');
    const exit = await child.exitWithin();
    expect(exit.code, child.stderr).to.equal(2);
    expect(server.requests).to.deep.equal([['k8s-watch', 'no-such-policy']]);
    expect(child.stderr).to.contain('Tracee has no policy named "no-such-policy" (it answered: policy [no-such-policy] not found)');
    expect(child.stderr).not.to.match(/retry \d/);
  });

  it('stops with exit status 76, saying so, at a gRPC server that is not Tracee (UNIMPLEMENTED)', async () => {
    const server = new grpc.Server(); // no service at all: every method answers UNIMPLEMENTED
    await new Promise<void>((resolve, reject) => server.bindAsync(`unix:${socket}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
    try {
      const child = attach('--tracee', tracee(), '--retry-initial-ms', '20');
      const exit = await child.exitWithin();
      expect(exit.code, child.stderr).to.equal(76);
      expect(child.stderr).to.match(/stopping: Tracee at unix:\S+ does not serve tracee\.v1beta1\.TraceeService\/StreamEvents/);
      expect(child.stderr).not.to.match(/retry \d/);
    } finally {
      server.forceShutdown();
    }
  });

  it('says once, at run time, when exec events arrive without environment', async () => {
    const noEnv = CURRENT_EXEC.replace(/\{"name":"env","str_array":\{"value":\[[^\]]*\]\}\}/, '{"name":"env","str_array":{}}');
    expect(noEnv).not.to.equal(CURRENT_EXEC);
    const server = await serve('main', Array(5).fill(noEnv));
    const child = attach('--tracee', tracee());
    await child.waitForStderr(/none of the 5 sched_process_exec events carries an environment/);
    server.send(Array(20).fill(noEnv));
    server.sendRaw(unreadable()); // marks the end of the second batch
    await child.waitForStderr(/skipped an event that could not be read/);
    expect((await child.stop()).code).to.equal(0);
    const warnings = child.stderr.split('\n').filter((l) => l.includes('carries an environment'));
    // Once while running, once more in the summary at exit.
    expect(warnings).to.have.length(2);
    expect(warnings[0]).to.contain('--output option:exec-env').and.to.contain('--enrichment environment');
    expect(child.stdout).to.equal('');
  });

  it('warns about a Tracee too old for its event schema (GetVersion v0.19)', async () => {
    await serve('main', [], { version: 'v0.19.0' });
    const child = attach('--tracee', tracee());
    await child.waitForStderr(/connected to Tracee v0\.19\.0/);
    expect((await child.stop()).code).to.equal(0);
    expect(child.stderr).to.contain('warning: Tracee v0.19.0 streams the v0.18-v0.19 event schema');
  });

  it('exits 74, saying why, when findings cannot be written', async function () {
    if (!fs.existsSync('/dev/full')) this.skip(); // Linux's always-full device
    await serve('main', [CURRENT_EXEC, CURRENT_CONNECT_V4]);
    const child = attach('--tracee', tracee(), '--output-file', '/dev/full');
    const exit = await child.exitWithin();
    expect(exit.code, child.stderr).to.equal(74);
    expect(child.stderr).to.contain('cannot write findings to /dev/full: no space left on the device; stopping (later findings would be lost); fix the destination and attach again');
    expect(child.stderr).to.contain('1 findings');
  });

  describe('options', () => {
    const bad: [string[], RegExp][] = [
      [['--tracee', 'http://localhost:4466'], /--tracee "http:\/\/localhost:4466": expected unix:\/\/\/PATH or tcp:\/\/HOST:PORT/],
      [['--tracee', 'tcp://127.0.0.1:70000'], /port 70000 is not between 1 and 65535/],
      [['--tracee', 'unix://relative.sock'], /unix:\/\/ needs an absolute path/],
      [['--retry-initial-ms', '500', '--retry-max-ms', '100'], /--retry-max-ms \(100\) must not be less than --retry-initial-ms \(500\)/],
      [['--retry-initial-ms', '1'], /--retry-initial-ms must be at least 10/],
      [['--max-retries', 'many'], /--max-retries must be a whole number/],
      [['--output', 'xml'], /--output must be one of auto, json, legacy, rules/],
      [['--policy', ''], /--policy needs a policy name/],
      [['recording.json'], /unexpected argument "recording.json"/],
    ];
    for (const [args, message] of bad) {
      it(`rejects ${args.join(' ')} with exit status 2`, async () => {
        const r = await runCli(['attach', ...args]);
        expect(r.status).to.equal(2);
        expect(r.stderr).to.match(message);
        expect(r.stdout).to.equal('');
      });
    }

    it('--help gives the Tracee command lines of each era, the same as README', async () => {
      const r = await runCli(['attach', '--help']);
      expect(r.status).to.equal(0);
      const readme = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'README.md'), 'utf8');
      const commands = r.stdout.match(/tracee --events .*\\\n.*/g) ?? [];
      expect(commands).to.have.length(3);
      for (const c of commands) {
        const flat = c.replace(/\\\n\s*/, '');
        expect(flat).to.contain('--events sched_process_exec,security_socket_connect,container_remove');
        expect(readme.replace(/\\\n\s*/g, '')).to.contain(flat);
      }
      expect(r.stdout).to.contain('--server grpc-address=unix:/var/run/tracee.sock');
      expect(r.stdout).to.contain('--grpc-listen-addr unix:/var/run/tracee.sock');
      expect(r.stdout).to.contain('--enrichment environment');
      expect(r.stdout).to.contain('--output option:exec-env');
    });
  });
});
