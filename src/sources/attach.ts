// Attaches to a live Tracee through its own gRPC service: GetVersion, then
// TraceeService.StreamEvents, every event through the one SignatureHost.
//
// Reading must never stall Tracee: a slow StreamEvents client back-pressures
// Tracee's whole pipeline. So messages are unwrapped without copying, events no
// signature selected are skipped by name straight from the bytes, the rest are
// decoded and dispatched synchronously; the stream pauses only when the findings
// output is over its bound. When Tracee is not there or goes away, attach
// reconnects with exponential backoff and jitter; the host (and so what the
// signatures learned) lives across reconnects.
import * as grpc from '@grpc/grpc-js';
import { DecodeError, decodeFailureKind } from '../decode/errors.js';
import { eventFromProtoMessage } from '../wire/event-decoder.js';
import { decodeWireEvent, eventBytesOfResponse } from '../wire/lazy-reader.js';
import type { MalformedKind } from '../host/counters.js';
import type { SignatureHost } from '../host/host.js';
import { hostSummary, warnings } from '../host/summary.js';
import type { Event } from '../model/event.js';
import { protoType } from '../wire/proto.js';
import { traceeMethod } from '../wire/tracee-service.js';

export const DEFAULT_TRACEE_ADDRESS = 'unix:///var/run/tracee.sock';

/** Where Tracee's gRPC server listens: a grpc-js target and the text the user gave. */
export interface TraceeAddress {
  target: string;
  display: string;
  /** The socket path, for unix addresses (used to explain connection errors). */
  socketPath?: string;
}

/**
 * `unix:///abs/path`, `unix:PATH` (Tracee's own flag syntax), `tcp://HOST:PORT`,
 * `tcp:HOST:PORT` or `tcp:PORT` (loopback). Throws an Error saying what is wrong.
 */
export function parseTraceeAddress(text: string): TraceeAddress {
  if (text.startsWith('unix:')) {
    const path = text.startsWith('unix://') ? text.slice('unix://'.length) : text.slice('unix:'.length);
    if (text.startsWith('unix://') && !path.startsWith('/')) throw new Error(`"${text}": unix:// needs an absolute path, e.g. unix:///var/run/tracee.sock`);
    if (path === '') throw new Error(`"${text}": no socket path after unix:`);
    return { target: `unix:${path}`, display: text, socketPath: path };
  }
  if (text.startsWith('tcp:')) {
    const rest = text.startsWith('tcp://') ? text.slice('tcp://'.length) : text.slice('tcp:'.length);
    const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):)?(\d+)$/.exec(rest);
    if (!m) throw new Error(`"${text}": expected tcp://HOST:PORT (IPv6 hosts in brackets, e.g. tcp://[::1]:4466)`);
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw new Error(`"${text}": port ${m[2]} is not between 1 and 65535`);
    const host = m[1] ?? '127.0.0.1';
    return { target: `${host}:${port}`, display: text };
  }
  throw new Error(`"${text}": expected unix:///PATH or tcp://HOST:PORT`);
}

export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
  /** Retries allowed after consecutive failures; undefined = retry for ever. */
  maxRetries?: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 500, maxMs: 30_000 };

/**
 * The wait before retry `n` (1-based): "equal jitter" on an exponential base,
 * drawn between half and all of min(maxMs, initialMs * 2^(n-1)). Successive
 * waits never shrink until the cap, and clients restarted together spread out.
 */
export function retryDelayMs(n: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(n - 1, 40));
  return Math.round(base / 2 + random() * (base / 2));
}

export type AttachResult =
  | { kind: 'stopped' }
  | { kind: 'gave-up'; attempts: number; reason: string }
  /** Tracee refused the request itself (an unknown policy): retrying cannot help. */
  | { kind: 'rejected'; reason: string }
  /** The server speaks gRPC but has no StreamEvents (UNIMPLEMENTED): not Tracee; retrying cannot help. */
  | { kind: 'not-tracee'; reason: string };

