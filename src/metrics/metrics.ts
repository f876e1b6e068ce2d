// Prometheus metrics of one tracee-sig process (replay, serve or attach).
//
// Almost everything is read at scrape time from counters the host, the
// signatures and the edges keep anyway (prom-client's collect() callbacks), so
// metrics add no work per event. The one exception is the latency histogram,
// whose recording side is a few integer adds (latency.ts).
//
// Each process gets its own prom-client Registry (never the global default),
// so tests can run several in one process. README "Operating it: metrics,
// logs, health" lists every metric; keep it in step.
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import { MALFORMED_KINDS } from '../host/counters.js';
import type { SignatureStats } from '../model/signature.js';
import { SignatureHost } from '../host/host.js';
import { LatencyHistogram } from './latency.js';

export type Readiness = { ready: true } | { ready: false; reason: string };

/** Streams of `serve`, read at scrape time. */
export interface StreamStats {
  streamsActive: number;
}

/** Tracee connection of `attach`, read at scrape time. */
export interface TraceeConnection {
  reconnects: number;
  streaming: boolean;
}

type Labels = Record<string, string>;
type Fill = (add: (labels: Labels, value: number) => void) => void;

/** A host with no signatures: what the metrics read until the real host is watched. */
const NO_HOST = new SignatureHost([], () => undefined);

export class Metrics {
  readonly registry = new Registry();
  /** Give to `host.timeDispatch()`; read at scrape time. */
  readonly latency = new LatencyHistogram();
  private host: SignatureHost = NO_HOST;
  private readiness: () => Readiness = () => ({ ready: false, reason: 'starting' });

  constructor() {
    collectDefaultMetrics({ register: this.registry });

    this.counter('tracee_sig_events_total', 'Events received, by event name and origin (host, container, container-init; "unknown" for events skipped undecoded because no signature selected their name).', ['name', 'origin'], (add) => {
      const byOrigin = this.host.eventsByOrigin();
      for (const [name, total] of this.host.counters.eventsByName) {
        const origins = byOrigin.get(name);
        let read = 0;
        if (origins) {
          for (const [origin, n] of Object.entries(origins)) {
            if (n > 0) add({ name, origin }, n);
            read += n;
          }
        }
        if (total > read) add({ name, origin: 'unknown' }, total - read);
      }
    });
    this.counter('tracee_sig_events_dispatched_total', 'Events handed to a signature that selected them (one event selected by two signatures counts twice).', [], (add) => {
      add({}, this.host.counters.dispatched);
    });
    this.counter('tracee_sig_findings_total', 'Findings emitted, by signature id.', ['signature'], (add) => {
      this.eachSignature((signature, i) => add({ signature }, this.host.findingsBySignature[i]));
    });
    this.counter('tracee_sig_malformed_total', 'Inputs that could not be used, by reason: json (not a JSON object), protobuf (not the protobuf message), field (a field missing or wrong), oversized (line over --max-line-bytes), signature_error (a signature threw), other.', ['reason'], (add) => {
      for (const reason of MALFORMED_KINDS) add({ reason }, this.host.counters.malformedByKind[reason]);
    });
    this.counter('tracee_sig_signature_events_total', 'Events handed to each signature, by signature id.', ['signature'], (add) => {
      this.eachSignature((signature, i) => add({ signature }, this.host.dispatchedBySignature[i]));
    });
    this.counter('tracee_sig_signature_errors_total', 'Events a signature threw on (counted as malformed signature_error too), by signature.', ['signature'], (add) => {
      this.eachSignature((signature, i) => add({ signature }, this.host.errorsBySignature[i]));
    });
    this.counter('tracee_sig_signature_processing_seconds_total', 'Seconds spent inside each signature (its onEvent and interceptors), by signature.', ['signature'], (add) => {
      this.eachSignature((signature, i) => add({ signature }, this.host.secondsBySignature[i]));
    });
    this.counter('tracee_sig_allowlist_matches_total', 'Findings an allowlist rule allowed, by signature and rule: not reported (allowlist mode suppress) or reported at INFO with allowed_by (mode audit).', ['signature', 'rule'], (add) => {
      this.eachStats((signature, stats) => {
        for (const [rule, n] of Object.entries(stats.allowed)) add({ signature, rule }, n);
      });
    });
    this.counter('tracee_sig_dedup_suppressed_total', 'Repeated findings suppressed by dedup (counted into the next finding of the same key), by signature.', ['signature'], (add) => {
      this.eachStats((signature, stats) => stats.dedupSuppressed !== undefined && add({ signature }, stats.dedupSuppressed));
    });
    this.gauge('tracee_sig_containers_tracked', 'Containers whose state a signature keeps, by signature.', ['signature'], (add) => {
      this.eachStats((signature, stats) => stats.containersTracked !== undefined && add({ signature }, stats.containersTracked));
    });
    this.counter('tracee_sig_evictions_total', 'State evicted at its bound (least recently used first), by signature and state: containers (maxContainers), dedup_keys, and what a signature names (TRC-1013: learn_candidates).', ['signature', 'state'], (add) => {
      this.eachStats((signature, stats) => {
        for (const [state, n] of Object.entries(stats.evictions)) add({ signature, state }, n);
      });
    });
    this.registry.registerMetric(latencyMetric('tracee_sig_event_processing_seconds', 'Time to process one event in the signature host: selection, the signatures, and handing their findings to the output.', this.latency));
  }

