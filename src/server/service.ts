// tracee.sig.v1.SignatureService over one SignatureHost shared by every
// stream: state belongs to the service, so a host that reconnects, or two
// streams from one node, share what the signatures learned.
//
// OnEvents: each EventBatch is walked as bytes; events no signature selected
// are counted and skipped undecoded, the others decoded lazily (only what a
// signature reads) and dispatched; exactly one FindingBatch answers each
// EventBatch, in order. A stream whose host does not read its answers is
// paused (HTTP/2 flow control then slows the host): memory stays bounded.
import * as grpc from '@grpc/grpc-js';
import type { Event } from '../model/event.js';
import type { DataSources, Signature, SignatureMetadata } from '../model/signature.js';
import { SignatureHost } from '../host/host.js';
import { DecodeError, decodeFailureKind } from '../decode/errors.js';
import { readEventHead, WireEvent, type EventHead } from '../wire/lazy-reader.js';
import { protoEventObject } from '../wire/event-encoder.js';
import type { FindingWriter } from '../sources/finding-writer.js';
import { eventRanges } from '../wire/services.js';
import { FindingBatchWriter } from '../wire/finding-encoder.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type EventsCall = grpc.ServerDuplexStream<Buffer, Buffer>;

/** Where findings produced by the event being dispatched go: an OnEvents answer, or OnSignal's response. */
type Collector = { batch: FindingBatchWriter; index: number } | { events: Event[] };

interface EventStream {
  id: number;
  call: EventsCall;
  batches: number;
  answered: number;
  pausedFor: number; // reasons the stream is paused (answers not taken, findings log full)
  done: boolean;
}

export interface ServiceStats {
  streamsOpened: number;
  streamsActive: number;
  batchesAnswered: number;
  eventsReceived: number;
  eventsUnusable: number;
}

export class SignatureService {
  readonly host: SignatureHost;
  private readonly selected: Set<string> | undefined;
  private collector: Collector | undefined;
  /** The answer being written (one batch at a time: processing is synchronous). */
  private readonly answer = new FindingBatchWriter();
  private readonly streams = new Set<EventStream>();
  private nextStreamId = 1;
  private shuttingDown = false;
  readonly stats: ServiceStats = { streamsOpened: 0, streamsActive: 0, batchesAnswered: 0, eventsReceived: 0, eventsUnusable: 0 };

  constructor(signatures: Signature[], private readonly findingsLog?: FindingWriter, dataSources?: DataSources) {
    this.host = new SignatureHost(signatures, (finding, meta, trigger) => this.onFinding(finding, meta, trigger), undefined, dataSources);
    this.selected = this.host.selectedNames();
  }

  private onFinding(finding: Event, meta: SignatureMetadata, trigger: Event): void {
    this.findingsLog?.write(finding, meta);
    const c = this.collector;
    if (!c) return; // cannot happen: findings only come from dispatch and signals, both collected
    if ('batch' in c) c.batch.add(finding, trigger, c.index);
    else c.events.push(finding);
  }

