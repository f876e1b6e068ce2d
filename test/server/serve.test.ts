// `tracee-sig serve` driven from this process (a separate process from the
// server) with a grpc-js client.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { SignatureClient } from '../../src/server/client.js';
import { parseAddress } from '../../src/server/listen-address.js';
import { decodeFindingBatch, encodeEventBatch, healthServiceDefinition, type FindingBatch } from '../../src/wire/services.js';
import { currentJson } from '../../src/encode/current-json.js';
import { encodeProtoEvent } from '../../src/wire/event-encoder.js';
import { batchOf, BIN, event, run, runToEnd, serve, tempDir, type Served } from './helpers.js';
import { CURRENT, LEGACY } from './examples.js';

interface StreamResult {
  answers: FindingBatch[];
  status: grpc.StatusObject;
}

/** Writes the batches on one OnEvents stream, half-closes, collects every answer and the status. */
function exchange(client: SignatureClient, batches: Buffer[], end = true): Promise<StreamResult> {
  const call = client.onEvents();
  const answers: FindingBatch[] = [];
  call.on('data', (b: Buffer) => answers.push(decodeFindingBatch(b)));
  call.on('error', () => undefined);
  const done = new Promise<StreamResult>((resolve) => call.on('status', (status: grpc.StatusObject) => resolve({ answers, status })));
  for (const b of batches) call.write(b);
  if (end) call.end();
  return done;
}

