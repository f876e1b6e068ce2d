// The library entry as a user's own mocha suite uses it: one mocha test per case.
import { expect } from 'chai';
import * as path from 'node:path';
import { assertCase, assertCaseFile, CaseFailedError, CaseFileError, loadCases, runCase, runCaseFile } from '../../src/testing/index.js';
import { CASES, KUBECTL_EVENTS, REPO, TempDir } from './helpers.js';

describe('tracee-sig/testing from a mocha suite', () => {
  it('resolves as tracee-sig/testing through package.json exports', () => {
    expect(require.resolve('tracee-sig/testing', { paths: [REPO] })).to.equal(path.join(REPO, 'dist', 'src', 'testing', 'index.js'));
  });

  describe('fixtures/cases/basics.case.yaml, one test per case', () => {
    for (const c of loadCases(path.join(CASES, 'basics.case.yaml'))) {
      it(c.name, async () => assertCase(await runCase(c)));
    }
  });

  it('assertCase throws with the side-by-side diff when a case fails', async () => {
    const tmp = new TempDir();
    try {
      const file = tmp.write('w.case.yaml', `name: wrong\nevents:${KUBECTL_EVENTS}\nexpect: {findings: [{ip: 10.96.0.2}]}\n`);
      const [result] = await runCaseFile(file);
      expect(result.status).to.equal('failed');
      expect(() => assertCase(result)).to.throw(CaseFailedError, /w\.case\.yaml:1: wrong: failed\nfindings: expected 1, got 1, with different values\n#  expected +actual\n1  ip: "10\.96\.0\.2"  !=  ip: "10\.96\.0\.1"/);
      let thrown: unknown;
      await assertCaseFile(file).catch((e) => (thrown = e));
      expect(thrown).to.be.instanceOf(CaseFailedError);
      expect(() => loadCases(tmp.write('bad.yaml', 'name: x\n'))).to.throw(CaseFileError, /bad\.yaml:1:1: missing required key "expect"/);
    } finally {
      tmp.remove();
    }
  });

  it('assertCaseFile passes on a file whose cases all pass', async () => {
    await assertCaseFile(path.join(CASES, 'recordings.case.yaml'));
  });
});
