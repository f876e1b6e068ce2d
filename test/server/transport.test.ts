// serve's gRPC thread (src/server/transport.ts) on its own, with handlers of
// the test's: what each kind of call carries across, backpressure from a
// handler that stops taking messages, and the thread failing by itself.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { SignatureClient } from '../../src/server/client.js';
import { threadTransport, TransportFailure, type GrpcTransport, type Services } from '../../src/server/transport.js';
import { tempDir } from './helpers.js';

type Duplex = grpc.ServerDuplexStream<Buffer, Buffer>;

/** Handlers that echo: OnEvents answers each message with its own bytes; OnSignal fails with the source it was given. */
function echoServices(onStream: (call: Duplex) => void = () => undefined): Services {
  return {
    signature: {
      GetMetadata: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, { signatures: [{ id: 'T-1', version: '1' }] }),
      GetSelectedEvents: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, { selectors: [] }),
      OnSignal: (call: grpc.ServerUnaryCall<{ source_complete: { source: string } }, unknown>, callback: grpc.sendUnaryData<unknown>) =>
        callback({ code: grpc.status.FAILED_PRECONDITION, details: `no ${call.request.source_complete.source}` } as grpc.ServiceError),
      OnEvents: (call: Duplex) => {
        onStream(call);
        call.on('data', (bytes: Buffer) => call.write(bytes));
        call.on('end', () => call.end());
      },
    },
    health: {
      Check: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, { status: 'SERVING' }),
      Watch: () => undefined,
    },
  };
}

describe('serve: the gRPC thread', function () {
  this.timeout(30000);
  let dir: string;
  let transport: GrpcTransport | undefined;
  let client: SignatureClient | undefined;

  beforeEach(() => (dir = tempDir()));
  afterEach(async () => {
    client?.close();
    if (transport) {
      transport.forceShutdown();
      await transport.close();
    }
    client = transport = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function started(services: Services): Promise<SignatureClient> {
    const socket = path.join(dir, 't.sock');
    transport = threadTransport({ maxBytes: 8 << 20 }, services, () => undefined);
    await transport.bind(`unix:${socket}`);
    client = new SignatureClient({ kind: 'unix', path: socket }, { maxMessageBytes: 8 << 20 });
    await client.ready(10000);
    return client;
  }

  it('relays unary calls both ways, with their errors, and stream messages byte for byte', async () => {
    const c = await started(echoServices());
    expect((await c.getMetadata()).signatures).to.deep.equal([{ id: 'T-1', version: '1', tags: [] }]);
    expect((await c.healthCheck('')).status).to.equal('SERVING');
    const err = await c.onSignal({ source_complete: { source: 'tracee' } }).then(() => undefined, (e: grpc.ServiceError) => e);
    expect(err?.code).to.equal(grpc.status.FAILED_PRECONDITION);
    expect(err?.details).to.equal('no tracee');

    // Sizes around the read-ahead bound (1 MiB), empty included; each must come back whole, in order.
    const sent = [0, 1, 700, 70_000, (1 << 20) - 1, 1 << 20, 3 << 20].map((n, i) => Buffer.alloc(n, i + 1));
    const call = c.onEvents();
    const back: Buffer[] = [];
    call.on('data', (b: Buffer) => back.push(b));
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    for (const b of sent) call.write(b);
    call.end();
    expect((await status).code).to.equal(grpc.status.OK);
    expect(back.map((b) => b.length)).to.deep.equal(sent.map((b) => b.length));
    back.forEach((b, i) => expect(b.equals(sent[i]), `message ${i}`).to.equal(true));
  });

  it('a handler that pauses its stream holds the client back: the thread stops reading past its bound', async () => {
    let held: Duplex | undefined;
    let taken = 0;
    const c = await started(
      echoServices((call) => {
        held = call;
        call.on('data', () => {
          if (++taken === 1) call.pause(); // takes the first message, then nothing
        });
      }),
    );
    const call = c.onEvents();
    call.on('error', () => undefined);
    call.on('data', () => undefined); // answers are read: only the handler holds back
    const batch = Buffer.alloc(256 * 1024, 7);
    // Writes until a write stays blocked for half a second (HTTP/2 flow control), or 400 batches (100 MiB).
    let written = 0;
    while (written < 400) {
      written++;
      if (call.write(batch)) continue;
      const drained = await Promise.race([
        new Promise((resolve) => call.once('drain', () => resolve(true))),
        new Promise((resolve) => setTimeout(() => resolve(false), 500)),
      ]);
      if (!drained) break;
    }
    expect(taken).to.equal(1);
    expect(written, 'the client was never held back').to.be.below(100);
    // Resumed, the handler gets every message the client wrote.
    const ended = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    held!.resume();
    call.end();
    expect((await ended).code).to.equal(grpc.status.OK);
    expect(taken).to.equal(written);
  });

  it('a thread that fails by itself is reported: failed rejects, and so does a bind', async () => {
    const script = path.join(dir, 'broken-thread.js');
    fs.writeFileSync(script, "throw new Error('boom at start');\n");
    transport = threadTransport({ maxBytes: 1 << 20 }, echoServices(), () => undefined, script);
    const failure = await transport.failed.then(() => undefined, (e: Error) => e);
    expect(failure).to.be.instanceOf(TransportFailure);
    expect(failure?.message).to.match(/^the gRPC thread failed: .*boom at start/);
    const bound = await transport.bind(`unix:${path.join(dir, 'x.sock')}`).then(() => undefined, (e: Error) => e);
    expect(bound).to.be.instanceOf(TransportFailure);
  });
});
