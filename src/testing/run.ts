// Runs one test case through a fresh signature host, the same host replay
// uses: inline events are dispatched in order, a recording is replayed by the
// replay code; then the source-complete signal, close, and the comparison.
import { SignatureHost } from '../host/host.js';
import { hostSummary, warnings } from '../host/summary.js';
import { replay } from '../sources/replay.js';
import type { CaseOptions, TestCase } from './case-file.js';
import { actualFinding, findingsMatch, sideBySide, type ActualFinding } from './compare.js';
import { signaturesFor } from './signatures-for.js';
import { printable } from '../log/printable.js';

export type CaseStatus = 'passed' | 'failed' | 'error';

export interface CaseResult {
  testCase: TestCase;
  /** failed: the signatures did not do what the case expects; error: the case could not run. */
  status: CaseStatus;
  findings: ActualFinding[];
  /** Why it failed or could not run, one sentence each. */
  problems: string[];
  /** Expected and actual findings side by side, when they differ. */
  diff: string[];
  /** What the host noticed about the input (e.g. environment capture off). */
  warnings: string[];
  seconds: number;
}

/** Runs one case with the built-in signatures and `options.signatures`; only the case's signature's findings are compared. */
export async function runCase(testCase: TestCase, options: CaseOptions = {}): Promise<CaseResult> {
  const started = process.hrtime.bigint();
  const findings: ActualFinding[] = [];
  const failures: string[] = [];
  const errors: string[] = [];
  const only = testCase.signature === undefined || testCase.signature === 'all' ? undefined : testCase.signature;
  const host = new SignatureHost(signaturesFor(testCase.config, options.signatures), (finding, meta) => {
    if (only === undefined || meta.id === only) findings.push(actualFinding(finding, meta));
  });

  if (testCase.input.kind === 'events') {
    testCase.input.events.forEach((event, i) => {
      try {
        host.dispatch(event);
      } catch (e) {
        failures.push(`events[${i}] (${event.name}): signature error: ${(e as Error).message}`);
      }
    });
  } else {
    const result = await replay([testCase.input.path], host);
    errors.push(...result.readErrors.map((e) => `recording ${e}`));
  }
  host.sourceComplete();
  host.close();

  const c = host.counters;
  if (c.malformed !== testCase.expect.malformed) {
    failures.push(`malformed input lines: expected ${testCase.expect.malformed}, got ${c.malformed}`);
    for (const m of c.malformedSamples) failures.push(`  malformed: ${m.where}: ${m.reason}`);
  }

  const signatureCounters = host.signatureCounters();
  for (const [signature, expected] of Object.entries(testCase.expect.counters ?? {})) {
    const actual = signatureCounters[signature];
    if (!actual) {
      errors.push(`expect.counters.${signature}: no signature produces "${signature}"; known: ${Object.keys(signatureCounters).join(', ')}`);
      continue;
    }
    for (const [name, want] of Object.entries(expected)) {
      if (!(name in actual)) errors.push(`expect.counters.${signature}.${name}: no such counter; known: ${Object.keys(actual).join(', ')}`);
      else if (actual[name] !== want) failures.push(`counter ${signature}.${name}: expected ${want}, got ${actual[name]}`);
    }
  }

  const diff: string[] = [];
  if (!findingsMatch(testCase.expect.findings, findings)) {
    failures.unshift(`findings: expected ${testCase.expect.findings.length}, got ${findings.length}${testCase.expect.findings.length === findings.length ? ', with different values' : ''}`);
    diff.push(...sideBySide(testCase.expect.findings, findings));
  }

  const status = errors.length > 0 ? 'error' : failures.length > 0 ? 'failed' : 'passed';
  return {
    testCase,
    status,
    findings,
    problems: [...errors, ...failures],
    diff,
    warnings: status === 'passed' ? [] : warnings({ ...hostSummary(host), signatureCounters }),
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}

/** The readable report of a case that did not pass: problems, the side-by-side diff, warnings. */
export function failureReport(result: CaseResult): string[] {
  return [...result.problems, ...result.diff, ...result.warnings].map(printable);
}
