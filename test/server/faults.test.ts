// `tracee-sig serve` under fault, run as a child process: garbage on a stream,
// messages over the limit, hosts killed mid-batch, 200 streams at once, a host
// that never reads its findings, SIGTERM with batches in flight. Through each,
// a witness stream on its own connection must keep getting correct findings.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { SignatureClient } from '../../src/server/client.js';
import { parseAddress } from '../../src/server/listen-address.js';
import { decodeFindingBatch, type FindingBatch } from '../../src/wire/services.js';
import { CURRENT } from './examples.js';
import { eventWithin, expectPairFinding, grpcFrame, h2Connect, pairIn, rawOnEvents, rssBytes, Witness } from './fault-support.js';
import { batchOf, serve, tempDir, type Served } from './helpers.js';

const MiB = 1024 * 1024;

// Both ways of running grpc-js: on its own thread (the default on 2 CPUs or more) and beside the signatures.
for (const grpcThread of ['on', 'off'] as const) {
  describe(`tracee-sig serve under fault (--grpc-thread ${grpcThread})`, function () {
    this.timeout(60000);
    let dir: string;
    let served: Served;
    let witness: Witness;
    const cleanups: (() => unknown)[] = [];

    async function start(extra: string[] = []): Promise<void> {
      served = await serve(dir, ['--grpc-thread', grpcThread, ...extra]);
      cleanups.push(() => served.stop('SIGKILL'));
      witness = new Witness(served.address);
      cleanups.push(() => witness.close());
      await witness.open();
      await witness.check();
    }

    beforeEach(() => {
      dir = tempDir();
    });
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    describe('garbage on a stream fails that stream alone', () => {
      beforeEach(() => start());

      const cases: [string, Buffer, number, RegExp][] = [
        ['a well-framed message whose field 1 is a number, not an event', grpcFrame(Buffer.from([0x08, 0x01])), grpc.status.INVALID_ARGUMENT, /batch 1 .*not a valid tracee\.sig\.v1\.EventBatch: .*wire type 0/],
        ['a well-framed message whose event length runs past its end', grpcFrame(Buffer.from([0x0a, 0x7f, 0x01])), grpc.status.INVALID_ARGUMENT, /batch 1 .*not a valid tracee\.sig\.v1\.EventBatch/],
        ['a good batch, then one that is not an EventBatch', Buffer.concat([grpcFrame(batchOf([CURRENT.exec])), grpcFrame(Buffer.from('{"events": []}'))]), grpc.status.INVALID_ARGUMENT, /batch 2 .*earlier batches were answered/],
      ];
      /** Raw bytes on one OnEvents stream of a fresh HTTP/2 session: the stream's outcome. */
      async function rawOutcome(bytes: Uint8Array, headers: Record<string, string> = {}) {
        const session = await h2Connect(served.socket);
        cleanups.push(() => session.destroy());
        const { req, outcome } = rawOnEvents(session, headers);
        req.resume();
        req.end(bytes);
        return outcome;
      }

      for (const [what, bytes, code, details] of cases) {
        it(what, async () => {
          const o = await rawOutcome(bytes);
          expect(o.grpcStatus, JSON.stringify(o)).to.equal(code);
          expect(o.grpcMessage).to.match(details);
          await witness.check();
        });
      }

      const compressed: [string, string, Buffer, number, RegExp][] = [
        ['a gzip-flagged frame whose body is not gzip', 'gzip', grpcFrame(Buffer.from('not gzip at all'), 1), grpc.status.INTERNAL, /Failed to decompress/],
        ['a frame compressed with an encoding nobody offered', 'snappy', grpcFrame(Buffer.from('x'), 1), grpc.status.UNIMPLEMENTED, /unsupported encoding "snappy"/],
      ];
      for (const [what, encoding, bytes, code, details] of compressed) {
        it(what, async () => {
          const o = await rawOutcome(bytes, { 'grpc-encoding': encoding });
          expect(o.grpcStatus, JSON.stringify(o)).to.equal(code);
          expect(o.grpcMessage).to.match(details);
          await witness.check();
        });
      }

      it('64 KiB of random bytes on a stream', async () => {
        let seed = 12345;
        const random = Buffer.alloc(64 * 1024, 0).map(() => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 16);
        const o = await rawOutcome(random);
        expect(o.grpcStatus).to.be.oneOf([grpc.status.INVALID_ARGUMENT, grpc.status.RESOURCE_EXHAUSTED, grpc.status.INTERNAL]);
        await witness.check();
      });

      it('a request that is not gRPC (wrong content-type) is refused with HTTP 415', async () => {
        const session = await h2Connect(served.socket);
        cleanups.push(() => session.destroy());
        const { req, outcome } = rawOnEvents(session, { 'content-type': 'application/json' });
        req.resume();
        req.end('{"events": []}');
        expect((await outcome).httpStatus).to.equal(415);
        await witness.check();
      });

      it('bytes that are not HTTP/2 at all: the server drops that connection', async () => {
        const sock = net.connect(served.socket);
        cleanups.push(() => sock.destroy());
        sock.on('error', () => undefined);
        sock.resume();
        const closed = new Promise((resolve) => sock.once('close', resolve));
        sock.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n' + '\x00\xff'.repeat(1000), 'latin1'));
        await closed;
        await witness.check();
      });
    });

    describe('messages over the limit', () => {
      beforeEach(() => start(['--max-message-bytes', String(1 * MiB)]));

      it('a frame declaring 4 GiB is refused from its 5-byte head, without waiting for the body', async () => {
        const session = await h2Connect(served.socket);
        cleanups.push(() => session.destroy());
        const { req, outcome } = rawOnEvents(session);
        req.resume();
        req.write(grpcFrame(Buffer.alloc(1000), 0, 0xffffffff)); // the stream stays open: only the head decides
        const o = await outcome;
        expect(o.grpcStatus).to.equal(grpc.status.RESOURCE_EXHAUSTED);
        expect(o.grpcMessage).to.match(/larger than max \(4294967295 vs 1048576\)/);
        // A host that goes on sending after its status is ignored, not buffered, and harms no one.
        for (let i = 0; i < 64; i++) req.write(Buffer.alloc(64 * 1024, 1));
        await witness.check();
      });

      it('a gzip bomb (64 MiB of zeros in a few KiB) is refused once it inflates past the limit', async () => {
        const bomb = zlib.gzipSync(Buffer.alloc(64 * MiB));
        expect(bomb.length).to.be.lessThan(1 * MiB);
        const session = await h2Connect(served.socket);
        cleanups.push(() => session.destroy());
        const { req, outcome } = rawOnEvents(session, { 'grpc-encoding': 'gzip' });
        req.resume();
        req.end(grpcFrame(bomb, 1));
        const o = await outcome;
        expect(o.grpcStatus).to.equal(grpc.status.RESOURCE_EXHAUSTED);
        expect(o.grpcMessage).to.match(/decompresses to a size larger than 1048576/);
        await witness.check();
      });

      it(`a real batch over the limit fails its stream${grpcThread === 'off' ? '; the batches before it were answered' : ''}`, async () => {
        const client = new SignatureClient(parseAddress(served.address), { maxMessageBytes: 64 * MiB });
        cleanups.push(() => client.close());
        const call = client.onEvents();
        const answers: FindingBatch[] = [];
        call.on('data', (b: Buffer) => answers.push(decodeFindingBatch(b)));
        call.on('error', () => undefined);
        const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
        call.write(batchOf([CURRENT.exec]));
        const big = batchOf(new Array(4000).fill(CURRENT.connect));
        expect(big.length).to.be.greaterThan(1 * MiB);
        call.write(big);
        call.end();
        expect((await status).code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
        const processed = answers.map((a) => a.events_processed);
        // On its own thread grpc-js reads the next batch while one is processed, and refuses the
        // one over the limit at once: the answer still being made may not reach the host (README).
        if (grpcThread === 'off') expect(processed).to.deep.equal([1]);
        else expect([[], [1]]).to.deep.include(processed);
        await witness.check();
      });
    });

    it('hosts killed mid-batch (SIGKILL) cost nothing to the others', async () => {
      await start();
      const children: ChildProcess[] = [];
      cleanups.push(() => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL')));
      const midBatch = Array.from({ length: 4 }, () => {
        const child = spawn(process.execPath, [path.join(__dirname, 'fault-client.js'), served.socket], { stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(child);
        let err = '';
        child.stderr!.on('data', (d) => (err += d));
        return new Promise<void>((resolve, reject) => {
          child.stdout!.on('data', (d: Buffer) => d.toString().includes('mid-batch') && resolve());
          child.once('exit', (code) => reject(new Error(`fault-client exited (${code}) before mid-batch: ${err}`)));
        });
      });
      await Promise.all(midBatch);
      await witness.check(); // while four hosts hang mid-batch
      const exits = children.map((c) => new Promise((resolve) => c.once('exit', resolve)));
      for (const c of children) c.kill('SIGKILL');
      await Promise.all(exits);
      await witness.check();
      // A new host is served as before, and the server stops cleanly.
      const fresh = new Witness(served.address, 0x20000);
      cleanups.push(() => fresh.close());
      await fresh.open();
      await fresh.check();
      fresh.close();
      witness.close();
      expect(await served.stop('SIGTERM')).to.equal(0);
      expect(served.stderr()).to.match(/stopped: 6 stream\(s\)/); // witness, 4 killed hosts, fresh
    });

    it('200 concurrent streams each get their own findings', async () => {
      await start();
      const clients = Array.from({ length: 4 }, () => new SignatureClient(parseAddress(served.address)));
      cleanups.push(() => clients.forEach((c) => c.close()));
      const streams = Array.from({ length: 200 }, (_, i) => {
        const call = clients[i % clients.length].onEvents();
        const answers: FindingBatch[] = [];
        call.on('data', (b: Buffer) => answers.push(decodeFindingBatch(b)));
        call.on('error', () => undefined);
        const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
        const firstAnswer = new Promise<void>((resolve) => call.once('data', () => resolve()));
        const { lines, container } = pairIn(i);
        call.write(batchOf(lines));
        return { call, answers, status, firstAnswer, container };
      });
      await Promise.all(streams.map((s) => s.firstAnswer)); // all 200 open and answered at once
      await witness.check();
      for (const s of streams) s.call.end();
      for (const s of streams) {
        expect((await s.status).code).to.equal(grpc.status.OK);
        expect(s.answers).to.have.length(1);
        expectPairFinding(s.answers[0], s.container);
      }
      await witness.check();
    });

    it('--max-streams: one stream more is refused with RESOURCE_EXHAUSTED; the open ones go on', async () => {
      await start(['--max-streams', '3']); // the witness is one
      const client = new SignatureClient(parseAddress(served.address));
      cleanups.push(() => client.close());
      const open = [client.onEvents(), client.onEvents()];
      for (const [i, call] of open.entries()) {
        call.on('error', () => undefined);
        const answered = new Promise((resolve) => call.once('data', resolve));
        call.write(batchOf(pairIn(i).lines));
        await answered;
      }
      const extra = client.onEvents();
      extra.on('error', () => undefined);
      const refused = await new Promise<grpc.StatusObject>((resolve) => extra.on('status', resolve));
      expect(refused.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
      expect(refused.details).to.match(/at most 3 OnEvents streams at once \(--max-streams\)/);
      await witness.check();
      const ended = new Promise((resolve) => open[0].on('status', resolve));
      open[0].end();
      await ended;
      const later = client.onEvents();
      later.on('error', () => undefined);
      const answer = new Promise<Buffer>((resolve) => later.once('data', resolve));
      const { lines, container } = pairIn(99);
      later.write(batchOf(lines));
      expectPairFinding(decodeFindingBatch(await answer), container);
      later.end();
      open[1].end();
    });

    it('a host that never reads its findings is slowed, not buffered: its writes block and memory stays bounded', async () => {
      await start();
      const session = await h2Connect(served.socket);
      cleanups.push(() => session.destroy());
      // Raw HTTP/2, paused: a grpc-js client reads answers ahead on its own, so it cannot play this host.
      const { req } = rawOnEvents(session);
      req.pause();
      // Each batch yields 999 findings: the answers fill the host's window fast.
      const frame = grpcFrame(batchOf([CURRENT.exec, ...new Array(999).fill(CURRENT.connect)]));
      const budget = 200 * MiB;
      const baseline = rssBytes(served.proc.pid!);
      let pushed = 0;
      let blocked = false;
      while (pushed < budget) {
        pushed += frame.length;
        if (req.write(frame)) continue;
        // No drain for 3 s: the server stopped reading this stream (a wait, not a measurement).
        if (!(await eventWithin(req, 'drain', 3000))) {
          blocked = true;
          break;
        }
      }
      expect(blocked, `all ${pushed / MiB} MiB were taken from a host that reads nothing`).to.equal(true);
      expect(pushed).to.be.lessThan(budget);
      let drained = false;
      req.once('drain', () => (drained = true));
      await witness.check(); // the service still serves others while this stream is held
      await witness.check();
      const rss = rssBytes(served.proc.pid!);
      expect(drained, 'the held stream was read again though its host read nothing').to.equal(false);
      expect(rss, `RSS ${Math.round(rss / MiB)} MiB (baseline ${Math.round(baseline / MiB)} MiB) after ${Math.round(pushed / MiB)} MiB pushed`).to.be.lessThan(baseline + 256 * MiB);
    });

    it('SIGTERM with batches in flight on several streams: every batch taken is answered, in order, with its findings', async () => {
      await start();
      const client = new SignatureClient(parseAddress(served.address));
      cleanups.push(() => client.close());
      const load = batchOf([CURRENT.exec, CURRENT.connect, CURRENT.connect, CURRENT.connect, CURRENT.connect]);
      let signalled = false;
      const loaded = [client.onEvents(), client.onEvents()].map((call) => {
        const answers: FindingBatch[] = [];
        call.on('data', (b: Buffer) => {
          answers.push(decodeFindingBatch(b));
          if (!signalled && answers.length === 5) {
            signalled = true;
            served.proc.kill('SIGTERM');
          }
        });
        call.on('error', () => undefined);
        const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
        for (let i = 0; i < 300; i++) call.write(load);
        return { answers, status };
      });
      // The witness's stream is in flight too: a pair in a fresh container per batch.
      const wc = new SignatureClient(parseAddress(served.address));
      cleanups.push(() => wc.close());
      const wcall = wc.onEvents();
      const wanswers: FindingBatch[] = [];
      wcall.on('data', (b: Buffer) => wanswers.push(decodeFindingBatch(b)));
      wcall.on('error', () => undefined);
      const wstatus = new Promise<grpc.StatusObject>((resolve) => wcall.on('status', resolve));
      const containers: string[] = [];
      for (let i = 0; i < 300; i++) {
        const { lines, container } = pairIn(0x30000 + i);
        containers.push(container);
        wcall.write(batchOf(lines));
      }

      expect(await served.exited).to.equal(0);
      const statuses = [...(await Promise.all(loaded.map((l) => l.status))), await wstatus, await witness.status!];
      const answered = [...loaded.map((l) => l.answers.length), wanswers.length, witness.checks];
      for (const [i, s] of statuses.entries()) {
        expect(s.code).to.be.oneOf([grpc.status.UNAVAILABLE, grpc.status.OK]);
        // The status names how many batches of this stream were answered: exactly what arrived.
        if (s.code === grpc.status.UNAVAILABLE) expect(s.details).to.equal(`tracee-sig is shutting down; all ${answered[i]} batches received on this stream were answered`);
      }
      const total = /(\d+) batch\(es\) answered/.exec(served.stderr());
      expect(total, served.stderr()).to.not.equal(null);
      expect(answered.reduce((a, b) => a + b, 0)).to.equal(Number(total![1]));
      for (const l of loaded) for (const a of l.answers) expect(a.events_processed).to.equal(5);
      wanswers.forEach((a, i) => expectPairFinding(a, containers[i]));
      expect(fs.existsSync(served.socket)).to.equal(false);
    });

    it('a --findings-log that fails (disk full) is reported; findings still reach the hosts; exit 74 at stop', async function () {
      if (!fs.existsSync('/dev/full')) this.skip(); // Linux's always-full device
      await start(['--findings-log', '/dev/full']);
      // 64 KiB of findings make the log write (it buffers up to that).
      for (let i = 0; i < 200; i++) await witness.check();
      await new Promise<void>((resolve, reject) => {
        const t = setInterval(() => {
          if (/cannot write --findings-log/.test(served.stderr())) done();
          else if (served.proc.exitCode !== null) done(new Error(`serve exited: ${served.stderr()}`));
        }, 50);
        const done = (e?: Error) => (clearInterval(t), e ? reject(e) : resolve());
      });
      await witness.check();
      witness.close();
      expect(await served.stop('SIGTERM')).to.equal(74);
      const lines = served.stderr().split('\n').filter((l) => l.includes('--findings-log'));
      expect(lines).to.deep.equal([
        'tracee-sig serve: cannot write --findings-log /dev/full: no space left on the device; findings are still answered to the hosts but no longer logged; fix the destination and restart',
      ]);
    });
  });
}
