// The signature host: Tracee's signature lifecycle in one place. Every edge
// (replay, gRPC service, Tracee client, the CI test runner) goes through it.
// It indexes selectors by (name, origin), hands each signature only what it
// selected, turns outputs into detection events and counts what it saw.
import type { Event } from '../model/event.js';
import type { DataSources, Signature, SignatureMetadata, SignatureOutput } from '../model/signature.js';
import { origin, stringArrayArg } from '../model/accessors.js';
import { FIRST_DETECTOR_EVENT_ID } from '../model/event-ids.js';
import { Counters } from './counters.js';
import { buildFinding } from './finding.js';

/** `trigger` is the event the finding was produced from (an encoder may reuse its bytes). */
export type FindingHandler = (finding: Event, metadata: SignatureMetadata, trigger: Event) => void;

interface Subscription {
  signature: Signature;
  origins: Set<string>; // "*" or origin names
}

export class SignatureHost {
  readonly counters: Counters;
  private readonly byName = new Map<string, Subscription[]>();
  private readonly anyName: Subscription[] = [];
  private readonly sources = new Set<string>();
  private readonly checksEnvironment: boolean;
  private closed = false;

  constructor(readonly signatures: Signature[], onFinding: FindingHandler, counters = new Counters(), dataSources?: DataSources) {
    this.counters = counters;
    signatures.forEach((signature, index) => {
      const eventId = FIRST_DETECTOR_EVENT_ID + index;
      for (const sel of signature.selectedEvents) {
        if (!sel.source) continue; // Tracee ignores selectors without a source
        this.sources.add(sel.source);
        const list = sel.name === '*' || sel.name === '' ? this.anyName : this.listFor(sel.name);
        let sub = list.find((s) => s.signature === signature);
        if (!sub) list.push((sub = { signature, origins: new Set() }));
        sub.origins.add(sel.origin || '*');
      }
      signature.init({
        emit: (output: SignatureOutput) => {
          this.counters.findings++;
          onFinding(buildFinding(signature.metadata, eventId, output), signature.metadata, output.trigger);
        },
        dataSources,
      });
    });
    this.checksEnvironment = signatures.some((s) => s.requires?.includes('environment'));
  }

  private listFor(name: string): Subscription[] {
    let list = this.byName.get(name);
    if (!list) this.byName.set(name, (list = []));
    return list;
  }

  /** Event names some signature selected: the only ones worth decoding. Undefined = all. */
  selectedNames(): Set<string> | undefined {
    return this.anyName.length > 0 ? undefined : new Set(this.byName.keys());
  }

  /** Hand one decoded event to the signatures that selected it. */
  dispatch(event: Event): void {
    this.counters.countEvent(event.name);
    if (this.checksEnvironment && event.name === 'sched_process_exec') {
      this.counters.execs++;
      const env = stringArrayArg(event, 'env');
      if (env && env.length > 0) this.counters.execsWithEnv++;
    }
    const named = this.byName.get(event.name);
    if (!named && this.anyName.length === 0) return;
    const o = origin(event);
    if (named) for (const sub of named) this.deliver(sub, o, event);
    for (const sub of this.anyName) this.deliver(sub, o, event);
  }

  private deliver(sub: Subscription, o: string, event: Event): void {
    if (!sub.origins.has('*') && !sub.origins.has(o)) return;
    this.counters.dispatched++;
    sub.signature.onEvent(event);
  }

  /** The input has ended: Tracee's SignalSourceComplete to every signature of that source. */
  sourceComplete(source = 'tracee'): void {
    if (!this.sources.has(source)) return;
    for (const s of this.signatures) {
      if (s.selectedEvents.some((sel) => sel.source === source)) s.onSignal({ kind: 'source-complete', source });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.signatures) s.close();
  }

  /** Signature counters, keyed by signature event name. */
  signatureCounters(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const s of this.signatures) if (s.counters) out[s.metadata.eventName] = s.counters();
    return out;
  }
}
