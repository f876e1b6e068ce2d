import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StateFile } from '../../src/host/state-file.js';
import { SignatureHost } from '../../src/host/host.js';
import { HostedSignature } from '../../src/host/instance.js';
import { trc1013 } from '../support/run.js';
import type { Event } from '../../src/model/event.js';
import { CONTAINER_A, connect, exec, inet, K8S_ENV } from '../support/events.js';

describe('StateFile', () => {
  let dir: string;
  let file: string;
  let warnings: string[];
  const warn = (m: string) => warnings.push(m);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-sig-state-'));
    file = path.join(dir, 'state.json');
    warnings = [];
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function armedSignature(): HostedSignature {
    const sig = trc1013();
    const host = new SignatureHost([sig], () => undefined);
    host.dispatch(exec(K8S_ENV));
    return sig;
  }

  function findingsAfterRestart(): { findings: Event[]; outcome: string } {
    const sig = trc1013();
    const outcome = new StateFile(file, [sig], { warn }).load();
    const findings: Event[] = [];
    const host = new SignatureHost([sig], (f) => findings.push(f));
    host.dispatch(connect(inet('10.96.0.1')));
    return { findings, outcome };
  }

  it('keeps a long-running container armed across a restart', async () => {
    const state = new StateFile(file, [armedSignature()], { warn });
    await state.stop(); // the shutdown write
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(doc).to.include({ format: 'tracee-sig-state', version: 1 });
    expect(doc.signatures.k8s_api_connection.containers).to.deep.equal([[CONTAINER_A, ['10.96.0.1']]]);
    const { findings, outcome } = findingsAfterRestart();
    expect(outcome).to.equal('restored');
    expect(findings).to.have.length(1);
    expect(warnings).to.deep.equal([]);
  });

  it('writes atomically: no temporary file is left, and the old file is replaced whole', async () => {
    fs.writeFileSync(file, 'old');
    const state = new StateFile(file, [armedSignature()], { warn });
    await Promise.all([state.save(), state.save(), state.save()]);
    expect(fs.readdirSync(dir)).to.deep.equal(['state.json']);
    expect(() => JSON.parse(fs.readFileSync(file, 'utf8'))).to.not.throw();
    expect(state.counts.saves).to.equal(3);
  });

  it('starts empty when there is no file, without a warning', () => {
    const { findings, outcome } = findingsAfterRestart();
    expect(outcome).to.equal('absent');
    expect(findings).to.have.length(0);
    expect(warnings).to.deep.equal([]);
  });

  const bad: [string, string, RegExp][] = [
    ['corrupt (truncated JSON)', '{"format":"tracee-sig-state","version":1,"signatures":{"k8s_', /not JSON/],
    ['foreign (another program\'s JSON)', '{"apiVersion":"v1","kind":"ConfigMap"}', /not a tracee-sig-state file/],
    ['from a future version', '{"format":"tracee-sig-state","version":9,"signatures":{}}', /state version 9, expected 1/],
    ['holding a bad snapshot', '{"format":"tracee-sig-state","version":1,"signatures":{"k8s_api_connection":{"version":1,"containers":[["c",["x"]]],"learned":[],"candidates":[]}}}', /k8s_api_connection: containers\[0\]\[1\]\[0\]/],
  ];
  for (const [what, text, why] of bad) {
    it(`moves a ${what} file aside with a warning and starts empty`, async () => {
      fs.writeFileSync(file, text);
      const { findings, outcome } = findingsAfterRestart();
      expect(outcome).to.equal('moved-aside');
      expect(findings).to.have.length(0);
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.match(why).and.match(/moved aside to .*state\.json\.bad-/);
      const aside = fs.readdirSync(dir).filter((n) => n.startsWith('state.json.bad-'));
      expect(aside).to.have.length(1);
      expect(fs.readFileSync(path.join(dir, aside[0]), 'utf8')).to.equal(text);
      expect(fs.existsSync(file)).to.equal(false);
      // ...and keeps running: the next write works.
      await new StateFile(file, [armedSignature()], { warn }).save();
      expect(findingsAfterRestart().findings).to.have.length(1);
    });
  }

  it('warns once when it cannot write, keeps running, and says when writing works again', async () => {
    const missing = path.join(dir, 'gone', 'state.json');
    const state = new StateFile(missing, [armedSignature()], { warn });
    await state.save();
    await state.save();
    expect(state.counts.saveFailures).to.equal(2);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/cannot write/);
    fs.mkdirSync(path.join(dir, 'gone'));
    await state.save();
    expect(warnings[1]).to.match(/writing works again/);
    expect(fs.existsSync(missing)).to.equal(true);
  });

  it('stop() after start() ends the timer and writes once more', async () => {
    const state = new StateFile(file, [armedSignature()], { warn, intervalSeconds: 1 });
    state.start();
    await state.stop();
    expect(state.counts.saves).to.equal(1);
    expect(fs.existsSync(file)).to.equal(true);
  });
});
