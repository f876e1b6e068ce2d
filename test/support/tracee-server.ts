// A Tracee-compatible gRPC server for tests: our own tracee.v1beta1.TraceeService
// over recorded events (JSON lines of either shape, read with our decoders and
// sent as protobuf). It behaves like a real Tracee of the chosen era where a
// client can tell:
//  - `v0.24` (v0.21 ... v0.24.1): EventId numbering 1014/1035/2019, every event
//    carries `detected_from` (an empty message when not a detection), syscall
//    events get an extra `returnValue` int64 data entry (pkg/server/grpc at v0.24.1);
//  - `main`: EventId numbering 1015/1036/2018, `detected_from` only on detections.
// Both: GetVersion answers the configured version; StreamEvents with policies
// delivers only events matched by one of them, and an unknown policy fails the
// call with status UNKNOWN "policy [NAME] not found", as Tracee's does; no policies
// = every event; Stop() ends open streams with status OK, as Tracee does when it
// shuts down; kill() drops connections, as when Tracee crashes. Field masks are
// not applied (tracee-sig sends none).
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { decodeJsonLine } from '../../src/decode/json.js';
import { legacySourceOf } from '../../src/decode/legacy.js';
import { protoEventObject } from '../../src/wire/event-encoder.js';
import { CURRENT_EVENT_IDS } from '../../src/model/event-ids.js';
import { protoType } from '../../src/wire/proto.js';
import { traceeServiceDefinition } from '../../src/wire/tracee-service.js';

export type TraceeEra = 'v0.24' | 'main';

/** Protobuf EventId values Tracee v0.21-v0.24.1 streamed (reference §3.8). */
const V024_EVENT_IDS: Record<string, number> = {
  sched_process_exec: 1014,
  security_socket_connect: 1035,
  container_create: 2018,
  container_remove: 2019,
  existing_container: 2020,
};

/**
 * Syscall events of the recordings tests use. Tracee decides by id range
 * (Definition.IsSyscall); these names are syscalls in every Tracee version.
 */
const SYSCALLS = new Set(['execve', 'execveat', 'connect', 'openat', 'open', 'read', 'write', 'close', 'socket', 'accept', 'accept4', 'bind']);

export interface TraceeServerOptions {
  /** grpc-js bind address: "unix:/path" or "127.0.0.1:0". */
  address: string;
  era: TraceeEra;
  /** GetVersion's answer; default "v0.24.1" (v0.24 era) or "v0.24.1-217-g7c9ec978" (main). */
  version?: string;
  /** Policies this Tracee knows; default: every name matched in the recordings sent. */
  policies?: string[];
  /** Recorded JSON lines streamed to each new StreamEvents call, in order. */
  onSubscribe?: string[];
}

interface OpenStream {
  call: grpc.ServerWritableStream<{ policies?: string[] }, unknown>;
  policies: Set<string> | undefined;
}

interface Prepared {
  bytes: Buffer; // serialized StreamEventsResponse
  matched: string[];
}

export class TraceeServer {
  readonly streams: OpenStream[] = [];
  /** Every StreamEvents request received, as its policies list. */
  readonly requests: string[][] = [];
  /** Messages written to clients. */
  sent = 0;
  private readonly server = new grpc.Server();
  private readonly subscribeEvents: Prepared[];
  private readonly knownPolicies: Set<string> | undefined;
  private streamWaiters: (() => void)[] = [];
  boundPort = 0;

