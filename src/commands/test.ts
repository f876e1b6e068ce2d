// `tracee-sig test`: signature test cases (YAML or JSON files) run through the
// signature host; a report on stdout, JUnit XML for CI systems on request.
import { io } from '../streams.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CASE_FILE_SCHEMA } from '../testing/case-schema.js';
import { CaseFileError, formatProblem, loadCases, type TestCase } from '../testing/case-file.js';
import { CASE_FILE_PATTERNS, findCaseFiles } from '../testing/discover.js';
import { junitXml, type UnusableCaseFile } from '../testing/junit.js';
import { failureReport, runCase, type CaseResult } from '../testing/run.js';
import { printable } from '../log/printable.js';
import { ioReason } from '../sources/io-errors.js';
import { exitStatusHelp } from './exit-codes.js';
import { SignatureModuleError } from '../host/signature-modules.js';
import { userSignatures } from './config-option.js';
import { EXIT, parseOptions, UsageError } from './usage.js';

export const TEST_HELP = `Usage: tracee-sig test [options] PATH...

Runs signature test cases: each case gives Tracee events (inline, or a
recording file) and the findings they must raise, in order. PATH is a case
file (YAML or JSON) or a folder searched recursively for ${CASE_FILE_PATTERNS.join(', ')}
(other .json files in a folder are taken for recordings, not cases).

A case file holds one case or a list of cases:

  name: kubectl in a pod reaches the API server
  signature: TRC-1013         # compare only this signature's findings ("all": every one's)
  events: [...]               # Tracee events, either JSON shape (or: recording: FILE)
  expect:
    findings:                 # in order, exactly these; [] = no finding at all
      - {ip: 10.96.0.1, port: 443, container_id: "8498b675...", comm: kubectl}

Options:
      --filter TEXT   run only the cases whose name contains TEXT
                      (ignoring letter case)
      --junit FILE    also write JUnit XML to FILE (one testcase per case)
      --schema        print the case file JSON Schema and exit
      --signatures-dir DIR
                      also run the signatures in DIR (compiled JavaScript
                      modules; repeatable), as replay, serve and attach do
  -h, --help          this help

For each case a line "ok", "FAIL" or "ERROR"; each failure shows expected and
actual findings side by side. The last line is "N passed, N failed".

${exitStatusHelp('test')}`;

/** Why --junit FILE cannot be written, found before any case runs (undefined: it can). */
function junitPathProblem(file: string): string | undefined {
  const dir = path.dirname(path.resolve(file));
  try {
    if (!fs.statSync(dir).isDirectory()) return `${dir} is not a directory`;
  } catch (e) {
    return `its directory ${dir}: ${ioReason(e)}`;
  }
  try {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (st?.isDirectory()) return 'it is a directory';
    fs.accessSync(st ? file : dir, fs.constants.W_OK);
    return undefined;
  } catch (e) {
    return ioReason(e);
  }
}

export async function testCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    filter: { type: 'string' },
    junit: { type: 'string' },
    schema: { type: 'boolean' },
    'signatures-dir': { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io().stdout.write(TEST_HELP);
    return EXIT.OK;
  }
  if (values.schema) {
    io().stdout.write(JSON.stringify(CASE_FILE_SCHEMA, null, 2) + '\n');
    return EXIT.OK;
  }
  if (positionals.length === 0) throw new UsageError('no case file or folder given');
  if (values.filter === '') throw new UsageError('--filter needs some text');

  if (values.junit !== undefined) {
    const unwritable = junitPathProblem(values.junit);
    if (unwritable) {
      io().stderr.write(`tracee-sig test: cannot write --junit ${values.junit}: ${unwritable}; no case was run; choose a path in a writable directory\n`);
      return EXIT.CANT_CREATE;
    }
  }
  const signatures = userSignatures(values['signatures-dir']);
  if (signatures instanceof SignatureModuleError) {
    io().stderr.write(`tracee-sig test: --signatures-dir: ${signatures.message}\n`);
    return EXIT.USAGE;
  }
  const found = findCaseFiles(positionals);
  for (const u of found.unreadable) io().stderr.write(`tracee-sig test: ${u}\n`);
  if (found.unreadable.length > 0) return EXIT.USAGE;
  if (found.files.length === 0) {
    io().stderr.write(`tracee-sig test: no case files in ${positionals.join(', ')} (looked for ${CASE_FILE_PATTERNS.join(', ')})\n`);
    return EXIT.USAGE;
  }

  const out = (line: string): void => void io().stdout.write(printable(line) + '\n');
  const unusable: UnusableCaseFile[] = [];
  const cases: TestCase[] = [];
  for (const file of found.files) {
    try {
      cases.push(...loadCases(file, { signatures }));
    } catch (e) {
      if (!(e instanceof CaseFileError)) throw e;
      const problems = e.problems.map(formatProblem);
      unusable.push({ file, problems });
      out(`ERROR ${file}: case file cannot be used`);
      for (const p of problems) out(`      ${p}`);
    }
  }
  const needle = values.filter?.toLowerCase();
  const selected = needle === undefined ? cases : cases.filter((c) => c.name.toLowerCase().includes(needle));
  if (needle !== undefined && selected.length === 0 && unusable.length === 0) {
    io().stderr.write(`tracee-sig test: no case name contains "${values.filter}" (${cases.length} case(s) loaded)\n`);
    return EXIT.USAGE;
  }

  const results: CaseResult[] = [];
  for (const c of selected) {
    const r = await runCase(c, { signatures });
    results.push(r);
    const label = `${c.file}:${c.line}: ${c.name}`;
    if (r.status === 'passed') {
      out(`ok    ${label}`);
      continue;
    }
    out(`${r.status === 'error' ? 'ERROR' : 'FAIL '} ${label}`);
    for (const line of failureReport(r)) out(`      ${line}`);
  }

  let junitFailed = false;
  if (values.junit) {
    try {
      fs.writeFileSync(values.junit, junitXml(results, unusable));
    } catch (e) {
      io().stderr.write(`tracee-sig test: cannot write --junit ${values.junit}: ${ioReason(e)}\n`);
      junitFailed = true;
    }
  }

  const passed = results.filter((r) => r.status === 'passed').length;
  const errored = results.filter((r) => r.status === 'error').length + unusable.length;
  const failed = results.length - passed + unusable.length;
  if (errored > 0) {
    const notRun = errored - unusable.length;
    out(`not run, counted as failed: ${unusable.length} unusable case file(s), ${notRun} case(s) that could not run`);
  }
  out(`${passed} passed, ${failed} failed`);
  if (junitFailed) return EXIT.CANT_CREATE;
  if (errored > 0) return EXIT.USAGE;
  return failed > 0 ? EXIT.FAILED : EXIT.OK;
}
