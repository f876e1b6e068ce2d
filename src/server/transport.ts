// Where grpc-js runs for `serve`: on the main thread beside the signatures, or
// on a thread of its own (--grpc-thread). On its own thread grpc-js keeps
// reading the next batch, and granting HTTP/2 flow-control windows, while the
// main thread processes one: transport and processing overlap instead of
// taking turns (bench/RESULTS.md, "gRPC OnEvents"). The thread relays every
// call to the handlers here, so the services, their limits, metrics, findings
// log and shutdown are the same code either way.
import * as grpc from '@grpc/grpc-js';
import * as path from 'node:path';
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { healthServiceDefinition, signatureServiceDefinition } from '../wire/services.js';

/** TLS files already read and checked: what both threads build credentials from. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | null; // set: clients must present a certificate signed by it
}

export interface TransportOptions {
  maxBytes: number;
  tls?: TlsMaterial;
}

/** The handlers of our two services, by the name their definitions are built from. */
export interface Services {
  signature: grpc.UntypedServiceImplementation;
  health: grpc.UntypedServiceImplementation;
}
export type ServiceName = keyof Services;

export interface GrpcTransport {
  /** Binds `target` (a grpc-js address); resolves with the port, rejects with grpc-js's error. */
  bind(target: string): Promise<number>;
  /** Stops taking new calls; `done` once every call has ended. */
  tryShutdown(done: () => void): void;
  forceShutdown(): void;
  /** Hands the handlers every message grpc-js holds received (before the service's shutdown reads them). */
  drain(): Promise<void>;
  /** Rejects when the transport fails by itself (its thread died); never resolves. */
  readonly failed: Promise<never>;
  /** Releases what the transport holds once it is shut down (the thread). */
  close(): Promise<void>;
}

/** The transport itself failed (not a call, not a bind): a bug. */
export class TransportFailure extends Error {}

export const serviceDefinitions: Record<ServiceName, () => grpc.ServiceDefinition> = { signature: signatureServiceDefinition, health: healthServiceDefinition };

/** A grpc-js server carrying both services with these handlers, and its credentials. */
export function newGrpcServer(o: TransportOptions, services: Services): { server: grpc.Server; credentials: grpc.ServerCredentials } {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': o.maxBytes,
    'grpc.max_send_message_length': o.maxBytes,
  });
  for (const name of Object.keys(serviceDefinitions) as ServiceName[]) server.addService(serviceDefinitions[name](), services[name]);
  const t = o.tls;
  // Buffers again: a thread receives them as plain Uint8Arrays, which grpc-js refuses.
  const credentials = t
    ? grpc.ServerCredentials.createSsl(t.ca && Buffer.from(t.ca), [{ cert_chain: Buffer.from(t.cert), private_key: Buffer.from(t.key) }], t.ca !== null)
    : grpc.ServerCredentials.createInsecure();
  return { server, credentials };
}

export function bindServer(server: grpc.Server, target: string, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => server.bindAsync(target, credentials, (err, port) => (err ? reject(err) : resolve(port))));
}

/** grpc-js on this thread. */
export function localTransport(o: TransportOptions, services: Services): GrpcTransport {
  const { server, credentials } = newGrpcServer(o, services);
  return {
    bind: (target) => bindServer(server, target, credentials),
    tryShutdown: (done) => server.tryShutdown(() => done()),
    forceShutdown: () => server.forceShutdown(),
    drain: () => Promise.resolve(), // the service reads what grpc-js holds itself
    failed: new Promise<never>(() => undefined),
    close: () => Promise.resolve(),
  };
}

// -- grpc-js on a thread of its own --------------------------------------------

/**
 * What the thread hands a stream's handlers ahead of their taking it: past
 * either bound it stops reading that stream. Bytes bound the memory (one
 * message more at most); the count bounds a flood of tiny messages.
 */
export const READ_AHEAD_BYTES = 1 << 20;
export const READ_AHEAD_MESSAGES = 256;

/** A message crossing: bytes (raw methods, moved) or a plain object (cloned). */
export type Payload = { bytes: ArrayBuffer } | { object: unknown };

