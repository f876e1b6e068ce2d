// The package as a user gets it: `npm pack`, the tarball installed into an
// empty project, and that project's own mocha test using tracee-sig/testing.
// Dependencies come from npm's cache when `make test` has installed them
// (--prefer-offline), otherwise from the registry.
import { expect } from 'chai';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../support/cli.js';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const MOCHA = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function run(command: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return r;
}

const CONSUMER_TEST = `const assert = require('node:assert');
const path = require('node:path');
const { loadCases, runCase, assertCase, CaseFailedError } = require('tracee-sig/testing');

describe('my detections', () => {
  for (const c of loadCases(path.join(__dirname, 'basics.case.yaml'))) {
    it(c.name, async () => assertCase(await runCase(c)));
  }
  it('a wrong expectation fails with the diff', async () => {
    const [c] = loadCases(path.join(__dirname, 'basics.case.yaml'));
    const wrong = { ...c, expect: { ...c.expect, findings: c.expect.findings.map((f) => ({ ...f, fields: new Map([...f.fields, ['ip', '10.96.0.2']]) })) } };
    const result = await runCase(wrong);
    assert.throws(() => assertCase(result), CaseFailedError);
  });
});
`;

const CONSUMER_TS = `import { loadCases, runCase, type CaseResult } from 'tracee-sig/testing';
export async function first(file: string): Promise<CaseResult> {
  return runCase(loadCases(file)[0]);
}
`;

describe('the npm package, installed as a user installs it', function () {
  this.timeout(300_000);
  let work: string;
  before(() => (work = fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-sig-pack-'))));
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('npm pack ships the built dist/ with types; a mocha test in an empty project uses tracee-sig/testing', () => {
    // --ignore-scripts: `make test` has just built dist/ (a plain `npm pack` builds it in prepack).
    const pack = run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
    expect(pack.status, pack.stderr).to.equal(0);
    const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    const files = info.files.map((f) => f.path);
    expect(files).to.include.members(['package.json', 'bin/tracee-sig', 'dist/src/cli.js', 'dist/src/testing/index.js', 'dist/src/testing/index.d.ts', 'dist/signatures/k8s_api_connection.js', 'proto/tracee/v1beta1/event.proto']);
    expect(files.filter((f) => f.startsWith('dist/test/') || f.startsWith('dist/bench/') || f.startsWith('fixtures/') || /^(src|test)\//.test(f))).to.deep.equal([]);

    const project = path.join(work, 'project');
    fs.mkdirSync(path.join(project, 'test'), { recursive: true });
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'my-detections', version: '1.0.0', private: true }, null, 2));
    const install = run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', path.join(work, info.filename)], project);
    expect(install.status, install.stderr).to.equal(0);

    fs.copyFileSync(path.join(ROOT, 'fixtures', 'cases', 'basics.case.yaml'), path.join(project, 'test', 'basics.case.yaml'));
    fs.writeFileSync(path.join(project, 'test', 'detections.test.js'), CONSUMER_TEST);
    const mocha = run(process.execPath, [MOCHA, '--no-config', 'test/detections.test.js'], project);
    expect(mocha.status, mocha.stdout + mocha.stderr).to.equal(0);
    expect(mocha.stdout).to.match(/\b9 passing\b/);

    // Types: the declarations resolve through the "exports" map, and a wrong use is caught.
    fs.writeFileSync(path.join(project, 'consumer.ts'), CONSUMER_TS);
    const tsc = (file: string) => run(process.execPath, [TSC, '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', '', file], project);
    const typed = tsc('consumer.ts');
    expect(typed.status, typed.stdout).to.equal(0);
    fs.writeFileSync(path.join(project, 'wrong.ts'), CONSUMER_TS.replace('Promise<CaseResult>', 'Promise<string>'));
    expect(tsc('wrong.ts').status).to.not.equal(0);

    const version = run(path.join(project, 'node_modules', '.bin', 'tracee-sig'), ['--version'], project);
    expect(version.stdout).to.equal(`tracee-sig ${JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version}\n`);
  });
});
