import { expect } from 'chai';
import * as path from 'node:path';
import { CaseFileError, formatProblem, parseCases } from '../../src/testing/case-file.js';
import { loadSignatureDirs } from '../../src/host/signature-modules.js';
import { BUILTIN_SIGNATURES } from '../../signatures/index.js';
import { runCase, failureReport } from '../../src/testing/run.js';
import { ConfigErrors, signaturesFor } from '../../src/testing/signatures-for.js';
import { KUBECTL_EVENTS, REPO, TempDir } from './helpers.js';

async function run(yaml: string, file = 'run.case.yaml') {
  const [c] = parseCases(yaml, file);
  return runCase(c);
}

describe('running a case', () => {
  it('passes when the findings match, in order, on the keys listed', async () => {
    const r = await run(`name: ok\nevents:${KUBECTL_EVENTS}\nexpect:\n  findings: [{ip: 10.96.0.1, port: 443, comm: kubectl, container_id: "0907ef86d7be", severity: 1, signature: TRC-1013, event: k8s_api_connection}]\n`);
    expect(r.status).to.equal('passed');
    expect(r.problems).to.deep.equal([]);
    expect(r.findings).to.have.length(1);
    expect(Object.fromEntries(r.findings[0].fields)).to.deep.equal({
      signature: 'TRC-1013',
      event: 'k8s_api_connection',
      severity: 1,
      timestamp: '1772446562500000000',
      ip: '10.96.0.1',
      container_id: '0907ef86d7be',
      comm: 'kubectl',
      port: 443,
    });
  });

  it('fails with expected and actual side by side when a value differs', async () => {
    const r = await run(`name: wrong port\nevents:${KUBECTL_EVENTS}\nexpect:\n  findings: [{ip: 10.96.0.1, port: 6443}]\n`);
    expect(r.status).to.equal('failed');
    expect(r.problems).to.deep.equal(['findings: expected 1, got 1, with different values']);
    expect(r.diff).to.deep.equal([
      '#  expected             actual',
      '1  ip: "10.96.0.1"      ip: "10.96.0.1"',
      '   port: 6443       !=  port: 443',
      '                        container_id: "0907ef86d7be"',
      '                        comm: "kubectl"',
    ]);
  });

  it('findings: [] means no finding at all', async () => {
    const r = await run(`name: none expected\nevents:${KUBECTL_EVENTS}\nexpect: {findings: []}\n`);
    expect(r.status).to.equal('failed');
    expect(r.problems[0]).to.equal('findings: expected 0, got 1');
    expect(r.diff[1]).to.match(/^1  \(none\)\s+!=  ip: "10\.96\.0\.1"$/);
  });

  it('fails when a finding is missing, or when there are more than expected', async () => {
    const missing = await run(`name: two\nevents:${KUBECTL_EVENTS}\nexpect: {findings: [{ip: 10.96.0.1}, {ip: 10.96.0.1}]}\n`);
    expect(missing.status).to.equal('failed');
    expect(missing.diff).to.include('2  ip: "10.96.0.1"  !=  (none)');
    const extra = await run(`name: any\nevents:${KUBECTL_EVENTS}\n    - {name: security_socket_connect, workload: *pod, data: [{name: remote_addr, sockaddr: {sa_family: AF_INET, sin_addr: 10.96.0.1, sin_port: 443}}]}\nexpect: {findings: [{}]}\n`);
    expect(extra.status).to.equal('failed');
    expect(extra.problems[0]).to.equal('findings: expected 1, got 2');
  });

  it('compares timestamps exactly, shown the way the case wrote them', async () => {
    const r = await run(`name: ts\nevents:${KUBECTL_EVENTS}\nexpect: {findings: [{timestamp: "2026-03-02T10:16:02.500000001Z"}]}\n`);
    expect(r.status).to.equal('failed');
    expect(r.diff[1]).to.equal('1  timestamp: 2026-03-02T10:16:02.500000001Z  !=  timestamp: 2026-03-02T10:16:02.5Z');
    const nanos = await run(`name: ts\nevents:${KUBECTL_EVENTS}\nexpect: {findings: [{timestamp: 1772446562500000000, severity: LOW}]}\n`);
    expect(nanos.status, failureReport(nanos).join('\n')).to.equal('passed');
  });

  it('checks signature counters and the malformed-line count', async () => {
    const r = await run(`name: counters\nevents:${KUBECTL_EVENTS}\nexpect:\n  findings: [{}]\n  counters: {k8s_api_connection: {addressesLearned: 2, execsSeen: 1}}\n`);
    expect(r.status).to.equal('failed');
    expect(r.problems).to.deep.equal(['counter k8s_api_connection.addressesLearned: expected 2, got 1']);

    const unknown = await run(`name: counters\nevents:${KUBECTL_EVENTS}\nexpect:\n  findings: [{}]\n  counters: {k8s_api_connection: {learned: 1}, other_sig: {x: 1}}\n`);
    expect(unknown.status).to.equal('error');
    expect(unknown.problems[0]).to.match(/^expect\.counters\.k8s_api_connection\.learned: no such counter; known: dispatched, findings, execsSeen, /);
    expect(unknown.problems[1]).to.equal('expect.counters.other_sig: no signature produces "other_sig"; known: k8s_api_connection');

    const tmp = new TempDir();
    try {
      tmp.write('rec.json', '{"name":"openat"}\nnot json\n{"name":"close"}\n');
      const file = tmp.write('m.case.yaml', 'name: m\nrecording: rec.json\nexpect: {findings: []}\n');
      const [c] = parseCases('name: m\nrecording: rec.json\nexpect: {findings: []}\n', file);
      const m = await runCase(c);
      expect(m.status).to.equal('failed');
      expect(m.problems[0]).to.equal('malformed input lines: expected 0, got 1');
      expect(m.problems[1]).to.match(/^ {2}malformed: .*rec\.json:2: not valid JSON/);
      const [ok] = parseCases('name: m\nrecording: rec.json\nexpect: {findings: [], malformed: 1}\n', file);
      expect((await runCase(ok)).status).to.equal('passed');
    } finally {
      tmp.remove();
    }
  });

  it('says when Tracee captured no environment, beside a failure', async () => {
    const r = await run(`name: no env
events:
  - {name: sched_process_exec, workload: &p {container: {id: c1, started: true}}, data: [{name: env, str_array: {}}]}
  - {name: security_socket_connect, workload: *p, data: [{name: remote_addr, sockaddr: {sa_family: AF_INET, sin_addr: 10.96.0.1, sin_port: 443}}]}
expect: {findings: [{ip: 10.96.0.1}]}
`);
    expect(r.status).to.equal('failed');
    expect(r.warnings.join('\n')).to.match(/environment capture was off in Tracee/);
  });

  it('runs each case in a fresh host: state never leaks between cases', async () => {
    const [learn, connect] = parseCases(`- name: learn
  events:
    - {name: sched_process_exec, workload: {container: {id: c1, started: true}}, data: [{name: env, str_array: {value: [KUBERNETES_SERVICE_HOST=10.96.0.1]}}]}
  expect: {findings: []}
- name: connect
  events:
    - {name: security_socket_connect, workload: {container: {id: c1, started: true}}, data: [{name: remote_addr, sockaddr: {sa_family: AF_INET, sin_addr: 10.96.0.1, sin_port: 443}}]}
  expect: {findings: []}
`, 'fresh.yaml');
    expect((await runCase(learn)).status).to.equal('passed');
    expect((await runCase(connect)).status).to.equal('passed');
  });
});