for (const grpcThread of ['on', 'off'] as const) {
  describe(`tracee-sig serve (gRPC SignatureService) (--grpc-thread ${grpcThread})`, function () {
    this.timeout(30000);
    let dir: string;
    let served: Served;
    let client: SignatureClient;

    before(async () => {
      dir = tempDir();
      served = await serve(dir, ['--grpc-thread', grpcThread]);
      client = new SignatureClient(parseAddress(served.address));
      await client.ready(10000);
    });

    after(async () => {
      client?.close();
      await served?.stop('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('creates its unix socket with mode 0600', () => {
      const st = fs.statSync(served.socket);
      expect(st.isSocket()).to.equal(true);
      expect(st.mode & 0o777).to.equal(0o600);
    });

    it('answers SERVING on grpc.health.v1.Health, NOT_FOUND for an unknown service', async () => {
      expect((await client.healthCheck('')).status).to.equal('SERVING');
      expect((await client.healthCheck('tracee.sig.v1.SignatureService')).status).to.equal('SERVING');
      const err = await client.healthCheck('nope').then(() => undefined, (e: grpc.ServiceError) => e);
      expect(err?.code).to.equal(grpc.status.NOT_FOUND);
    });

    it('lists TRC-1013 metadata and its selected events', async () => {
      const m = await client.getMetadata();
      const s = m.signatures.find((x: { id: string }) => x.id === 'TRC-1013');
      expect(s).to.include({ id: 'TRC-1013', version: '0.1.0', event_name: 'k8s_api_connection', name: 'Kubernetes API server connection detected', severity: 'LOW', category: 'discovery' });
      expect(s.tags).to.deep.equal(['container']);
      expect(s.mitre).to.deep.equal({ tactic: { name: 'Discovery' }, technique: { id: 'T1526', name: 'Cloud Service Discovery' } });
      expect(s.properties).to.include({ Severity: '1', Category: 'discovery', external_id: 'T1526', 'MITRE ATT&CK': 'Discovery: Cloud Service Discovery' });
      const sel = await client.getSelectedEvents();
      expect(sel.selectors).to.deep.include({ source: 'tracee', name: 'sched_process_exec', origin: 'container', signature_id: 'TRC-1013' });
      expect(sel.selectors).to.deep.include({ source: 'tracee', name: 'security_socket_connect', origin: 'container', signature_id: 'TRC-1013' });
    });

    it('answers each batch with one FindingBatch, in order, with the finding replay gives', async () => {
      const { answers, status } = await exchange(client, [batchOf([CURRENT.exec, CURRENT.connect6]), batchOf([CURRENT.connect]), batchOf([])]);
      expect(status.code).to.equal(grpc.status.OK);
      expect(answers.map((a) => a.events_processed)).to.deep.equal([2, 1, 0]);
      expect(answers.map((a) => a.findings.length)).to.deep.equal([0, 1, 0]);
      expect(answers[1].trigger_indexes).to.deep.equal([0]);
      const finding = answers[1].findings[0];
      expect(finding.name).to.equal('k8s_api_connection');
      expect(finding.data).to.deep.equal([
        { name: 'ip', str: '10.96.0.1' },
        { name: 'container_id', str: '8498b67529680758f69b3a165b6ced82d90e7dae7c573dfa795a87925267230b' },
        { name: 'comm', str: 'curl' },
        { name: 'port', u_int32: 443 },
      ]);
      // The same input through replay prints the same finding.
      const file = path.join(dir, 'in.json');
      fs.writeFileSync(file, [CURRENT.exec, CURRENT.connect6, CURRENT.connect].join('\n') + '\n');
      const replayed = await runToEnd(['replay', '-q', '-o', 'json', file]);
      expect(currentJson(finding) + '\n').to.equal(replayed.stdout);
    });

    it('keeps signature state across streams: exec on one, connect on a later one', async () => {
      const learn = await exchange(client, [batchOf([CURRENT.remove]), batchOf([CURRENT.exec])]);
      expect(learn.answers.flatMap((a) => a.findings)).to.have.length(0);
      const later = await exchange(client, [batchOf([CURRENT.connect])]);
      expect(later.answers[0].findings.map((f) => f.name)).to.deep.equal(['k8s_api_connection']);
    });

    it('counts an event without a name as unusable and goes on', async () => {
      const noName = encodeProtoEvent({ ...event(CURRENT.connect), name: 'x' });
      const bytes = Buffer.from(noName);
      // Blank the name: field 3 "x" -> "" keeps the framing valid.
      const at = bytes.indexOf(Buffer.from([0x1a, 0x01, 0x78]));
      const nameless = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 3)]);
      const { answers, status } = await exchange(client, [encodeEventBatch([nameless, encodeProtoEvent(event(CURRENT.exec))])]);
      expect(status.code).to.equal(grpc.status.OK);
      expect(answers[0]).to.include({ events_processed: 2, events_unusable: 1 });
    });

    it('fails only the stream that sent bytes that are not an EventBatch, with INVALID_ARGUMENT', async () => {
      const healthy = client.onEvents();
      const healthyAnswers: FindingBatch[] = [];
      healthy.on('data', (b: Buffer) => healthyAnswers.push(decodeFindingBatch(b)));
      const healthyDone = new Promise<grpc.StatusObject>((resolve) => healthy.on('status', resolve));
      healthy.on('error', () => undefined);
      healthy.write(batchOf([CURRENT.exec]));

      const bad = await exchange(client, [batchOf([CURRENT.exec]), Buffer.from([0x0a, 0x7f, 0x01])]);
      expect(bad.status.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(bad.status.details).to.match(/batch 2 .*not a valid tracee.sig.v1.EventBatch/);
      expect(bad.answers).to.have.length(1); // the good first batch was answered

      healthy.write(batchOf([CURRENT.connect]));
      healthy.end();
      expect((await healthyDone).code).to.equal(grpc.status.OK);
      expect(healthyAnswers.map((a) => a.events_processed)).to.deep.equal([1, 1]);
    });

    it('serves at least 64 concurrent streams', async () => {
      const calls = Array.from({ length: 64 }, () => client.onEvents());
      const results = calls.map(
        (call) =>
          new Promise<number>((resolve, reject) => {
            let n = 0;
            call.on('data', () => n++);
            call.on('error', reject);
            call.on('status', (s: grpc.StatusObject) => (s.code === grpc.status.OK ? resolve(n) : reject(new Error(s.details))));
          }),
      );
      const batch = batchOf([CURRENT.exec]);
      for (const call of calls) call.write(batch); // all 64 open at once
      for (const call of calls) call.end();
      expect(await Promise.all(results)).to.deep.equal(new Array(64).fill(1));
    });

    it('answers OnSignal source_complete, and refuses an empty signal', async () => {
      expect(await client.onSignal({ source_complete: { source: 'tracee' } })).to.deep.equal({ findings: [] });
      const err = await client.onSignal({}).then(() => undefined, (e: grpc.ServiceError) => e);
      expect(err?.code).to.equal(grpc.status.INVALID_ARGUMENT);
    });

    it('prints with send the same findings as replay, for both JSON shapes and every output shape', async () => {
      const file = path.join(dir, 'mixed.json');
      fs.writeFileSync(file, [CURRENT.remove, LEGACY.remove, CURRENT.exec, CURRENT.connect6, LEGACY.exec, '{broken', CURRENT.connect, LEGACY.connect].join('\n') + '\n');
      for (const shape of ['auto', 'json', 'legacy', 'rules']) {
        const replayed = await runToEnd(['replay', '-q', '-o', shape, file]);
        const sent = await runToEnd(['send', '-q', '--to', served.address, '--batch', '3', '-o', shape, file]);
        expect(sent.code, sent.stderr).to.equal(0);
        expect(sent.stdout.split('\n').filter(Boolean)).to.have.length(2);
        expect(sent.stdout, shape).to.equal(replayed.stdout);
      }
      const fromStdin = await runToEnd(['send', '--to', served.address, '-'], fs.readFileSync(file, 'utf8'));
      expect(fromStdin.stdout).to.equal((await runToEnd(['replay', '-q', file])).stdout);
      expect(fromStdin.stderr, fromStdin.stderr).to.match(/8 lines, 7 events, 7 sent .* in 1 batch\(es\), 2 findings, 1 malformed/);
    });
  });
}

