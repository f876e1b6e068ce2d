// The gRPC thread of `serve` (transport.ts): grpc-js with both services, each
// call relayed to the handlers on the main thread. A stream is read ahead by
// at most READ_AHEAD_BYTES (or READ_AHEAD_MESSAGES) the main thread has not
// taken, and not at all while its answers are not taken: past that, grpc-js
// stops reading and HTTP/2 flow control slows the client, as on one thread.
import * as grpc from '@grpc/grpc-js';
import { parentPort, workerData } from 'node:worker_threads';
import {
  bindServer,
  messageOf,
  newGrpcServer,
  Outbox,
  payloadOf,
  READ_AHEAD_BYTES,
  READ_AHEAD_MESSAGES,
  serviceDefinitions,
  type CallEvent,
  type FromThread,
  type ServiceName,
  type Services,
  type ThreadData,
  type ToThread,
} from './transport.js';

type AnyCall = grpc.ServerDuplexStream<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

interface Relay {
  call: AnyCall;
  reads: boolean; // the client streams messages (OnEvents)
  notTaken: number[]; // sizes of the messages sent to the main thread that it has not handed over yet, oldest first
  notTakenBytes: number;
  answersWaiting: boolean; // the last write found grpc-js's buffer full
  drained: boolean; // at shutdown: everything received was sent; read no more
}

const port = parentPort!;
const outbox = new Outbox<FromThread>(port);
const post = (m: FromThread, transfer?: ArrayBuffer[]) => outbox.post(m, transfer);
const toMain = (...args: unknown[]) => post({ op: 'log', line: args.map(String).join(' ') });
grpc.setLogger({ error: toMain, info: toMain, debug: toMain });

const relays = new Map<number, Relay>();
const replies = new Map<number, grpc.sendUnaryData<unknown>>();
let nextCall = 1;

/** Reads while the main thread keeps up and the client takes its answers; else lets flow control hold the client. */
function steer(r: Relay): void {
  if (!r.reads) return;
  const call = r.call as grpc.ServerDuplexStream<unknown, unknown>;
  const hold = r.notTakenBytes >= READ_AHEAD_BYTES || r.notTaken.length >= READ_AHEAD_MESSAGES || r.answersWaiting || r.drained;
  if (hold && !call.isPaused()) call.pause();
  else if (!hold && call.isPaused()) call.resume();
}

function relayStream(service: ServiceName, method: string, call: AnyCall, reads: boolean): void {
  const id = nextCall++;
  const r: Relay = { call, reads, notTaken: [], notTakenBytes: 0, answersWaiting: false, drained: false };
  relays.set(id, r);
  post({ op: 'call', call: id, service, method, request: reads ? undefined : (call as grpc.ServerWritableStream<unknown, unknown>).request, unary: false });
  if (reads) {
    call.on('data', (message: unknown) => {
      const { payload, transfer } = payloadOf(message);
      const size = transfer[0]?.byteLength ?? 0;
      r.notTaken.push(size);
      r.notTakenBytes += size;
      post({ op: 'data', call: id, message: payload }, transfer);
      steer(r);
    });
  }
  const forward = (event: CallEvent) => (e?: { code?: number; details?: string; message?: string }) => {
    if (!relays.has(id)) return; // closed already: nothing more reaches the handlers
    if (event === 'close') relays.delete(id);
    post({ op: 'event', call: id, event, error: e && { code: e.code, details: e.details, message: e.message } });
  };
  call.on('end', forward('end'));
  call.on('cancelled', forward('cancelled'));
  call.on('error', forward('error'));
  // Its status sent ('finish'), or torn down: the call is over for the handlers either way.
  call.on('finish', forward('close'));
  call.on('close', forward('close'));
}

function relayHandlers(service: ServiceName): grpc.UntypedServiceImplementation {
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const [method, d] of Object.entries(serviceDefinitions[service]())) {
    if (d.requestStream && !d.responseStream) throw new Error(`${service}.${method}: client-streaming calls are not relayed`);
    handlers[method] = d.responseStream
      ? (call: AnyCall) => relayStream(service, method, call, d.requestStream)
      : (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
          const id = nextCall++;
          replies.set(id, callback);
          post({ op: 'call', call: id, service, method, request: call.request, unary: true });
        };
  }
  return handlers;
}

const { options } = workerData as ThreadData;
const services: Services = { signature: relayHandlers('signature'), health: relayHandlers('health') };
const { server, credentials } = newGrpcServer(options, services);

port.on('message', (messages: ToThread[]) => messages.forEach(receive));

function receive(m: ToThread): void {
  switch (m.op) {
    case 'write': {
      const r = relays.get(m.call);
      if (!r || r.call.writableEnded) return;
      if (!r.call.write(messageOf(m.message)) && !r.answersWaiting) {
        r.answersWaiting = true;
        steer(r);
        r.call.once('drain', () => {
          r.answersWaiting = false;
          steer(r);
        });
      }
      return;
    }
    case 'ack': {
      const r = relays.get(m.call);
      if (!r) return;
      r.notTakenBytes -= r.notTaken.shift() ?? 0;
      steer(r);
      return;
    }
    case 'end':
      relays.get(m.call)?.call.end();
      return;
    case 'status':
      relays.get(m.call)?.call.emit('error', m.status);
      return;
    case 'reply': {
      const reply = replies.get(m.call);
      replies.delete(m.call);
      reply?.(m.error, m.value);
      return;
    }
    case 'bind':
      bindServer(server, m.target, credentials).then(
        (boundPort) => post({ op: 'bound', port: boundPort }),
        (e: Error) => post({ op: 'bindFailed', message: e.message }),
      );
      return;
    case 'drain':
      for (const r of relays.values()) {
        if (!r.reads) continue;
        r.drained = true;
        steer(r);
        // read() hands each message grpc-js holds to the 'data' listener, which sends it on.
        while ((r.call as grpc.ServerDuplexStream<unknown, unknown>).read() !== null);
      }
      post({ op: 'drained' });
      return;
    case 'tryShutdown':
      server.tryShutdown(() => post({ op: 'shutDown' }));
      return;
    case 'forceShutdown':
      server.forceShutdown();
      return;
  }
}