describe('a case names its signature', () => {
  const signatures = loadSignatureDirs([path.join(REPO, 'examples', 'cloud-metadata', 'dist')], BUILTIN_SIGNATURES);
  const METADATA_CONNECT = `
    - {name: security_socket_connect, workload: *pod, data: [{name: remote_addr, sockaddr: {sa_family: AF_INET, sin_addr: 169.254.169.254, sin_port: 80}}]}`;
  const runWith = async (yaml: string) => {
    const [c] = parseCases(yaml, 'sig.case.yaml', { signatures });
    return runCase(c, { signatures });
  };

  it("compares only that signature's findings; 'all' (or none named) compares every signature's", async () => {
    const events = `events:${KUBECTL_EVENTS}${METADATA_CONNECT}\n`;
    const trc = await runWith(`name: t\nsignature: TRC-1013\n${events}expect: {findings: [{ip: 10.96.0.1}]}\n`);
    expect(trc.status, failureReport(trc).join('\n')).to.equal('passed');
    const example = await runWith(`name: e\nsignature: EX-CLOUD-METADATA\n${events}expect: {findings: [{ip: 169.254.169.254, port: 80}]}\n`);
    expect(example.status, failureReport(example).join('\n')).to.equal('passed');
    for (const all of ['signature: all\n', '']) {
      const r = await runWith(`name: a\n${all}${events}expect: {findings: [{signature: TRC-1013}, {signature: EX-CLOUD-METADATA}]}\n`);
      expect(r.status, failureReport(r).join('\n')).to.equal('passed');
    }
  });

  it('refuses a signature that is not loaded, naming the ones that are', () => {
    let problems: string[] = [];
    try {
      parseCases(`name: x\nsignature: TRC-9999\nevents:${KUBECTL_EVENTS}\nexpect: {findings: []}\n`, 'x.case.yaml');
    } catch (e) {
      expect(e).to.be.instanceOf(CaseFileError);
      problems = (e as CaseFileError).problems.map(formatProblem);
    }
    expect(problems).to.deep.equal(['x.case.yaml:2:1: signature: no signature "TRC-9999" is loaded; expected one of TRC-1013, all']);
  });
});

