// An experiment, not a product: the SignatureService of `serve` (built-in
// signatures, default settings) run on a worker thread, while the main thread
// only moves bytes between grpc-js and the worker. It measures what keeping
// the event loop free buys: while a batch is processed, grpc-js can still read
// the next one and hand out HTTP/2 window updates, so transport and processing
// overlap instead of taking turns (see RESULTS.md, "gRPC OnEvents: profile").
// What `serve` itself would also need (metrics, shutdown, backpressure between
// the threads) is left out: the bench client bounds what is in flight.
// Usage: node worker-server.js SOCKET_PATH
import * as grpc from '@grpc/grpc-js';
import { EventEmitter } from 'node:events';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { SignatureService } from '../../src/server/service.js';
import { signaturesFor } from '../../src/testing/signatures-for.js';
import { signatureServiceDefinition } from '../../src/wire/services.js';

/** A copy in memory of its own, to be moved to the other thread. */
function own(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy.buffer;
}

type ToWorker = { open: number } | { id: number; bytes: ArrayBuffer } | { end: number };
type FromWorker = { id: number; answer: ArrayBuffer } | { ended: number };

if (isMainThread) {
  const socket = process.argv[2];
  const worker = new Worker(__filename);
  const calls = new Map<number, grpc.ServerDuplexStream<Buffer, Buffer>>();
  let nextId = 1;
  worker.on('message', (m: FromWorker) => {
    if ('ended' in m) {
      calls.get(m.ended)?.end();
      calls.delete(m.ended);
      return;
    }
    const call = calls.get(m.id);
    if (call && !call.write(Buffer.from(m.answer)) && !call.isPaused()) {
      call.pause();
      call.once('drain', () => call.resume());
    }
  });
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
  server.addService(signatureServiceDefinition(), {
    OnEvents: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      const id = nextId++;
      calls.set(id, call);
      const post = (m: ToWorker, transfer: ArrayBuffer[] = []) => worker.postMessage(m, transfer);
      post({ open: id });
      call.on('data', (bytes: Buffer) => {
        const buffer = own(bytes);
        post({ id, bytes: buffer }, [buffer]);
      });
      call.on('end', () => post({ end: id }));
    },
  });
  server.bindAsync(`unix:${socket}`, grpc.ServerCredentials.createInsecure(), (err) => {
    if (err) throw err;
    process.stderr.write('worker server: listening on unix:' + socket + '\n');
  });
  process.on('SIGTERM', () => {
    server.forceShutdown();
    void worker.terminate();
  });
} else {
  const port = parentPort!;
  const service = new SignatureService(signaturesFor({}));
  const calls = new Map<number, EventEmitter>();
  port.on('message', (m: ToWorker) => {
    if ('open' in m) {
      const id = m.open;
      // The stream as the service sees it: 'data' per batch, answers written back to the main thread.
      const call = Object.assign(new EventEmitter(), {
        write: (answer: Buffer) => {
          const buffer = own(answer);
          port.postMessage({ id, answer: buffer } satisfies FromWorker, [buffer]);
          return true;
        },
        pause() {},
        resume() {},
        end: () => port.postMessage({ ended: id } satisfies FromWorker),
      });
      calls.set(id, call);
      (service.handlers().OnEvents as (stream: unknown) => void)(call);
    } else if ('bytes' in m) calls.get(m.id)?.emit('data', Buffer.from(m.bytes));
    else calls.get(m.end)?.emit('end');
  });
}
