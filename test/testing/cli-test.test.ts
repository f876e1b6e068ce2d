// `bin/tracee-sig test` end to end, as a child process.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { runCli } from '../support/cli.js';
import { CASES, KUBECTL_EVENTS, REPO, TempDir } from './helpers.js';

const GOOD = `- name: kubectl reaches the API server\n  events:${KUBECTL_EVENTS}\n  expect:\n    findings: [{ip: 10.96.0.1, port: 443, comm: kubectl}]\n`;
const WRONG = `- name: deliberately wrong port and comm\n  events:${KUBECTL_EVENTS}\n  expect:\n    findings: [{ip: 10.96.0.1, port: 6443, comm: curl}]\n`;

function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines[lines.length - 1];
}

describe('bin/tracee-sig test', () => {
  let tmp: TempDir;
  beforeEach(() => (tmp = new TempDir()));
  afterEach(() => tmp.remove());

  it('runs every case under fixtures/cases and passes them all', async () => {
    const r = await runCli(['test', 'fixtures/cases']);
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    const ok = r.stdout.split('\n').filter((l) => l.startsWith('ok    ')).length;
    expect(ok).to.be.greaterThan(30);
    expect(lastLine(r.stdout)).to.equal(`${ok} passed, 0 failed`);
    expect(r.stdout).to.contain('ok    fixtures/cases/environment.case.yaml:4: only the variable named exactly KUBERNETES_SERVICE_HOST is learned');
  });

  it('shows control characters in case names and diffs escaped, never raw', async () => {
    tmp.write('k.case.yaml', WRONG.replace('deliberately wrong port and comm', '"\\e[31mred\\u202e port and comm"').replace('comm: curl', 'comm: "cu\\x7frl"'));
    const r = await runCli(['test', tmp.dir]);
    expect(r.status).to.equal(1);
    expect(r.stdout).not.to.match(/[\u001b\u007f\u202e]/);
    expect(r.stdout).to.contain('\\x1b[31mred\\u202e');
    expect(r.stdout).to.contain('comm: "cu\\x7frl"');
  });

  it('exits 1 on a deliberately wrong expectation, with a readable side-by-side diff', async () => {
    tmp.write('k.case.yaml', GOOD + WRONG);
    const r = await runCli(['test', tmp.dir]);
    expect(r.status).to.equal(1);
    const out = r.stdout.split('\n');
    const file = path.join(tmp.dir, 'k.case.yaml');
    expect(out[0]).to.equal(`ok    ${file}:1: kubectl reaches the API server`);
    expect(out[1]).to.equal(`FAIL  ${file}:15: deliberately wrong port and comm`);
    expect(out.slice(2, 8)).to.deep.equal([
      '      findings: expected 1, got 1, with different values',
      '      #  expected             actual',
      '      1  ip: "10.96.0.1"      ip: "10.96.0.1"',
      '         port: 6443       !=  port: 443',
      '         comm: "curl"     !=  comm: "kubectl"',
      '                              container_id: "0907ef86d7be"',
    ]);
    expect(lastLine(r.stdout)).to.equal('1 passed, 1 failed');
    expect(r.stderr).to.equal('');
  });

  it('writes JUnit XML: valid, one testcase per case, failures carrying the diff', async () => {
    tmp.write('a/k.case.yaml', GOOD + WRONG);
    tmp.write('b/none.yml', `name: no finding <&> "quoted" \u0001\nevents:${KUBECTL_EVENTS}\nexpect: {findings: []}\n`);
    tmp.write('c/ok.case.json', JSON.stringify({ name: 'json case', events: ['{"name":"openat"}'], expect: { findings: [] } }));
    const junit = path.join(tmp.dir, 'out', 'junit.xml');
    fs.mkdirSync(path.dirname(junit));
    const r = await runCli(['test', '--junit', junit, tmp.dir]);
    expect(r.status).to.equal(1);
    expect(lastLine(r.stdout)).to.equal('2 passed, 2 failed');

    const xml = fs.readFileSync(junit, 'utf8');
    expect(XMLValidator.validate(xml)).to.equal(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase'].includes(name) }).parse(xml);
    const root = doc.testsuites;
    expect(root).to.include({ tests: '4', failures: '2', errors: '0' });
    const cases = root.testsuite.flatMap((s: { testcase: unknown[] }) => s.testcase);
    expect(cases.map((c: { name: string }) => c.name)).to.deep.equal([
      'kubectl reaches the API server',
      'deliberately wrong port and comm',
      'no finding <&> "quoted" \\u0001',
      'json case',
    ]);
    const failure = cases[1].failure;
    expect(failure.message).to.equal('findings: expected 1, got 1, with different values');
    expect(failure['#text']).to.contain('port: 6443       !=  port: 443');
    expect(cases[0].failure).to.equal(undefined);
    expect(cases[2].failure['#text']).to.contain('findings: expected 0, got 1');
  });

  it('exits 2 on an unusable case file, naming file, line, key path and problem; still runs the rest', async () => {
    tmp.write('good.yaml', GOOD);
    tmp.write('bad.yaml', `name: typo\nevents:${KUBECTL_EVENTS}\nexpect:\n  findings: [{ip: 10.96.0.1, prot: 443}]\n`);
    const junit = path.join(tmp.dir, 'junit.xml');
    const r = await runCli(['test', '--junit', junit, tmp.dir]);
    expect(r.status).to.equal(2);
    const bad = path.join(tmp.dir, 'bad.yaml');
    expect(r.stdout).to.contain(`ERROR ${bad}: case file cannot be used\n      ${bad}:14:30: expect.findings[0].prot: unknown key; expected one of: ip, port`);
    expect(r.stdout).to.contain(`ok    ${path.join(tmp.dir, 'good.yaml')}:1: kubectl reaches the API server`);
    expect(lastLine(r.stdout)).to.equal('1 passed, 1 failed');
    const xml = fs.readFileSync(junit, 'utf8');
    expect(XMLValidator.validate(xml)).to.equal(true);
    expect(xml).to.match(/<testcase name="\(case file\)"[^>]*>\s*<error message="[^"]*bad\.yaml:14:30: expect\.findings\[0\]\.prot: unknown key/);
  });

  it('--filter runs only the cases whose name contains the text', async () => {
    tmp.write('k.case.yaml', GOOD + WRONG);
    const r = await runCli(['test', '--filter', 'KUBECTL', tmp.dir]);
    expect(r.status).to.equal(0);
    expect(r.stdout).not.to.contain('deliberately wrong');
    expect(lastLine(r.stdout)).to.equal('1 passed, 0 failed');
    const none = await runCli(['test', '--filter', 'no such case', tmp.dir]);
    expect(none.status).to.equal(2);
    expect(none.stderr).to.equal('tracee-sig test: no case name contains "no such case" (2 case(s) loaded)\n');
  });

  it('exits 2 on bad options, missing paths and folders without cases', async () => {
    const noArgs = await runCli(['test']);
    expect(noArgs.status).to.equal(2);
    expect(noArgs.stderr).to.contain('tracee-sig test: no case file or folder given');
    expect((await runCli(['test', '--bogus', CASES])).status).to.equal(2);
    const missing = await runCli(['test', path.join(tmp.dir, 'nope')]);
    expect(missing.status).to.equal(2);
    expect(missing.stderr).to.equal(`tracee-sig test: ${path.join(tmp.dir, 'nope')}: no such file or folder\n`);
    tmp.write('rec.json', '{"name":"openat"}\n');
    const empty = await runCli(['test', tmp.dir]);
    expect(empty.status).to.equal(2);
    expect(empty.stderr).to.contain('no case files in');
  });

  it('checks the --junit path before running any case: exit 73, naming the missing directory', async () => {
    const junit = path.join(tmp.dir, 'no', 'such', 'dir.xml');
    const unwritable = await runCli(['test', '--junit', junit, path.join(CASES, 'basics.case.yaml')]);
    expect(unwritable.status).to.equal(73);
    expect(unwritable.stderr).to.equal(
      `tracee-sig test: cannot write --junit ${junit}: its directory ${path.dirname(junit)}: no such file or directory; no case was run; choose a path in a writable directory\n`,
    );
    expect(unwritable.stdout).to.equal('');
  });

  it("passes README's example case file (so the example stays true)", async () => {
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Testing your detections in CI'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)![1];
    expect(example).to.contain('recording: recordings/quiet-pod.json.gz');
    tmp.write('kubectl.case.yaml', example);
    tmp.write('recordings/quiet-pod.json.gz', zlib.gzipSync('{"name":"openat","timestamp":"2026-03-02T10:16:02.401Z"}\n'));
    const r = await runCli(['test', tmp.dir]);
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    expect(lastLine(r.stdout)).to.equal('2 passed, 0 failed');
  });

  it('prints the case file JSON Schema with --schema, and usage with --help', async () => {
    const schema = await runCli(['test', '--schema']);
    expect(schema.status).to.equal(0);
    expect(JSON.parse(schema.stdout).definitions.case.required).to.deep.equal(['name', 'expect']);
    const help = await runCli(['test', '--help']);
    expect(help.status).to.equal(0);
    expect(help.stdout).to.contain('Usage: tracee-sig test [options] PATH...');
  });
});