  /** Report this host's counters (and time its dispatches) from now on. */
  watchHost(host: SignatureHost): void {
    this.host = host;
    host.timeDispatch(this.latency);
  }

  /** serve: gRPC streams open. */
  watchStreams(stats: StreamStats): void {
    this.gauge('tracee_sig_grpc_streams_open', 'OnEvents streams open (serve).', [], (add) => add({}, stats.streamsActive));
  }

  /** attach: reconnects and whether events are streaming. */
  watchTracee(tracee: TraceeConnection): void {
    this.counter('tracee_sig_tracee_reconnects_total', "Connection attempts to Tracee after a failed attempt or a lost stream (attach).", [], (add) => add({}, tracee.reconnects));
    this.gauge('tracee_sig_tracee_connected', "1 while Tracee's event stream is open, else 0 (attach).", [], (add) => add({}, tracee.streaming ? 1 : 0));
  }

  /** What /readyz answers, asked at each request. */
  setReadiness(readiness: () => Readiness): void {
    this.readiness = readiness;
  }

  ready(): Readiness {
    return this.readiness();
  }

  private eachSignature(visit: (signature: string, index: number) => void): void {
    this.host.signatures.forEach((s, i) => visit(s.metadata.id, i));
  }

  private eachStats(visit: (signature: string, stats: SignatureStats) => void): void {
    for (const s of this.host.signatures) {
      const stats = s.stats?.();
      if (stats) visit(s.metadata.id, stats);
    }
  }

  private counter(name: string, help: string, labelNames: string[], fill: Fill): void {
    this.collected(Counter, name, help, labelNames, fill);
  }

  private gauge(name: string, help: string, labelNames: string[], fill: Fill): void {
    this.collected(Gauge, name, help, labelNames, fill);
  }

  /** A metric whose values are read at scrape time: reset, then each value written as it stands. */
  private collected(Kind: typeof Counter | typeof Gauge, name: string, help: string, labelNames: string[], fill: Fill): void {
    new Kind({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        // After reset() a counter's inc(value) sets it; a gauge is set directly.
        const metric = this as Counter | Gauge;
        fill((labels, value) => (metric instanceof Gauge ? metric.set(labels, value) : metric.inc(labels, value)));
      },
    });
  }
}

/**
 * A histogram metric over a LatencyHistogram, in the shape prom-client's
 * registry formats (`<name>_bucket{le}`, `_sum`, `_count`). prom-client's own
 * Histogram cannot take counts recorded elsewhere.
 */
function latencyMetric(name: string, help: string, h: LatencyHistogram): Metric {
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      const cumulative = h.cumulative();
      const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = h.bounds.map((le, i) => ({
        metricName: `${name}_bucket`,
        labels: { le },
        value: cumulative[i],
      }));
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: h.count });
      values.push({ metricName: `${name}_sum`, labels: {}, value: h.sum });
      values.push({ metricName: `${name}_count`, labels: {}, value: h.count });
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
    reset() {
      // Scrapes never reset; the counts live as long as the process.
    },
  };
  return metric as unknown as Metric;
}
