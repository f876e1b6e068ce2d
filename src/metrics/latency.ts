// The processing latency histogram. The host times every dispatch, so the
// recording side is kept to a short scan and two adds: no labels, no objects,
// no allocation. prom-client's Histogram.observe allocates per call; here its
// values are only read at scrape time (see metrics.ts).
import type { DispatchTimer } from '../host/host.js';

/**
 * Upper bounds in seconds. One dispatch of TRC-1013 takes a few microseconds;
 * the upper buckets catch a finding written to a slow destination or a pause
 * of the garbage collector.
 */
export const LATENCY_BUCKETS = [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 1e-2, 0.1] as const;

export class LatencyHistogram implements DispatchTimer {
  /** Observations per bucket (not cumulative); the last one is above every bound (+Inf). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[] = LATENCY_BUCKETS) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }

  /** Cumulative counts per bound, as Prometheus' `le` buckets (without +Inf, which is `count`). */
  cumulative(): number[] {
    const out: number[] = [];
    let acc = 0;
    for (let i = 0; i < this.bounds.length; i++) out.push((acc += this.counts[i]));
    return out;
  }
}
