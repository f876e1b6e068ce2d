// What happened to the input, for the end-of-run summary and for metrics.
export interface MalformedInput {
  where: string; // "file:line" or "stream batch N"
  reason: string;
}

export class Counters {
  lines = 0;
  events = 0;
  readonly eventsByName = new Map<string, number>();
  dispatched = 0;
  findings = 0;
  malformed = 0;
  /** The first few malformed inputs, with where and why. */
  readonly malformedSamples: MalformedInput[] = [];
  execs = 0;
  execsWithEnv = 0;

  constructor(readonly maxSamples = 10) {}

  countEvent(name: string, n = 1): void {
    this.events += n;
    this.eventsByName.set(name, (this.eventsByName.get(name) ?? 0) + n);
  }

  countMalformed(where: string, reason: string): void {
    this.malformed++;
    if (this.malformedSamples.length < this.maxSamples) this.malformedSamples.push({ where, reason });
  }
}
