import { expect } from 'chai';
import * as path from 'node:path';
import { CaseFileError, formatProblem, loadCases, parseCases } from '../../src/testing/case-file.js';
import { KUBECTL_EVENTS, TempDir } from './helpers.js';

/** The problems of a case file text, as the CLI prints them. */
function problemsOf(text: string, file = 'bad.case.yaml'): string[] {
  try {
    parseCases(text, file);
  } catch (e) {
    if (e instanceof CaseFileError) return e.problems.map(formatProblem);
    throw e;
  }
  throw new Error('expected the case file to be refused');
}

describe('case files', () => {
  it('reads one case, or a list of cases, with where each starts', () => {
    const one = parseCases(`name: one\nevents:${KUBECTL_EVENTS}\nexpect: {findings: []}\n`, 'one.yaml');
    expect(one).to.have.length(1);
    expect(one[0]).to.include({ name: 'one', file: 'one.yaml', line: 1 });
    expect(one[0].input.kind).to.equal('events');

    const list = parseCases(`- name: a\n  events:${KUBECTL_EVENTS}\n  expect: {findings: []}\n- name: b\n  events: ['{"name":"openat"}']\n  expect: {findings: []}\n`, 'list.yaml');
    expect(list.map((c) => [c.name, c.line])).to.deep.equal([['a', 1], ['b', 14]]);
  });

  it('decodes inline events of both JSON shapes through the replay decoders', () => {
    const [c] = parseCases(
      `name: shapes
events:
  - {name: security_socket_connect, workload: {container: {id: c1, started: true}}, data: [{name: remote_addr, sockaddr: {sa_family: AF_INET6, sin6_addr: "fd00::1", sin6_port: 443}}]}
  - {eventName: security_socket_connect, eventId: "736", timestamp: 1, containerId: c1, contextFlags: {containerStarted: true}, args: [{name: remote_addr, type: SockAddr, value: {sa_family: AF_INET, sin_addr: 10.96.0.1, sin_port: "443"}}]}
expect: {findings: []}
`,
      'shapes.yaml',
    );
    if (c.input.kind !== 'events') throw new Error('events expected');
    const [current, legacy] = c.input.events;
    expect(current.data[0].sockaddr).to.deep.equal({ sa_family: 'AF_INET6', sin6_addr: 'fd00::1', sin6_port: 443 });
    expect(legacy.data[0].sockaddr).to.deep.equal({ sa_family: 'AF_INET', sin_addr: '10.96.0.1', sin_port: 443 });
    expect(legacy.workload?.container).to.include({ id: 'c1', started: true });
  });

  it('keeps 19-digit legacy timestamps exact, in YAML events, JSON-line events and expectations', () => {
    const yamlCase = `name: exact
events:
  - {eventName: sched_process_exec, eventId: "715", timestamp: 1763629200187654321, containerId: c1}
  - '{"eventName":"sched_process_exec","eventId":"715","timestamp":1763629200187654399,"containerId":"c1"}'
expect:
  findings: [{timestamp: 1763629200187654321}, {timestamp: "2025-11-20T09:00:00.000000001Z"}]
`;
    for (const [text, file] of [[yamlCase, 'exact.yaml'], [jsonVersion(), 'exact.case.json']] as const) {
      const [c] = parseCases(text, file);
      if (c.input.kind !== 'events') throw new Error('events expected');
      expect(c.input.events[0].timestamp, file).to.deep.equal({ seconds: 1763629200, nanos: 187654321 });
      expect(c.input.events[1].timestamp, file).to.deep.equal({ seconds: 1763629200, nanos: 187654399 });
      expect(c.expect.findings[0].fields.get('timestamp'), file).to.equal('1763629200187654321');
      expect(c.expect.findings[1].fields.get('timestamp'), file).to.equal('1763629200000000001');
    }
  });

  it('names file, line, key path and problem for each schema error', () => {
    const problems = problemsOf(`- name: typo
  events:${KUBECTL_EVENTS}
  expect:
    findings:
      - {ip: 10.96.0.1, prot: 443}
      - {port: "443", severity: HUGE}
- name: no input
  expect: {findings: []}
- name: two inputs
  events: ['{"name":"x"}']
  recording: x.json
  expect: {findings: []}
- events: ['{"name":"x"}']
  expect: {findigns: []}
`);
    expect(problems).to.deep.equal([
      'bad.case.yaml:15:25: [0].expect.findings[0].prot: unknown key; expected one of: ip, port, container_id, comm, severity, signature, event, timestamp',
      'bad.case.yaml:16:10: [0].expect.findings[1].port: must be a whole number, got "443"',
      'bad.case.yaml:16:23: [0].expect.findings[1].severity: must be threat severity: 0-4 or INFO, LOW, MEDIUM, HIGH, CRITICAL, got "HUGE"',
      'bad.case.yaml:17:3: [1]: needs its input: either "events" (inline events) or "recording" (a file)',
      'bad.case.yaml:19:3: [2]: has both "events" and "recording"; give one input',
      'bad.case.yaml:23:3: [3]: missing required key "name"',
      'bad.case.yaml:24:3: [3].expect: missing required key "findings"',
      'bad.case.yaml:24:12: [3].expect.findigns: unknown key; expected one of: findings, malformed, counters',
    ]);
  });

  it('names the line of YAML syntax errors, and refuses empty files', () => {
    expect(problemsOf('name: x\nevents: [1, 2\n')).to.have.length.greaterThan(0);
    expect(problemsOf('name: x\nevents: [1, 2\n')[0]).to.match(/^bad\.case\.yaml:\d+:\d+: not valid YAML\/JSON: /);
    expect(problemsOf('name: a\nname: b\n')[0]).to.match(/^bad\.case\.yaml:2:1: not valid YAML\/JSON: Map keys must be unique/);
    expect(problemsOf('# nothing\n')).to.deep.equal(['bad.case.yaml: empty: expected a case (name, events or recording, expect) or a list of cases']);
  });

  it('names the event, field and problem when an inline event cannot be decoded', () => {
    const problems = problemsOf(`name: bad events
events:
  - {name: sched_process_exec, workload: {container: {id: 5}}}
  - '{"eventName": "x", "timestamp": "soon"}'
  - '{not json'
  - {neither: shape}
expect: {findings: []}
`);
    expect(problems).to.deep.equal([
      'bad.case.yaml:3:5: events[0]: workload.container.id: expected a string, got number 5',
      'bad.case.yaml:4:5: events[1]: timestamp: expected a number, got the string "soon"',
      `bad.case.yaml:5:5: events[2]: not valid JSON (Expected property name or '}' in JSON at position 1)`,
      'bad.case.yaml:6:5: events[3]: not a Tracee event: no "eventName" (legacy) or "name" (current) key',
    ]);
  });

  it('checks config keys, recordings, timestamps and duplicate names', () => {
    const problems = problemsOf(`- name: a
  config: {limits: {maxAdresses: 2}}
  recording: missing.json
  expect: {findings: [{timestamp: yesterday}]}
- name: a
  config: {tracee: {}}
  events: ['{"name":"x"}']
  expect: {findings: []}
`);
    expect(problems).to.deep.equal([
      'bad.case.yaml:2:21: [0].config.limits.maxAdresses: unknown key: expected one of maxContainers, maxAddressesPerContainer, maxLearnCandidates, maxLearnedAddresses',
      'bad.case.yaml:3:3: [0].recording: missing.json: cannot read: no such file or directory; check the path',
      'bad.case.yaml:4:24: [0].expect.findings[0].timestamp: not an RFC 3339 time or a whole number of nanoseconds: "yesterday"',
      'bad.case.yaml:5:3: [1].name: duplicate name; the case at line 1 has it too',
      'bad.case.yaml:6:12: [1].config.tracee: unknown key: expected one of signatures, apiServer, allowlist, dedup, limits, hostnames, state',
    ]);
  });

  it('reads recordings relative to the case file, and JSON case files with tabs', () => {
    const tmp = new TempDir();
    try {
      tmp.write('sub/rec.json', '{"name":"openat"}\n');
      const file = tmp.write('sub/a.case.json', '{\n\t"name": "rec",\n\t"recording": "rec.json",\n\t"expect": {"findings": []}\n}\n');
      const [c] = loadCases(file);
      expect(c.input).to.deep.equal({ kind: 'recording', path: path.join(tmp.dir, 'sub', 'rec.json'), written: 'rec.json' });
      expect(() => loadCases(path.join(tmp.dir, 'nope.yaml'))).to.throw(CaseFileError, /nope\.yaml: cannot read: no such file/);
    } finally {
      tmp.remove();
    }
  });
});

function jsonVersion(): string {
  return `{"name": "exact",
 "events": [
  {"eventName": "sched_process_exec", "eventId": "715", "timestamp": 1763629200187654321, "containerId": "c1"},
  "{\\"eventName\\":\\"sched_process_exec\\",\\"eventId\\":\\"715\\",\\"timestamp\\":1763629200187654399,\\"containerId\\":\\"c1\\"}"
 ],
 "expect": {"findings": [{"timestamp": 1763629200187654321}, {"timestamp": "2025-11-20T09:00:00.000000001Z"}]}}`;
}