export type ToThread =
  | { op: 'bind'; target: string }
  | { op: 'write'; call: number; message: Payload }
  | { op: 'end'; call: number }
  | { op: 'status'; call: number; status: { code: number; details: string } }
  | { op: 'reply'; call: number; error: { code: number; details: string } | null; value?: unknown }
  | { op: 'ack'; call: number }
  | { op: 'tryShutdown' }
  | { op: 'forceShutdown' }
  | { op: 'drain' };

export type CallEvent = 'end' | 'cancelled' | 'close' | 'error';

export type FromThread =
  | { op: 'bound'; port: number }
  | { op: 'bindFailed'; message: string }
  | { op: 'call'; call: number; service: ServiceName; method: string; request?: unknown; unary: boolean }
  | { op: 'data'; call: number; message: Payload }
  | { op: 'event'; call: number; event: CallEvent; error?: { code?: number; details?: string; message?: string } }
  | { op: 'drained' }
  | { op: 'shutDown' }
  | { op: 'log'; line: string };

export interface ThreadData {
  options: TransportOptions;
}

/**
 * Messages to the other thread, sent together when this turn's work is done:
 * one postMessage per turn rather than per message (an answer and the
 * acknowledgement of its batch travel as one).
 */
export class Outbox<T> {
  private messages: T[] = [];
  private transfer: ArrayBuffer[] = [];

  constructor(private readonly port: { postMessage(messages: T[], transfer: ArrayBuffer[]): void }) {}

  post(message: T, transfer: ArrayBuffer[] = []): void {
    if (this.messages.push(message) === 1) queueMicrotask(() => this.flush());
    for (const t of transfer) this.transfer.push(t);
  }

  private flush(): void {
    const messages = this.messages;
    const transfer = this.transfer;
    this.messages = [];
    this.transfer = [];
    this.port.postMessage(messages, transfer);
  }
}

/** A message as it crosses: bytes copied into an ArrayBuffer of their own, which is moved (never a view of grpc-js's or a pool's memory). */
export function payloadOf(message: unknown): { payload: Payload; transfer: ArrayBuffer[] } {
  if (!(message instanceof Uint8Array)) return { payload: { object: message }, transfer: [] };
  const bytes = new ArrayBuffer(message.length);
  new Uint8Array(bytes).set(message);
  return { payload: { bytes }, transfer: [bytes] };
}

export function messageOf(payload: Payload): unknown {
  return 'bytes' in payload ? Buffer.from(payload.bytes) : payload.object;
}

/**
 * A call relayed from the thread, as the handlers see a grpc-js call: 'data',
 * 'end', 'cancelled', 'close' and 'error' events; write, end, pause, resume,
 * read; and emit('error', status) to end it with a status. Messages arriving
 * while paused wait here; the thread stops reading once READ_AHEAD_BYTES of
 * them are not yet handed over, so flow control reaches the client as before.
 */
class RelayedCall extends EventEmitter {
  private readonly waiting: unknown[] = [];
  private paused = false;
  private endPending = false;

  constructor(
    private readonly id: number,
    readonly request: unknown,
    private readonly post: (m: ToThread, transfer?: ArrayBuffer[]) => void,
  ) {
    super();
  }

  /** A message from the thread. */
  arrived(message: unknown): void {
    if (this.paused || this.waiting.length > 0) this.waiting.push(message);
    else this.handOver(message);
  }

  /** An event of the call on the thread ('end' waits behind messages not yet handed over). */
  happened(event: CallEvent, error?: unknown): void {
    if (event === 'end' && (this.paused || this.waiting.length > 0)) this.endPending = true;
    else if (event !== 'error' || this.listenerCount('error') > 0) super.emit(event, error);
  }