for (const grpcThread of ['on', 'off'] as const) {
  describe(`tracee-sig serve: limits, socket path and stopping (--grpc-thread ${grpcThread})`, function () {
    this.timeout(30000);
    let dir: string;
    const cleanups: (() => Promise<unknown> | void)[] = [];

    beforeEach(() => {
      dir = tempDir();
    });
    afterEach(async () => {
      for (const c of cleanups.splice(0)) await c();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    async function started(extra: string[] = []): Promise<{ served: Served; client: SignatureClient }> {
      const served = await serve(dir, ['--grpc-thread', grpcThread, ...extra]);
      const client = new SignatureClient(parseAddress(served.address));
      cleanups.push(() => client.close(), () => served.stop('SIGKILL'));
      await client.ready(10000);
      return { served, client };
    }

    it('fails a message over --max-message-bytes with RESOURCE_EXHAUSTED', async () => {
      const { client } = await started(['--max-message-bytes', '2048']);
      const small = await exchange(client, [batchOf([CURRENT.connect])]);
      expect(small.status.code).to.equal(grpc.status.OK);
      const big = await exchange(client, [batchOf([CURRENT.exec, CURRENT.exec])]);
      expect(big.status.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
    });

    it('replaces a stale socket, refuses a live one and anything that is not a socket', async () => {
      const socket = path.join(dir, 'sig.sock');
      // A stale socket: bound by a process killed before it could remove it.
      const binder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => console.log('up'))`]);
      await new Promise((resolve) => binder.stdout.once('data', resolve));
      binder.kill('SIGKILL');
      await new Promise((resolve) => binder.once('exit', resolve));
      expect(fs.statSync(socket).isSocket()).to.equal(true);
      const { served } = await started();
      expect(fs.statSync(served.socket).mode & 0o777).to.equal(0o600);

      const second = await run(['serve', '--listen', `unix://${socket}`, '--log-format', 'text']).then(
        () => 'listening',
        (e: Error) => e.message,
      );
      expect(second).to.match(/exited with 3 .*another server is listening/s);

      const file = path.join(dir, 'file');
      fs.writeFileSync(file, 'keep me');
      const onFile = await run(['serve', '--listen', `unix://${file}`, '--log-format', 'text']).then(() => 'listening', (e: Error) => e.message);
      expect(onFile).to.match(/exited with 73 .*exists and is a regular file, not a socket/s);
      expect(fs.readFileSync(file, 'utf8')).to.equal('keep me');
    });

    it('Health Watch: SERVING while serving, NOT_SERVING when stopping, then the watch ends', async () => {
      const { served } = await started();
      const Health = grpc.makeGenericClientConstructor(healthServiceDefinition(), 'Health');
      const health = new Health(served.address, grpc.credentials.createInsecure()) as unknown as {
        Watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
        close(): void;
      };
      cleanups.push(() => health.close());
      const watch = health.Watch({ service: '' });
      const statuses: string[] = [];
      const ended = new Promise<grpc.StatusObject>((resolve) => watch.on('status', resolve));
      watch.on('error', () => undefined);
      const first = new Promise((resolve) => watch.once('data', resolve));
      watch.on('data', (m: { status: string }) => statuses.push(m.status));
      await first;
      served.proc.kill('SIGTERM');
      expect((await ended).code).to.equal(grpc.status.OK);
      expect(statuses).to.deep.equal(['SERVING', 'NOT_SERVING']);
      expect(await served.exited).to.equal(0);
    });

    it('on SIGTERM answers every batch it received, ends the stream and exits 0', async () => {
      const { served, client } = await started();
      const call = client.onEvents();
      const answers: FindingBatch[] = [];
      let signalled = false;
      call.on('data', (b: Buffer) => {
        answers.push(decodeFindingBatch(b));
        if (!signalled) {
          signalled = true;
          served.proc.kill('SIGTERM');
        }
      });
      call.on('error', () => undefined);
      const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
      const batch = batchOf([CURRENT.exec, CURRENT.connect, CURRENT.connect, CURRENT.connect, CURRENT.connect]);
      for (let i = 0; i < 400; i++) call.write(batch); // in flight when the signal lands
      const s = await status;
      expect(await served.exited).to.equal(0);
      expect(s.code).to.be.oneOf([grpc.status.UNAVAILABLE, grpc.status.OK]);
      const reported = /(\d+) batch\(es\) answered/.exec(served.stderr());
      expect(reported, served.stderr()).to.not.equal(null);
      expect(answers.length).to.equal(Number(reported![1])); // every batch the service took was answered
      expect(answers.length).to.be.greaterThan(0);
      for (const a of answers) expect(a.events_processed).to.equal(5);
      expect(fs.existsSync(served.socket)).to.equal(false);
    });

    it('writes findings to --findings-log', async () => {
      const log = path.join(dir, 'findings.log');
      const { served, client } = await started(['--findings-log', log]);
      await exchange(client, [batchOf([CURRENT.exec, CURRENT.connect])]);
      served.proc.kill('SIGTERM');
      expect(await served.exited).to.equal(0);
      const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
      expect(lines).to.have.length(1);
      expect(JSON.parse(lines[0]).name).to.equal('k8s_api_connection');
    });

    it('refuses bad options with exit 2', async () => {
      expect((await runToEnd(['serve', '--listen', 'http://x'])).stderr).to.match(/--listen: address "http:\/\/x" is not understood/);
      expect((await runToEnd(['serve', '--tls-cert', 'a'])).code).to.equal(2);
      const r = await runToEnd(['send', '--to', `unix://${path.join(dir, 'none.sock')}`, '-']);
      expect(r.code).to.equal(3);
      expect(r.stderr).to.match(/cannot reach the signature service/);
    });
  });
}

describe('tracee-sig serve --grpc-thread', function () {
  this.timeout(30000);
  let dir: string;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('says where gRPC runs: auto takes its own thread on 2 CPUs or more', async () => {
    for (const [choice, ownThread] of [
      ['on', true],
      ['off', false],
      ['auto', os.availableParallelism() >= 2],
    ] as const) {
      const served = await serve(dir, ['--grpc-thread', choice]);
      expect(await served.stop(), served.stderr()).to.equal(0);
      expect(served.stderr(), choice).to.contain(ownThread ? '; gRPC on a thread of its own)' : "; gRPC on the signatures' thread)");
    }
  });

  // A fault in the thread itself, injected with Node's own --require (a preload that throws only
  // on a worker thread): serve says so, stops in order, removes its socket and exits 70.
  for (const [when, env] of [
    ['at start', {}],
    ['while serving', { FAIL_LATER: '800' }],
  ] as const) {
    it(`a gRPC thread that fails ${when}: exit 70, saying so and what to do`, async () => {
      const preload = path.join(dir, 'fault.js');
      fs.writeFileSync(
        preload,
        "if (!require('node:worker_threads').isMainThread) {\n" +
          "  if (process.env.FAIL_LATER) setTimeout(() => { throw new Error('injected fault'); }, Number(process.env.FAIL_LATER));\n" +
          "  else throw new Error('injected fault');\n}\n",
      );
      const socket = path.join(dir, 'f.sock');
      const child = spawn(process.execPath, ['--require', preload, BIN, 'serve', '--listen', `unix://${socket}`, '--log-format', 'text', '--grpc-thread', 'on'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, ...env },
      });
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code, stderr).to.equal(70);
      expect(stderr).to.match(/tracee-sig serve: the gRPC thread failed: Error: injected fault/);
      expect(stderr).to.contain('--grpc-thread off serves without that thread');
      if (when === 'while serving') expect(stderr).to.match(/listening on [\s\S]*stopped: 0 stream\(s\)/);
      else expect(stderr).not.to.contain('listening on');
      expect(fs.existsSync(socket)).to.equal(false);
    });
  }

  it('refuses a value it does not know with exit 2 and one line', async () => {
    const r = await runToEnd(['serve', '--grpc-thread', 'maybe']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^tracee-sig serve: --grpc-thread must be one of auto, on, off; got "maybe"/);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
  });
});
