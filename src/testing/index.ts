// Signature tests from your own mocha (or any) test suite:
//
//   const { loadCases, runCase, assertCase } = require('tracee-sig/testing');
//   describe('k8s_api_connection', () => {
//     for (const c of loadCases('test/cases/kubectl.case.yaml')) {
//       it(c.name, async () => assertCase(await runCase(c)));
//     }
//   });
//
// loadCases is synchronous so suites can declare one test per case.
import { CaseFileError, formatProblem, loadCases, parseCases, type CaseOptions, type TestCase } from './case-file.js';
import { findCaseFiles } from './discover.js';
import { failureReport, runCase, type CaseResult } from './run.js';

export { CaseFileError, formatProblem, loadCases, parseCases, findCaseFiles, runCase, failureReport };
export type { TestCase, CaseResult };
export type { CaseProblem, ExpectedFinding, CaseInput, CaseOptions } from './case-file.js';
export { CASE_FILE_SCHEMA } from './case-schema.js';
export { signaturesFor, ConfigError, ConfigErrors } from './signatures-for.js';
export { junitXml } from './junit.js';

/** A case that did not pass; its message is the report `tracee-sig test` prints. */
export class CaseFailedError extends Error {
  constructor(readonly result: CaseResult) {
    super(`${result.testCase.file}:${result.testCase.line}: ${result.testCase.name}: ${result.status}\n${failureReport(result).join('\n')}`);
    this.name = 'CaseFailedError';
  }
}

/** Throws CaseFailedError (with the side-by-side diff) unless the case passed. */
export function assertCase(result: CaseResult): void {
  if (result.status !== 'passed') throw new CaseFailedError(result);
}

/** Loads and runs every case in one file, in order (CaseFileError if the file cannot be used). */
export async function runCaseFile(file: string, options: CaseOptions = {}): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of loadCases(file, options)) results.push(await runCase(c, options));
  return results;
}

/** Runs every case in one file; throws one error reporting every case that did not pass. */
export async function assertCaseFile(file: string, options: CaseOptions = {}): Promise<void> {
  const failing = (await runCaseFile(file, options)).filter((r) => r.status !== 'passed');
  if (failing.length === 1) throw new CaseFailedError(failing[0]);
  if (failing.length > 1) throw new Error(`${failing.length} cases did not pass\n\n${failing.map((r) => new CaseFailedError(r).message).join('\n\n')}`);
}
