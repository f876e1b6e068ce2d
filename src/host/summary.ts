// The end-of-run report a person reads on stderr: what came in, what was
// dispatched and found, what could not be read, and what Tracee should change.
import type { Counters } from './counters.js';

export interface SummaryInput {
  counters: Counters;
  signatureCounters: Record<string, Record<string, number>>;
  inputs?: number;
  readErrors?: string[];
  /** What `counters.lines` counts: "lines" (recordings, the default) or e.g. "messages" (a stream). */
  inputUnit?: string;
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

export const ENV_CAPTURE_HELP =
  'turn on environment capture in Tracee: `--output option:exec-env` (Tracee v0.9 to v0.24.x), ' +
  '`--enrichment environment` (Tracee main from 2026-01-14; `--enrichment exec-env` on 2026-01-11..13 builds)';

export function warnings(s: SummaryInput): string[] {
  const c = s.counters;
  const out: string[] = [];
  if (c.execs > 0 && c.execsWithEnv === 0) {
    out.push(
      `warning: none of the ${c.execs} sched_process_exec events carries an environment, so environment capture ` +
        `was off in Tracee and TRC-1013 cannot learn the API server address; ${ENV_CAPTURE_HELP}`,
    );
  }
  const connects = c.eventsByName.get('security_socket_connect') ?? 0;
  if (connects > 0 && c.execs === 0 && (c.eventsByName.get('sched_process_exec') ?? 0) === 0) {
    out.push('warning: security_socket_connect events but no sched_process_exec: TRC-1013 learns addresses from sched_process_exec; add it to the Tracee policy');
  }
  const k8s = s.signatureCounters['k8s_api_connection'];
  if (k8s?.envTruncatedWithoutAddress) {
    out.push(
      `warning: ${k8s.envTruncatedWithoutAddress} container exec(s) had their environment cut at Tracee's 8 KiB limit ` +
        'with no KUBERNETES_SERVICE_HOST left in it; those containers may be unarmed (configure cluster-wide API server addresses to cover them)',
    );
  }
  if (k8s?.hostnameValues && !s.signatureCounters['hostname resolver']) {
    out.push(
      `warning: ${k8s.hostnameValues} KUBERNETES_SERVICE_HOST value(s) were host names, not addresses; those containers are unarmed ` +
        '(set apiServer.resolveHostnames.enabled in the config, or list the API server addresses in apiServer.addresses)',
    );
  }
  if (k8s?.hostnameAnswerPending) {
    out.push(
      `warning: ${k8s.hostnameAnswerPending} connect(s) were checked while a KUBERNETES_SERVICE_HOST host name had no DNS answer yet; ` +
        'a connect to the API server among them was missed (see the hostname resolver counters)',
    );
  }
  if (k8s?.allowlistExpiredMatches) {
    out.push(`warning: ${k8s.allowlistExpiredMatches} connection(s) matched only expired allowlist rules and were reported; renew or remove those rules`);
  }
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