export type AttachLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface AttachOptions {
  address: TraceeAddress;
  /** Policy names for StreamEvents; empty = events of every policy. */
  policies: string[];
  retry: RetryPolicy;
  /** One line per state change, without a trailing newline; `level` defaults to info. */
  log(line: string, level?: AttachLogLevel): void;
  /**
   * Asked after each dispatched event: a promise while the findings output is
   * over its bound; the stream pauses until it settles (Tracee then blocks
   * rather than anything being dropped).
   */
  outputBackpressure?(): Promise<void> | undefined;
  random?: () => number;
}

/** A stream open this long counts as a good connection even without events. */
const HEALTHY_AFTER_MS = 10_000;
const GET_VERSION_DEADLINE_MS = 5_000;
/** Sched_process_exec events without any environment before the run-time warning. */
export const ENV_WARNING_AFTER_EXECS = 5;

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  // Tracee's events are small, but one oversized event must not break the stream.
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  // Our own loop decides when to reconnect; one channel per connection attempt.
  'grpc.enable_retries': 0,
};

type Outcome =
  | { kind: 'stopped' }
  | { kind: 'failed'; reason: string; healthy: boolean }
  | { kind: 'rejected'; reason: string }
  | { kind: 'not-tracee'; reason: string };

export class TraceeAttachment {
  /** Tracee's version from the last successful GetVersion. */
  version?: string;
  connections = 0;
  /** Connection attempts after a failed attempt or a lost stream. */
  reconnects = 0;
  messages = 0;
  /** True while a StreamEvents call is open on a Tracee that answered (what readiness reports). */
  streaming = false;
  /** Why not streaming, in one line (for readiness). */
  notStreamingBecause = 'not connected to Tracee yet';
  private stopped = false;
  private cancelActive?: () => void;
  private wakeUp?: () => void;
  private readonly selected: Set<string> | undefined;
  private warnedAboutEnv = false;
  private warnedAboutMalformed = false;
  private lastFailure = '';

  constructor(private readonly host: SignatureHost, private readonly opts: AttachOptions) {
    this.selected = host.selectedNames();
  }

  /** Connects, streams and reconnects until stop(), a rejection, or --max-retries used up. */
  async run(): Promise<AttachResult> {
    const { retry, address } = this.opts;
    const policies = this.opts.policies.length ? this.opts.policies.join(', ') : 'all';
    this.opts.log(`attaching to Tracee at ${address.display} (policies: ${policies})`);
    let failures = 0;
    for (;;) {
      const outcome = await this.connectOnce();
      this.streaming = false;
      if (outcome.kind !== 'stopped') this.notStreamingBecause = outcome.reason;
      if (outcome.kind === 'stopped' || this.stopped) return { kind: 'stopped' };
      if (outcome.kind === 'rejected' || outcome.kind === 'not-tracee') return outcome;
      if (outcome.healthy) failures = 0;
      failures++;
      if (retry.maxRetries !== undefined && failures > retry.maxRetries) {
        this.opts.log(`giving up: ${outcome.reason}; ${failures} attempt(s) in a row failed and --max-retries ${retry.maxRetries} is used up`, 'error');
        return { kind: 'gave-up', attempts: failures, reason: outcome.reason };
      }
      const delay = retryDelayMs(failures, retry, this.opts.random);
      const of = retry.maxRetries !== undefined ? `/${retry.maxRetries}` : '';
      this.opts.log(`${outcome.reason}; retry ${failures}${of} in ${delay} ms`, 'warn');
      await this.sleep(delay);
      if (this.stopped) return { kind: 'stopped' };
      this.reconnects++;
    }
  }

