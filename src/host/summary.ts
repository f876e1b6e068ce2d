// The end-of-run report a person reads on stderr: what came in, what was
// dispatched and found, what could not be read, and what Tracee should change.
import { ENRICHMENTS } from '../model/enrichments.js';
import type { Counters } from './counters.js';

export interface SummaryInput {
  counters: Counters;
  signatureCounters: Record<string, Record<string, number>>;
  inputs?: number;
  readErrors?: string[];
  /** What `counters.lines` counts: "lines" (recordings, the default) or e.g. "messages" (a stream). */
  inputUnit?: string;
  /** What the signatures say a user should change (SignatureHost.advice()). */
  advice?: string[];
  /** Signature ids, by enrichment they require (SignatureHost.requiredBy()). */
  requiredBy?: Record<string, string[]>;
}

/** What the summary needs from a host beyond its counters. */
export function hostSummary(host: { counters: Counters; signatureCounters(): Record<string, Record<string, number>>; advice(): string[]; requiredBy(): Record<string, string[]> }): SummaryInput {
  return { counters: host.counters, signatureCounters: host.signatureCounters(), advice: host.advice(), requiredBy: host.requiredBy() };
}

export function summaryLines(s: SummaryInput): string[] {
  const c = s.counters;
  const lines: string[] = [];
  const names = [...c.eventsByName.entries()].sort((a, b) => b[1] - a[1]);
  const shown = names.slice(0, 12).map(([n, k]) => `${n} ${k}`);
  if (names.length > 12) shown.push(`${names.length - 12} more names`);
  lines.push(`summary: ${s.inputs !== undefined ? `${s.inputs} input(s), ` : ''}${c.lines} ${s.inputUnit ?? 'lines'}, ${c.events} events, ${c.dispatched} dispatched, ${c.findings} findings, ${c.malformed} malformed`);
  if (shown.length) lines.push(`  events by name: ${shown.join(', ')}`);
  for (const m of c.malformedSamples) lines.push(`  malformed: ${m.where}: ${m.reason}`);
  if (c.malformed > c.malformedSamples.length) lines.push(`  malformed: ${c.malformed - c.malformedSamples.length} more not shown`);
  for (const e of s.readErrors ?? []) lines.push(`  read error: ${e}`);
  for (const [sig, counts] of Object.entries(s.signatureCounters)) {
    lines.push(`  ${sig}: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  lines.push(...warnings(s));
  return lines;
}

/** How to turn environment capture on in Tracee (for help texts). */
export const ENV_CAPTURE_HELP = ENRICHMENTS.environment.howToEnable;

export function warnings(s: SummaryInput): string[] {
  const out: string[] = [];
  for (const [name, n] of s.counters.enrichments) {
    if (n.seen > 0 && n.carried === 0) {
      const e = ENRICHMENTS[name];
      out.push(
        `warning: none of the ${n.seen} ${e.event} events carries ${e.what}, so ${name} capture was off in Tracee ` +
          `and the signatures that require it (${(s.requiredBy?.[name] ?? []).join(', ')}) cannot work as written; ${e.howToEnable}`,
      );
    }
  }
  for (const advice of s.advice ?? []) out.push(`warning: ${advice}`);
  return out;
}

/** The summary as data (one structured log record): counts, samples, signature counters. */
export function summaryFields(s: SummaryInput): Record<string, unknown> {
  const c = s.counters;
  const malformedByReason = Object.fromEntries(Object.entries(c.malformedByKind).filter(([, n]) => n > 0));
  return {
    ...(s.inputs !== undefined ? { inputs: s.inputs } : {}),
    [s.inputUnit === undefined ? 'lines' : 'messages']: c.lines,
    events: c.events,
    dispatched: c.dispatched,
    findings: c.findings,
    malformed: c.malformed,
    eventsByName: Object.fromEntries([...c.eventsByName.entries()].sort((a, b) => b[1] - a[1])),
    ...(c.malformed > 0 ? { malformedByReason, malformedSamples: c.malformedSamples } : {}),
    ...(s.readErrors && s.readErrors.length > 0 ? { readErrors: s.readErrors } : {}),
    signatures: s.signatureCounters,
  };
}
