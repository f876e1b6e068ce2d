// What happened to the input, for the end-of-run summary and for metrics.
export interface MalformedInput {
  where: string; // "file:line" or "stream batch N"
  reason: string;
}

/**
 * Why an input could not be used, as a small fixed set (a metrics label, so
 * never free text): not JSON / not protobuf at all, a field missing or wrong,
 * a line over the size limit, a signature that threw, or unclassified.
 */
export const MALFORMED_KINDS = ['json', 'protobuf', 'field', 'oversized', 'signature_error', 'other'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

export class Counters {
  lines = 0;
  events = 0;
  readonly eventsByName = new Map<string, number>();
  dispatched = 0;
  findings = 0;
  malformed = 0;
  readonly malformedByKind: Record<MalformedKind, number> = { json: 0, protobuf: 0, field: 0, oversized: 0, signature_error: 0, other: 0 };
  /** The first few malformed inputs, with where and why. */
  readonly malformedSamples: MalformedInput[] = [];
  /** Per enrichment a signature requires: events that should carry it, and how many did. */
  readonly enrichments = new Map<string, { event: string; seen: number; carried: number }>();

  constructor(readonly maxSamples = 10) {}

  countEvent(name: string, n = 1): void {
    this.events += n;
    this.eventsByName.set(name, (this.eventsByName.get(name) ?? 0) + n);
  }

  /** `kind` classifies the reason for metrics; callers that predate it count as "other". */
  countMalformed(where: string, reason: string, kind: MalformedKind = 'other'): void {
    this.malformed++;
    this.malformedByKind[kind]++;
    if (this.malformedSamples.length < this.maxSamples) this.malformedSamples.push({ where, reason });
  }
}