  /** Ends the stream (or the wait) now; run() then resolves with { kind: 'stopped' }. */
  stop(): void {
    this.stopped = true;
    this.streaming = false;
    this.notStreamingBecause = 'stopping';
    this.cancelActive?.();
    this.wakeUp?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async connectOnce(): Promise<Outcome> {
    this.opts.log(`connecting to Tracee at ${this.opts.address.display} (attempt ${this.reconnects + 1})`, 'debug');
    const client = new grpc.Client(this.opts.address.target, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    try {
      const version = await this.getVersion(client);
      if (this.stopped) return { kind: 'stopped' };
      if (version.kind === 'unreachable') return { kind: 'failed', reason: this.unreachable(version.error), healthy: false };
      this.connections++;
      this.lastFailure = '';
      if (version.kind === 'ok') {
        this.version = version.version;
        this.opts.log(`connected to Tracee ${version.version || '(version not set in this build)'} at ${this.opts.address.display}`);
        const old = tooOld(version.version);
        if (old) this.opts.log(old, 'warn');
      } else {
        this.opts.log(`connected to ${this.opts.address.display}, but GetVersion failed (${version.error.details || grpc.status[version.error.code]}); streaming anyway`, 'warn');
      }
      return await this.stream(client);
    } finally {
      this.cancelActive = undefined;
      client.close();
    }
  }

  private getVersion(client: grpc.Client): Promise<{ kind: 'ok'; version: string } | { kind: 'unreachable' | 'error'; error: grpc.ServiceError }> {
    const m = traceeMethod('GetVersion');
    return new Promise((resolve) => {
      const call = client.makeUnaryRequest(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        {},
        new grpc.Metadata(),
        { deadline: Date.now() + GET_VERSION_DEADLINE_MS },
        (error, response) => {
          if (!error) resolve({ kind: 'ok', version: String((response as { version?: string })?.version ?? '') });
          else if (isConnectionError(error)) resolve({ kind: 'unreachable', error });
          else resolve({ kind: 'error', error });
        },
      );
      this.cancelActive = () => call.cancel();
    });
  }

  /** Why Tracee could not be reached, with the hint on the first failure of a kind. */
  private unreachable(error: grpc.ServiceError): string {
    const why = describeConnectionError(error, this.opts.address);
    const first = why !== this.lastFailure;
    this.lastFailure = why;
    const hint = first ? " (is Tracee running with its gRPC server on? see 'tracee-sig attach --help')" : '';
    return `cannot reach Tracee at ${this.opts.address.display}: ${why}${hint}`;
  }

  private stream(client: grpc.Client): Promise<Outcome> {
    const m = traceeMethod('StreamEvents');
    const opened = Date.now();
    let received = 0;
    return new Promise((resolve) => {
      // Raw deserializer: the message is unwrapped and decoded by handle(), which can skip it.
      const call = client.makeServerStreamRequest<unknown, Buffer>(m.path, m.requestSerialize, (b: Buffer) => b, { policies: this.opts.policies }, new grpc.Metadata(), {});
      this.cancelActive = () => call.cancel();
      // Tracee answered GetVersion and the call is open: as ready as a client can tell
      // (Tracee sends nothing, not even headers, until its first event).
      this.streaming = !this.stopped;
      let status: grpc.StatusObject | undefined;
      let ended = false;
      const finish = (): void => {
        if (!status || !ended) return;
        if (this.stopped) return resolve({ kind: 'stopped' });
        const rejected = policyRejection(status);
        if (rejected) return resolve({ kind: 'rejected', reason: rejected });
        if (status.code === grpc.status.UNIMPLEMENTED) return resolve({ kind: 'not-tracee', reason: this.streamEnded(status) });
        const healthy = received > 0 || Date.now() - opened >= HEALTHY_AFTER_MS;
        resolve({ kind: 'failed', reason: this.streamEnded(status), healthy });
      };
      call.on('data', (raw: Buffer) => {
        received++;
        this.handle(raw);
        const waiting = this.opts.outputBackpressure?.();
        if (waiting) {
          call.pause();
          void waiting.then(() => call.resume());
        }
      });
      call.on('error', () => undefined); // the same status arrives on 'status'
      call.on('status', (s: grpc.StatusObject) => {
        status = s;
        finish();
      });
      call.on('end', () => {
        ended = true;
        finish();
      });
    });
  }

  private streamEnded(status: grpc.StatusObject): string {
    const where = `Tracee at ${this.opts.address.display}`;
    if (status.code === grpc.status.OK) return `${where} ended the event stream (Tracee stopping or restarting?)`;
    if (status.code === grpc.status.UNIMPLEMENTED) {
      return `${where} does not serve tracee.v1beta1.TraceeService/StreamEvents (${status.details}); is this Tracee v0.20 or later with its gRPC server on?`;
    }
    return `event stream from ${where} broke: ${grpc.status[status.code] ?? status.code}: ${status.details}`;
  }

  /** One StreamEventsResponse, as bytes: skip by name, or decode and dispatch. */
  private handle(raw: Buffer): void {
    const counters = this.host.counters;
    this.messages++;
    counters.lines++;
    const bytes = eventBytesOfResponse(raw);
    let event: Event;
    try {
      // The same lazy decoder as serve: the head (name, timestamp) now, each
      // argument only when a signature reads it; unselected events stop here.
      event = bytes ? decodeWireEvent(bytes) : decodeResponse(raw);
    } catch (e) {
      this.malformed(e instanceof DecodeError ? e.message : `cannot decode: ${(e as Error).message}`, decodeFailureKind(e, 'protobuf'));
      return;
    }
    if (this.selected && !this.selected.has(event.name)) {
      counters.countEvent(event.name);
      return;
    }
    try {
      this.host.dispatch(event);
    } catch (e) {
      // A part read lazily may turn out unreadable; a signature bug must not stop the stream either.
      if (e instanceof DecodeError) this.malformed(e.message, decodeFailureKind(e, 'protobuf'));
      else this.malformed(`signature error: ${(e as Error).message}`, 'signature_error');
    }
    if (!this.warnedAboutEnv && [...counters.enrichments.values()].some((n) => n.seen >= ENV_WARNING_AFTER_EXECS && n.carried === 0)) {
      this.warnedAboutEnv = true;
      for (const w of warnings(hostSummary(this.host))) this.opts.log(w.replace(/^warning: /, ''), 'warn');
    }
  }

  private malformed(reason: string, kind: MalformedKind): void {
    const where = `Tracee stream message ${this.messages}`;
    this.host.counters.countMalformed(where, reason, kind);
    if (!this.warnedAboutMalformed) {
      this.warnedAboutMalformed = true;
      this.opts.log(`skipped an event that could not be read (${where}: ${reason}); the summary at exit counts all such events`, 'warn');
    }
  }
}

/** The full decoder, for responses the byte walker would not unwrap. */
function decodeResponse(raw: Buffer): Event {
  const type = protoType('tracee.v1beta1.StreamEventsResponse');
  let msg: Record<string, unknown>;
  try {
    msg = type.decode(raw) as unknown as Record<string, unknown>;
  } catch (e) {
    throw new DecodeError('', `not a valid tracee.v1beta1.StreamEventsResponse: ${(e as Error).message}`);
  }
  if (!msg.event) throw new DecodeError('event', 'StreamEventsResponse without an event');
  return eventFromProtoMessage(msg.event as Record<string, unknown>);
}

function isConnectionError(e: grpc.ServiceError): boolean {
  return e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED;
}

function describeConnectionError(e: grpc.ServiceError, address: TraceeAddress): string {
  const d = e.details ?? '';
  if (e.code === grpc.status.DEADLINE_EXCEEDED) return `no answer within ${GET_VERSION_DEADLINE_MS} ms`;
  if (/ENOENT/.test(d)) return `no socket at ${address.socketPath ?? address.display}`;
  if (/EACCES|EPERM/.test(d)) {
    return `permission denied on ${address.socketPath ?? address.display} (Tracee v0.24+ makes its socket readable by its own user only: run attach as root or as Tracee's user)`;
  }
  if (/ECONNREFUSED/.test(d)) return 'connection refused';
  return d || grpc.status[e.code];
}

/** Tracee answers an unknown policy with "policy [NAME] not found" (status UNKNOWN). */
function policyRejection(status: grpc.StatusObject): string | undefined {
  if (status.code === grpc.status.OK) return undefined;
  const m = /policy \[(.*)\] not found/.exec(status.details ?? '');
  if (!m) return undefined;
  return `Tracee has no policy named "${m[1]}" (it answered: ${status.details}); --policy must name a policy Tracee was started with`;
}

/** A warning for Tracee versions whose event schema tracee-sig cannot read. */
function tooOld(version: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)\./.exec(version);
  if (!m || Number(m[1]) > 0 || Number(m[2]) >= 20) return undefined;
  return `Tracee ${version} streams the v0.18-v0.19 event schema (event data as a map), which tracee-sig cannot read correctly; use Tracee v0.20 or later`;
}
