// JUnit XML for CI systems: one <testsuite> per case file, one <testcase> per
// case; a failed case carries <failure> with the readable report (the
// side-by-side diff), a case that could not run carries <error>. A case file
// that could not be used at all is one testcase named "(case file)" in error.
import { failureReport, type CaseResult } from './run.js';

export interface UnusableCaseFile {
  file: string;
  problems: string[];
}

export function junitXml(results: CaseResult[], unusable: UnusableCaseFile[]): string {
  const suites = new Map<string, string[]>();
  const stats = new Map<string, { tests: number; failures: number; errors: number; time: number }>();
  const suite = (file: string) => {
    if (!suites.has(file)) {
      suites.set(file, []);
      stats.set(file, { tests: 0, failures: 0, errors: 0, time: 0 });
    }
    return { cases: suites.get(file)!, stat: stats.get(file)! };
  };

  for (const r of results) {
    const { cases, stat } = suite(r.testCase.file);
    stat.tests++;
    stat.time += r.seconds;
    const attrs = `name="${escape(r.testCase.name)}" classname="${escape(r.testCase.file)}" file="${escape(r.testCase.file)}" line="${r.testCase.line}" time="${r.seconds.toFixed(6)}"`;
    if (r.status === 'passed') {
      cases.push(`    <testcase ${attrs}/>`);
      continue;
    }
    const tag = r.status === 'error' ? 'error' : 'failure';
    if (tag === 'error') stat.errors++;
    else stat.failures++;
    const body = failureReport(r).join('\n');
    cases.push(`    <testcase ${attrs}>\n      <${tag} message="${escape(r.problems[0] ?? r.status)}" type="${tag === 'error' ? 'CaseError' : 'FindingsMismatch'}">${escape(body, true)}</${tag}>\n    </testcase>`);
  }
  for (const u of unusable) {
    const { cases, stat } = suite(u.file);
    stat.tests++;
    stat.errors++;
    cases.push(
      `    <testcase name="(case file)" classname="${escape(u.file)}" file="${escape(u.file)}" time="0">\n      <error message="${escape(u.problems[0] ?? 'unusable case file')}" type="CaseFileError">${escape(u.problems.join('\n'), true)}</error>\n    </testcase>`,
    );
  }

  const total = { tests: 0, failures: 0, errors: 0, time: 0 };
  const body: string[] = [];
  for (const [file, cases] of suites) {
    const s = stats.get(file)!;
    total.tests += s.tests;
    total.failures += s.failures;
    total.errors += s.errors;
    total.time += s.time;
    body.push(`  <testsuite name="${escape(file)}" tests="${s.tests}" failures="${s.failures}" errors="${s.errors}" skipped="0" time="${s.time.toFixed(6)}">`, ...cases, '  </testsuite>');
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="tracee-sig test" tests="${total.tests}" failures="${total.failures}" errors="${total.errors}" time="${total.time.toFixed(6)}">`,
    ...body,
    '</testsuites>',
    '',
  ].join('\n');
}

/** Text safe in XML 1.0 content and attributes; characters XML cannot hold are shown as \uXXXX. */
export function escape(text: string, inElement = false): string {
  const safe = escapeMarkup(text);
  return inElement ? safe : safe.replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function escapeMarkup(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