  private handOver(message: unknown): void {
    super.emit('data', message);
    this.post({ op: 'ack', call: this.id });
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  isPaused(): boolean {
    return this.paused;
  }

  resume(): this {
    this.paused = false;
    while (!this.paused && this.waiting.length > 0) this.handOver(this.waiting.shift());
    if (!this.paused && this.endPending) {
      this.endPending = false;
      super.emit('end');
    }
    return this;
  }

  /** The next waiting message, handed to the 'data' listeners as grpc-js's read() does; null if none. */
  read(): unknown {
    if (this.waiting.length === 0) return null;
    const message = this.waiting.shift();
    this.handOver(message);
    return message;
  }

  write(message: unknown): boolean {
    const { payload, transfer } = payloadOf(message);
    this.post({ op: 'write', call: this.id, message: payload }, transfer);
    return true; // the thread stops reading this stream while its answers are not taken
  }

  end(): void {
    this.post({ op: 'end', call: this.id });
  }

  /** emit('error', status) ends the call with that status, as on a grpc-js call. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'error') return super.emit(event, ...args);
    const s = args[0] as { code?: number; details?: string };
    this.post({ op: 'status', call: this.id, status: { code: s.code ?? grpc.status.UNKNOWN, details: s.details ?? String(s) } });
    return this.listenerCount('error') > 0 ? super.emit('error', ...args) : false;
  }
}

/** grpc-js on a worker thread (`script`: transport-thread.ts's), relaying every call to `services` on this one. */
export function threadTransport(o: TransportOptions, services: Services, log: (line: string) => void, script = path.join(__dirname, 'transport-thread.js')): GrpcTransport {
  // The thread's objects are short-lived (batches are moved as ArrayBuffers, off its heap): a small
  // young generation keeps 20 MiB of RSS under load (soak: 129-133 MiB in 60 s, against 151-163 MiB in
  // 40 s with V8's default and 148-156 MiB with 4 MiB) at no cost measured in throughput.
  const worker = new Worker(script, { workerData: { options: o } satisfies ThreadData, resourceLimits: { maxYoungGenerationSizeMb: 2 } });
  const outbox = new Outbox<ToThread>(worker);
  const post = (m: ToThread, transfer?: ArrayBuffer[]) => outbox.post(m, transfer);
  const calls = new Map<number, RelayedCall>();
  let bound: { resolve: (port: number) => void; reject: (e: Error) => void } | undefined;
  let drained: (() => void) | undefined;
  let shutDown: (() => void) | undefined;
  let closing = false;
  let fail: (e: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined); // a caller that never asks must not see an unhandled rejection

  worker.on('message', (messages: FromThread[]) => messages.forEach(receive));
  function receive(m: FromThread): void {
    switch (m.op) {
      case 'call': {
        const handler = services[m.service][m.method] as (...args: unknown[]) => void;
        if (m.unary) {
          handler({ request: m.request }, (error: { code?: number; details?: string } | null, value?: unknown) => {
            const e = error && { code: error.code ?? grpc.status.UNKNOWN, details: error.details ?? String(error) };
            post({ op: 'reply', call: m.call, error: e, value });
          });
          return;
        }
        const call = new RelayedCall(m.call, m.request, post);
        calls.set(m.call, call);
        handler(call);
        return;
      }
      case 'data':
        calls.get(m.call)?.arrived(messageOf(m.message));
        return;
      case 'event': {
        const call = calls.get(m.call);
        if (!call) return;
        if (m.event === 'close') calls.delete(m.call);
        call.happened(m.event, m.error);
        return;
      }
      case 'bound':
        bound?.resolve(m.port);
        return;
      case 'bindFailed':
        bound?.reject(new Error(m.message));
        return;
      case 'drained':
        drained?.();
        return;
      case 'shutDown':
        shutDown?.();
        return;
      case 'log':
        log(m.line);
        return;
    }
  }
  worker.on('error', (e) => fail(new TransportFailure(`the gRPC thread failed: ${e.stack ?? e.message}`)));
  worker.on('exit', (code) => closing || fail(new TransportFailure(`the gRPC thread exited (code ${code})`)));

  return {
    bind: (target) =>
      Promise.race([
        failed,
        new Promise<number>((resolve, reject) => {
          bound = { resolve, reject };
          post({ op: 'bind', target });
        }),
      ]),
    tryShutdown: (done) => {
      shutDown = done;
      post({ op: 'tryShutdown' });
    },
    forceShutdown: () => post({ op: 'forceShutdown' }),
    drain: () =>
      Promise.race([
        failed,
        new Promise<void>((resolve) => {
          drained = resolve;
          post({ op: 'drain' });
        }),
      ]),
    failed,
    close: async () => {
      closing = true;
      await worker.terminate();
    },
  };
}