  handlers(): grpc.UntypedServiceImplementation {
    return {
      GetMetadata: (_call: grpc.ServerUnaryCall<Obj, Obj>, callback: grpc.sendUnaryData<Obj>) => {
        callback(null, { signatures: this.host.signatures.map((s) => metadataMessage(s.metadata)) });
      },
      GetSelectedEvents: (_call: grpc.ServerUnaryCall<Obj, Obj>, callback: grpc.sendUnaryData<Obj>) => {
        const selectors = this.host.signatures.flatMap((s) =>
          s.selectedEvents.map((e) => ({ source: e.source, name: e.name, origin: e.origin, signature_id: s.metadata.id })),
        );
        callback(null, { selectors });
      },
      OnSignal: (call: grpc.ServerUnaryCall<Obj, Obj>, callback: grpc.sendUnaryData<Obj>) => {
        const sc = call.request.source_complete;
        if (!sc) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: 'Signal has no signal set; the one known signal is source_complete' });
          return;
        }
        const events: Event[] = [];
        this.collector = { events };
        try {
          this.host.sourceComplete(sc.source || 'tracee');
        } finally {
          this.collector = undefined;
        }
        callback(null, { findings: events.map(protoEventObject) });
      },
      OnEvents: (call: EventsCall) => this.openStream(call),
    };
  }

  private openStream(call: EventsCall): void {
    if (this.shuttingDown) {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'tracee-sig is shutting down' });
      return;
    }
    const stream: EventStream = { id: this.nextStreamId++, call, batches: 0, answered: 0, pausedFor: 0, done: false };
    this.streams.add(stream);
    this.stats.streamsOpened++;
    this.stats.streamsActive++;
    const forget = () => {
      if (stream.done) return;
      stream.done = true;
      this.streams.delete(stream);
      this.stats.streamsActive--;
    };
    call.on('data', (bytes: Buffer) => this.onBatch(stream, bytes));
    call.on('end', () => {
      // The host half-closed: every batch it sent is answered (processing is synchronous).
      if (!stream.done) call.end();
      forget();
    });
    call.on('cancelled', forget);
    call.on('close', forget);
    call.on('error', forget);
  }

  private onBatch(stream: EventStream, bytes: Buffer): void {
    if (stream.done) return;
    const batchNo = ++stream.batches;
    let heads: EventHead[];
    try {
      const ranges = eventRanges(bytes);
      heads = new Array(ranges.length / 2);
      for (let i = 0; i < ranges.length; i += 2) {
        try {
          heads[i / 2] = readEventHead(bytes, ranges[i], ranges[i + 1]);
        } catch (e) {
          throw new Error(`event ${i / 2}: ${(e as Error).message}`);
        }
      }
    } catch (e) {
      this.fail(stream, grpc.status.INVALID_ARGUMENT, `batch ${batchNo} (${bytes.length} bytes) is not a valid tracee.sig.v1.EventBatch: ${(e as Error).message}; earlier batches were answered`);
      return;
    }
    const c = { batch: this.answer, index: 0 };
    c.batch.clear();
    let unusable = 0;
    const counters = this.host.counters;
    this.collector = c;
    try {
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i];
        if (head.name === '') {
          unusable++;
          counters.countMalformed(`stream ${stream.id} batch ${batchNo} event ${i}`, 'name: missing or empty', 'field');
          continue;
        }
        if (this.selected && !this.selected.has(head.name)) {
          counters.countEvent(head.name); // no signature selected it: counted, never decoded
          continue;
        }
        c.index = i;
        try {
          this.host.dispatch(new WireEvent(bytes, head));
        } catch (e) {
          // Bad nested bytes, or a signature bug: this event is lost, the stream goes on.
          unusable++;
          const kind = e instanceof DecodeError ? decodeFailureKind(e, 'protobuf') : 'signature_error';
          counters.countMalformed(`stream ${stream.id} batch ${batchNo} event ${i} (${head.name})`, (e as Error).message, kind);
        }
      }
    } finally {
      this.collector = undefined;
    }
    this.stats.eventsReceived += heads.length;
    this.stats.eventsUnusable += unusable;
    const findings = c.batch.count;
    const answer = c.batch.finish(heads.length, unusable);
    stream.answered++;
    this.stats.batchesAnswered++;
    if (!stream.call.write(answer)) this.pauseUntil(stream, new Promise((resolve) => stream.call.once('drain', resolve)));
    if (this.findingsLog && findings > 0) this.pauseUntil(stream, this.findingsLog.ready());
  }

  /** Stops reading the stream until `until` settles (backpressure from its answers or the log). */
  private pauseUntil(stream: EventStream, until: Promise<unknown>): void {
    if (stream.pausedFor++ === 0) stream.call.pause();
    // Settled either way: a findings log that failed (disk full) must neither stall
    // the stream nor crash the service with an unhandled rejection; serve reports it.
    const settled = () => {
      if (--stream.pausedFor === 0 && !stream.done && !this.shuttingDown) stream.call.resume();
    };
    until.then(settled, settled);
  }

  private fail(stream: EventStream, code: grpc.status, details: string): void {
    stream.done = true;
    this.streams.delete(stream);
    this.stats.streamsActive--;
    stream.call.pause();
    stream.call.emit('error', { code, details });
  }

  /**
   * Stop: answer every batch already received on every stream, then end the
   * streams with UNAVAILABLE (a host should reconnect to another instance).
   */
  shutdown(): void {
    this.shuttingDown = true;
    for (const stream of [...this.streams]) {
      stream.call.pause();
      // read() hands each buffered batch to the 'data' listener (onBatch).
      while (!stream.done && stream.call.read() !== null);
      if (stream.done) continue;
      stream.done = true;
      this.streams.delete(stream);
      this.stats.streamsActive--;
      stream.call.emit('error', { code: grpc.status.UNAVAILABLE, details: `tracee-sig is shutting down; all ${stream.answered} batches received on this stream were answered` });
    }
  }
}

function metadataMessage(m: SignatureMetadata): Obj {
  return {
    id: m.id,
    version: m.version,
    name: m.name,
    event_name: m.eventName,
    description: m.description,
    tags: m.tags,
    properties: {
      ...Object.fromEntries(Object.entries(m.properties).map(([k, v]) => [k, String(v)])),
      Severity: String(m.severity),
      Category: m.category,
      Technique: m.mitre.technique.name,
      external_id: m.mitre.technique.id,
    },
    severity: m.severity,
    category: m.category,
    mitre: { tactic: { name: m.mitre.tactic }, technique: { id: m.mitre.technique.id, name: m.mitre.technique.name } },
  };
}
