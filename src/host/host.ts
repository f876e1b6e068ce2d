// The signature host: Tracee's signature lifecycle in one place. Every edge
// (replay, gRPC service, Tracee client, the CI test runner) goes through it.
// It indexes selectors by (name, origin), hands each signature only what it
// selected, turns outputs into detection events and counts what it saw.
import { performance } from 'node:perf_hooks';
import type { Event, Origin } from '../model/event.js';
import type { DataSources, Signature, SignatureMetadata, SignatureOutput } from '../model/signature.js';
import { origin } from '../model/accessors.js';
import { ENRICHMENTS, type Enrichment } from '../model/enrichments.js';
import { FIRST_DETECTOR_EVENT_ID } from '../model/event-ids.js';
import { Counters } from './counters.js';
import { findingBuilder } from './finding.js';

/** `trigger` is the event the finding was produced from (an encoder may reuse its bytes). */
export type FindingHandler = (finding: Event, metadata: SignatureMetadata, trigger: Event) => void;

/** Receives the time one dispatch took, in seconds (metrics implement it; the host stays library-free). */
export interface DispatchTimer {
  observe(seconds: number): void;
}

export type OriginCounts = Record<Origin, number>;

interface Subscription {
  signature: Signature;
  index: number;
  origins: Set<string>; // "*" or origin names
}

/** The signatures that selected one event name, and how many events of that name came from each origin. */
interface Selection {
  subscriptions: Subscription[];
  byOrigin: OriginCounts;
}

const noOrigins = (): OriginCounts => ({ host: 0, container: 0, 'container-init': 0 });

export class SignatureHost {
  readonly counters: Counters;
  /** Per signature (same order as `signatures`): findings emitted, events dispatched, events it threw on, seconds in it (timed with metrics on). */
  readonly findingsBySignature: number[];
  readonly dispatchedBySignature: number[];
  readonly errorsBySignature: number[];
  readonly secondsBySignature: number[];
  private readonly byName = new Map<string, Selection>();
  private readonly anyName: Subscription[] = [];
  /** Origins of events only "*" selectors took (no named selection to count them on). */
  private readonly otherOrigins = new Map<string, OriginCounts>();
  private timer?: DispatchTimer;
  private readonly sources = new Set<string>();
  /** Enrichments some signature requires, by the event that carries them. */
  private readonly enrichmentChecks = new Map<string, { enrichment: Enrichment; counts: { seen: number; carried: number } }[]>();
  private closed = false;

  constructor(readonly signatures: Signature[], onFinding: FindingHandler, counters = new Counters(), dataSources?: DataSources) {
    this.counters = counters;
    this.findingsBySignature = signatures.map(() => 0);
    this.dispatchedBySignature = signatures.map(() => 0);
    this.errorsBySignature = signatures.map(() => 0);
    this.secondsBySignature = signatures.map(() => 0);
    signatures.forEach((signature, index) => {
      const eventId = FIRST_DETECTOR_EVENT_ID + index;
      for (const sel of signature.selectedEvents) {
        if (!sel.source) continue; // Tracee ignores selectors without a source
        this.sources.add(sel.source);
        const list = sel.name === '*' || sel.name === '' ? this.anyName : this.listFor(sel.name);
        let sub = list.find((s) => s.signature === signature);
        if (!sub) list.push((sub = { signature, index, origins: new Set() }));
        sub.origins.add(sel.origin || '*');
      }
      const build = findingBuilder(signature.metadata, eventId);
      signature.init({
        emit: (output: SignatureOutput) => {
          this.counters.findings++;
          this.findingsBySignature[index]++;
          onFinding(build(output), signature.metadata, output.trigger);
        },
        dataSources,
      });
    });
    for (const name of new Set(signatures.flatMap((s) => s.requires ?? []))) {
      const enrichment = ENRICHMENTS[name];
      if (!enrichment) continue; // an enrichment we cannot check the input for
      const counts = { event: enrichment.event, seen: 0, carried: 0 };
      this.counters.enrichments.set(name, counts);
      const checks = this.enrichmentChecks.get(enrichment.event) ?? [];
      checks.push({ enrichment, counts });
      this.enrichmentChecks.set(enrichment.event, checks);
    }
  }

  private listFor(name: string): Subscription[] {
    let selection = this.byName.get(name);
    if (!selection) this.byName.set(name, (selection = { subscriptions: [], byOrigin: noOrigins() }));
    return selection.subscriptions;
  }

  /** Time every dispatch from now on (for the processing latency metric). */
  timeDispatch(timer: DispatchTimer): void {
    this.timer = timer;
  }

  /** Event names some signature selected: the only ones worth decoding. Undefined = all. */
  selectedNames(): Set<string> | undefined {
    return this.anyName.length > 0 ? undefined : new Set(this.byName.keys());
  }

  /** Hand one decoded event to the signatures that selected it. */
  dispatch(event: Event): void {
    if (this.timer === undefined) return this.route(event);
    const start = performance.now();
    try {
      this.route(event);
    } finally {
      this.timer.observe((performance.now() - start) / 1000);
    }
  }

  private route(event: Event): void {
    this.counters.countEvent(event.name);
    const checks = this.enrichmentChecks.get(event.name);
    if (checks !== undefined) {
      for (const { enrichment, counts } of checks) {
        counts.seen++;
        if (enrichment.carried(event)) counts.carried++;
      }
    }
    const named = this.byName.get(event.name);
    if (!named && this.anyName.length === 0) return;
    const o = origin(event);
    if (named) {
      named.byOrigin[o]++;
      for (const sub of named.subscriptions) this.deliver(sub, o, event);
    } else {
      let counts = this.otherOrigins.get(event.name);
      if (!counts) this.otherOrigins.set(event.name, (counts = noOrigins()));
      counts[o]++;
    }
    for (const sub of this.anyName) this.deliver(sub, o, event);
  }

  /**
   * Events by name and origin, for the events some signature selected (the
   * host reads the origin of those only). Events counted in
   * `counters.eventsByName` beyond these were skipped unread.
   */
  eventsByOrigin(): Map<string, OriginCounts> {
    const out = new Map<string, OriginCounts>(this.otherOrigins);
    for (const [name, selection] of this.byName) out.set(name, selection.byOrigin);
    return out;
  }

  private deliver(sub: Subscription, o: string, event: Event): void {
    if (!sub.origins.has('*') && !sub.origins.has(o)) return;
    this.counters.dispatched++;
    this.dispatchedBySignature[sub.index]++;
    const start = this.timer === undefined ? 0 : performance.now();
    try {
      sub.signature.onEvent(event);
    } catch (e) {
      this.errorsBySignature[sub.index]++;
      throw e;
    } finally {
      if (this.timer !== undefined) this.secondsBySignature[sub.index] += (performance.now() - start) / 1000;
    }
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

  /** Per signature, keyed by its event name: events dispatched to it, its findings, then its own counters. */
  signatureCounters(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    this.signatures.forEach((s, i) => {
      out[s.metadata.eventName] = { dispatched: this.dispatchedBySignature[i], findings: this.findingsBySignature[i], ...s.counters?.() };
    });
    return out;
  }

  /** Signature ids by the enrichments they require. */
  requiredBy(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const s of this.signatures) for (const r of s.requires ?? []) (out[r] ??= []).push(s.metadata.id);
    return out;
  }

  /** What the signatures say a user should change (each names its signature where it matters). */
  advice(): string[] {
    return this.signatures.flatMap((s) => s.advice?.() ?? []);
  }
}