  private constructor(readonly options: TraceeServerOptions) {
    this.subscribeEvents = (options.onSubscribe ?? []).map((l) => prepare(l, options.era));
    this.knownPolicies = options.policies ? new Set(options.policies) : undefined;
    this.server.addService(traceeServiceDefinition(), {
      GetVersion: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, { version: this.version }),
      StreamEvents: (call: grpc.ServerWritableStream<{ policies?: string[] }, unknown>) => this.streamEvents(call),
    });
  }

  get version(): string {
    return this.options.version ?? (this.options.era === 'v0.24' ? 'v0.24.1' : 'v0.24.1-217-g7c9ec978');
  }

  static async start(options: TraceeServerOptions): Promise<TraceeServer> {
    const s = new TraceeServer(options);
    // Tracee removes a stale socket file before listening.
    if (options.address.startsWith('unix:')) fs.rmSync(options.address.slice('unix:'.length), { force: true });
    s.boundPort = await new Promise<number>((resolve, reject) =>
      s.server.bindAsync(options.address, grpc.ServerCredentials.createInsecure(), (e, port) => (e ? reject(e) : resolve(port))),
    );
    return s;
  }

  private streamEvents(call: grpc.ServerWritableStream<{ policies?: string[] }, unknown>): void {
    const requested = call.request.policies ?? [];
    this.requests.push(requested);
    const known = this.knownPolicies ?? new Set(this.subscribeEvents.flatMap((e) => e.matched));
    const unknown = requested.find((p) => !known.has(p));
    if (unknown !== undefined) {
      call.emit('error', { code: grpc.status.UNKNOWN, details: `policy [${unknown}] not found` });
      return;
    }
    const stream: OpenStream = { call, policies: requested.length ? new Set(requested) : undefined };
    this.streams.push(stream);
    call.on('cancelled', () => this.forget(stream));
    call.on('close', () => this.forget(stream));
    for (const e of this.subscribeEvents) this.write(stream, e);
    const waiters = this.streamWaiters;
    this.streamWaiters = [];
    for (const w of waiters) w();
  }

  private forget(stream: OpenStream): void {
    const i = this.streams.indexOf(stream);
    if (i >= 0) this.streams.splice(i, 1);
  }

  private write(stream: OpenStream, e: Prepared): void {
    if (stream.policies && !e.matched.some((p) => stream.policies!.has(p))) return;
    stream.call.write(e.bytes);
    this.sent++;
  }

  /** Streams recorded lines to every open StreamEvents call. */
  send(lines: string[]): void {
    const prepared = lines.map((l) => prepare(l, this.options.era));
    for (const s of this.streams) for (const e of prepared) this.write(s, e);
  }

  /** Sends bytes as one StreamEventsResponse message to every open stream (e.g. a malformed one). */
  sendRaw(bytes: Buffer): void {
    for (const s of this.streams) {
      s.call.write(bytes);
      this.sent++;
    }
  }

  /** Resolves once at least one StreamEvents call is open. */
  async waitForStream(): Promise<void> {
    if (this.streams.length > 0) return;
    await new Promise<void>((resolve) => this.streamWaiters.push(resolve));
  }

  /** Tracee shutting down: open streams end with status OK, then the server stops. */
  async stop(): Promise<void> {
    for (const s of [...this.streams]) s.call.end();
    this.streams.length = 0;
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }

  /** Tracee crashing: connections dropped at once. */
  kill(): void {
    this.streams.length = 0;
    this.server.forceShutdown();
  }
}

/** One recorded line as the StreamEventsResponse bytes a Tracee of `era` would send. */
export function prepare(line: string, era: TraceeEra): Prepared {
  const { event } = decodeJsonLine(line);
  const message = protoEventObject(event);
  const ids = era === 'v0.24' ? V024_EVENT_IDS : CURRENT_EVENT_IDS;
  message.id = ids[event.name] ?? event.id;
  // Tracee fills policies.matched; CLI-only runs match the policy named "".
  message.policies = { matched: event.policies?.matched ?? [] };
  if (era === 'v0.24') {
    message.detected_from ??= {};
    if (SYSCALLS.has(event.name)) {
      const rv = legacySourceOf(event)?.object.returnValue;
      (message.data as unknown[]).push({ name: 'returnValue', int64: String(typeof rv === 'number' ? rv : 0) });
    }
  }
  const type = protoType('tracee.v1beta1.StreamEventsResponse');
  const bytes = type.encode(type.fromObject({ event: message })).finish();
  return { bytes: Buffer.from(bytes), matched: event.policies?.matched ?? [] };
}
