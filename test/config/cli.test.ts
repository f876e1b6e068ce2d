// The config command and replay --config / --api-server, run as a user runs them.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Event } from '../../src/model/event.js';
import { currentJson } from '../../src/encode/current-json.js';
import { CONTAINER_B, connect, exec, inet, K8S_ENV } from '../support/events.js';
import { placed } from '../support/workload.js';
import { runCli } from '../support/cli.js';

async function cli(args: string[]) {
  const r = await runCli(args);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('CLI: config and replay --config', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-sig-cli-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };
  const recording = (name: string, events: Event[]) => write(name, events.map((e) => currentJson(e) + '\n').join(''));
  const findings = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const dataOf = (f: { data: { name: string; str?: string; u_int32?: number }[] }) => Object.fromEntries(f.data.map((d) => [d.name, d.str ?? d.u_int32]));

  it('config validate: exit 0 and a one-line description for a valid file', async () => {
    const f = write('ok.yaml', 'apiServer:\n  addresses: [10.96.0.1]\n');
    const r = await cli(['config', 'validate', f]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/: valid: TRC-1013: 0 allowlist rule\(s\).*1 cluster-wide address/);
  });

  it('config validate: exit 2 and every problem on stderr', async () => {
    const f = write('bad.yaml', 'apiServer:\n  addresses: [nope]\nallowlist:\n  mode: loud\n');
    const r = await cli(['config', 'validate', f]);
    expect(r.code).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.deep.equal([
      `${f}: apiServer.addresses[0]: "nope": expected an IPv4 or IPv6 address (host names go in KUBERNETES_SERVICE_HOST resolution, not here)`,
      `${f}: allowlist.mode: "loud": expected one of suppress, audit`,
    ]);
  });

  it('config schema prints the JSON Schema', async () => {
    const r = await cli(['config', 'schema']);
    expect(r.code).to.equal(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.$schema).to.match(/draft-07/);
    expect(Object.keys(schema.properties)).to.deep.equal(['signatures', 'apiServer', 'allowlist', 'dedup', 'limits', 'hostnames', 'state']);
    // Composed: each signature's section is its own schema plus the host's keys.
    const trc1013 = schema.properties.signatures.properties['TRC-1013'];
    expect(Object.keys(trc1013.properties)).to.include.members(['addresses', 'learnAfterContainers', 'allowlist', 'dedup', 'maxContainers']);
  });

  it('config with no action is a usage error', async () => {
    expect((await cli(['config'])).code).to.equal(2);
  });

  it('replay --config with a bad file exits 2 before reading input', async () => {
    const f = write('bad.yaml', 'dedup: {windowSeconds: -1}\n');
    const r = await cli(['replay', '--config', f, path.join(dir, 'nothing.json')]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include(`tracee-sig replay: ${f}: dedup.windowSeconds: -1: expected a number from 0 to 604800`);
  });

  it('replay --api-server must be an address', async () => {
    const rec = recording('r.json', [exec(K8S_ENV)]);
    const r = await cli(['replay', '--api-server', 'kubernetes', rec]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('--api-server must be an IPv4 or IPv6 address; got "kubernetes"');
  });

  it('replay applies the allowlist (audit), cluster-wide addresses from file and flag, and counts per rule', async () => {
    const cfg = write('c.yaml', [
      'apiServer:', '  addresses: [172.18.0.2]', '  learnAfterContainers: 0',
      'allowlist:', '  mode: audit', '  rules:', '    - name: mon', '      namespace: monitoring', '      reason: service discovery',
    ].join('\n'));
    const rec = recording('r.json', [
      exec(K8S_ENV),
      placed(connect(inet('10.96.0.1')), { namespace: 'monitoring' }),
      connect(inet('172.18.0.2', 6443), { container: CONTAINER_B }),
      connect(inet('192.0.2.9'), { container: CONTAINER_B }),
    ]);
    const r = await cli(['replay', '--output', 'json', '--config', cfg, '--api-server', '192.0.2.9', rec]);
    expect(r.code, r.stderr).to.equal(0);
    const out = findings(r.stdout);
    expect(out.map((f) => [dataOf(f).ip, dataOf(f).allowed_by, f.threat.severity])).to.deep.equal([
      ['10.96.0.1', 'mon', 0],
      ['172.18.0.2', undefined, 1],
      ['192.0.2.9', undefined, 1],
    ]);
    expect(r.stderr).to.match(/allowed\[mon\] 1/);
  });

  it('replay keeps containers armed across runs through the state file', async () => {
    const cfg = write('c.yaml', 'apiServer:\n  learnAfterContainers: 0\nstate:\n  file: state.json\n');
    const first = await cli(['replay', '--config', cfg, recording('day1.json', [exec(K8S_ENV)])]);
    expect(first.code, first.stderr).to.equal(0);
    expect(fs.existsSync(path.join(dir, 'state.json'))).to.equal(true);
    const second = await cli(['replay', '--config', cfg, recording('day2.json', [connect(inet('10.96.0.1'))])]);
    expect(second.code, second.stderr).to.equal(0);
    expect(findings(second.stdout)).to.have.length(1);
  });

  it('replay moves a corrupt state file aside, warns, and runs', async () => {
    const cfg = write('c.yaml', 'state:\n  file: state.json\n');
    write('state.json', '{"half":');
    const r = await cli(['replay', '--config', cfg, recording('r.json', [exec(K8S_ENV), connect(inet('10.96.0.1'))])]);
    expect(r.code).to.equal(0);
    expect(r.stderr).to.match(/warning: state file .*state\.json: not JSON .* moved aside to/);
    expect(findings(r.stdout)).to.have.length(1);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')).format).to.equal('tracee-sig-state');
  });

  it('replay warns about hostname values when resolution is off', async () => {
    const r = await cli(['replay', recording('r.json', [exec(['KUBERNETES_SERVICE_HOST=api.example.com']), connect(inet('10.0.0.5'))])]);
    expect(r.code).to.equal(0);
    expect(r.stderr).to.match(/1 KUBERNETES_SERVICE_HOST value\(s\) were host names/);
  });
});