describe('signaturesFor (a case\'s config)', () => {
  it('reads the same configuration as --config', async () => {
    const [sig] = signaturesFor({ limits: { maxAddressesPerContainer: 1, maxContainers: 3 } });
    expect(sig.metadata.id).to.equal('TRC-1013');
    const r = await run(`name: cap
config: {limits: {maxAddressesPerContainer: 1}}
events:
  - {name: sched_process_exec, workload: &p {container: {id: c1, started: true}}, data: [{name: env, str_array: {value: [KUBERNETES_SERVICE_HOST=10.96.0.1, KUBERNETES_SERVICE_HOST=10.96.0.2]}}]}
  - {name: security_socket_connect, workload: *p, data: [{name: remote_addr, sockaddr: {sa_family: AF_INET, sin_addr: 10.96.0.2, sin_port: 443}}]}
expect: {findings: [], counters: {k8s_api_connection: {addressesDropped: 1}}}
`);
    expect(r.status, failureReport(r).join('\n')).to.equal('passed');
  });

  it('rejects unknown keys and bad values, naming them', () => {
    const errors = (config: Record<string, unknown>): string[] => {
      try {
        signaturesFor(config);
      } catch (e) {
        expect(e).to.be.instanceOf(ConfigErrors);
        return (e as ConfigErrors).errors.map((x) => `${x.path}: ${x.problem}`);
      }
      return [];
    };
    expect(errors({ rules: {} })).to.deep.equal(['rules: unknown key: expected one of signatures, apiServer, allowlist, dedup, limits, hostnames, state']);
    expect(errors({ limits: { maxContainer: 1 } })[0]).to.match(/^limits\.maxContainer: unknown key: .*did you mean "maxContainers"/);
    expect(errors({ limits: { maxContainers: 0 } })).to.deep.equal(['limits.maxContainers: 0: expected a whole number from 1 to 10000000']);
    expect(errors({ allowlist: { rules: [{ name: 'r', image: 7 }] } })[0]).to.match(/^allowlist\.rules\.0\.image: /);
  });
});
