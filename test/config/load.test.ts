import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, configFromData, defaultConfig, loadConfig } from '../../src/config/load.js';
import { signatureSections } from '../../src/config/signatures.js';
import { configSchema } from '../../src/config/schema.js';
import YAML from 'yaml';

function problems(data: unknown): string[] {
  try {
    configFromData(data, 'c.yaml');
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('config loading', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-sig-config-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  describe('every error message names the file, the key path, the bad value and what was expected', () => {
    const cases: [string, unknown, string][] = [
      ['unknown top-level key, with a suggestion', { allowList: {} }, 'c.yaml: allowList: unknown key: expected one of signatures, apiServer, allowlist, dedup, limits, hostnames, state (did you mean "allowlist"?)'],
      ['top level not a mapping', ['x'], 'c.yaml: (top level): ["x"]: expected a mapping (key: value)'],
      ['address not an IP', { apiServer: { addresses: ['kubernetes.default'] } }, 'c.yaml: apiServer.addresses[0]: "kubernetes.default": expected an IPv4 or IPv6 address (host names go in KUBERNETES_SERVICE_HOST resolution, not here)'],
      ['addresses not a list', { apiServer: { addresses: '10.96.0.1' } }, 'c.yaml: apiServer.addresses: "10.96.0.1": expected a list'],
      ['threshold out of range', { apiServer: { learnAfterContainers: -1 } }, 'c.yaml: apiServer.learnAfterContainers: -1: expected a whole number from 0 to 1000'],
      ['threshold not whole', { apiServer: { learnAfterContainers: 2.5 } }, 'c.yaml: apiServer.learnAfterContainers: 2.5: expected a whole number'],
      ['resolver flag not boolean', { apiServer: { resolveHostnames: { enabled: 'yes' } } }, 'c.yaml: apiServer.resolveHostnames.enabled: "yes": expected true or false'],
      ['bad DNS server', { apiServer: { resolveHostnames: { servers: ['127.0.0.1:99999'] } } }, 'c.yaml: apiServer.resolveHostnames.servers[0]: "127.0.0.1:99999": expected a DNS server as IP, IPv4:port or [IPv6]:port'],
      ['resolver timeout too small', { apiServer: { resolveHostnames: { timeoutMs: 1 } } }, 'c.yaml: apiServer.resolveHostnames.timeoutMs: 1: expected a whole number from 10 to 60000'],
      ['bad mode', { allowlist: { mode: 'quiet' } }, 'c.yaml: allowlist.mode: "quiet": expected one of suppress, audit'],
      ['rules not a list', { allowlist: { rules: { name: 'x' } } }, 'c.yaml: allowlist.rules: {"name":"x"}: expected a list'],
      ['rule without name', { allowlist: { rules: [{ namespace: 'x' }] } }, 'c.yaml: allowlist.rules[0].name: missing: expected a value (required)'],
      ['empty value', { allowlist: { rules: [{ name: 'r', namespace: '' }] } }, 'c.yaml: allowlist.rules[0].namespace: "": expected a non-empty string'],
      ['empty list', { allowlist: { rules: [{ name: 'r', comm: [] }] } }, 'c.yaml: allowlist.rules[0].comm: []: expected a non-empty list'],
      ['value of the wrong type', { allowlist: { rules: [{ name: 'r', image: 5 }] } }, 'c.yaml: allowlist.rules[0].image: 5: expected a string or a list of strings'],
      ['list item of the wrong type', { allowlist: { rules: [{ name: 'r', podName: ['a', 3] }] } }, 'c.yaml: allowlist.rules[0].podName[1]: 3: expected a string'],
      ['no labels', { allowlist: { rules: [{ name: 'r', podLabels: {} }] } }, 'c.yaml: allowlist.rules[0].podLabels: {}: expected at least 1 entry'],
      ['label value not a string', { allowlist: { rules: [{ name: 'r', podLabels: { 'app.kubernetes.io/name': 3 } }] } }, 'c.yaml: allowlist.rules[0].podLabels["app.kubernetes.io/name"]: 3: expected a string'],
      ['impossible date', { allowlist: { rules: [{ name: 'r', comm: 'x', expires: '2026-02-30' }] } }, 'c.yaml: allowlist.rules[0].expires: "2026-02-30": expected a date YYYY-MM-DD or an RFC 3339 date-time such as 2026-12-31T18:00:00Z'],
      ['date-time without zone', { allowlist: { rules: [{ name: 'r', comm: 'x', expires: '2026-02-01T10:00:00' }] } }, 'c.yaml: allowlist.rules[0].expires: "2026-02-01T10:00:00": expected a date YYYY-MM-DD or an RFC 3339 date-time such as 2026-12-31T18:00:00Z'],
      ['name too long', { allowlist: { rules: [{ name: 'n'.repeat(129), comm: 'x' }] } }, `c.yaml: allowlist.rules[0].name: "${'n'.repeat(76)}...: expected at most 128 characters`],
      ['rule with no match key', { allowlist: { rules: [{ name: 'r', reason: 'why' }] } }, 'c.yaml: allowlist.rules[0]: {"name":"r","reason":"why"}: expected at least one of namespace, podName, podLabels, containerName, image, comm, executable (a rule without one would allow everything)'],
      ['duplicate rule name', { allowlist: { rules: [{ name: 'r', comm: 'a' }, { name: 'r', comm: 'b' }] } }, 'c.yaml: allowlist.rules[1].name: "r": expected a name not already used by allowlist.rules[0]'],
      ['dedup window as text', { dedup: { windowSeconds: '60' } }, 'c.yaml: dedup.windowSeconds: "60": expected a number'],
      ['dedup window negative', { dedup: { windowSeconds: -5 } }, 'c.yaml: dedup.windowSeconds: -5: expected a number from 0 to 604800'],
      ['limit zero', { limits: { maxContainers: 0 } }, 'c.yaml: limits.maxContainers: 0: expected a whole number from 1 to 10000000'],
      ['address cap too large', { limits: { maxAddressesPerContainer: 5000 } }, 'c.yaml: limits.maxAddressesPerContainer: 5000: expected a whole number from 1 to 1024'],
      ['state file empty', { state: { file: '' } }, 'c.yaml: state.file: "": expected a non-empty string'],
      ['state interval zero', { state: { intervalSeconds: 0 } }, 'c.yaml: state.intervalSeconds: 0: expected a whole number from 1 to 86400'],
    ];
    for (const [what, data, message] of cases) {
      it(what, () => expect(problems(data)).to.deep.equal([message]));
    }

    it('a misspelt key, and the rule left without a match key', () => {
      expect(problems({ allowlist: { rules: [{ name: 'r', namepsace: 'x' }] } })).to.deep.equal([
        'c.yaml: allowlist.rules[0].namepsace: unknown key: expected one of name, namespace, podName, podLabels, containerName, image, comm, executable, reason, expires (did you mean "namespace"?)',
        'c.yaml: allowlist.rules[0]: {"name":"r","namepsace":"x"}: expected at least one of namespace, podName, podLabels, containerName, image, comm, executable (a rule without one would allow everything)',
      ]);
    });

    it('state file in a directory that does not exist', () => {
      const p = problems({ state: { file: '/nonexistent-dir-for-test/state.json' } });
      expect(p).to.deep.equal(['c.yaml: state.file: "/nonexistent-dir-for-test/state.json": expected a path in an existing directory (/nonexistent-dir-for-test does not exist)']);
    });

    it('all problems at once', () => {
      const p = problems({ apiServer: { addresses: ['x'] }, allowlist: { mode: 'm', rules: [{ name: 'r' }] }, limits: { maxContainers: 0 } });
      expect(p).to.have.length(4);
    });
  });

  describe('files', () => {
    it('reads YAML and JSON alike, applying defaults', () => {
      const y = loadConfig(write('c.yaml', 'apiServer:\n  addresses: [10.96.0.1]\nallowlist:\n  rules:\n    - name: mon\n      namespace: monitoring\n'));
      const j = loadConfig(write('c.json', JSON.stringify({ apiServer: { addresses: ['10.96.0.1'] }, allowlist: { rules: [{ name: 'mon', namespace: 'monitoring' }] } })));
      for (const c of [y, j]) {
        expect(c.apiServer.addresses).to.deep.equal(['10.96.0.1']);
        expect(c.allowlist).to.deep.equal({ mode: 'suppress', rules: [{ name: 'mon', namespace: ['monitoring'] }] });
        expect(c.limits).to.deep.equal(defaultConfig().limits);
        expect(c.apiServer.learnAfterContainers).to.equal(0); // learning is opt-in
      }
    });

    it('an empty file is the default configuration', () => {
      const f = write('empty.yaml', '');
      expect(loadConfig(f)).to.deep.equal({ ...defaultConfig(), source: f });
    });

    it('resolves a relative state file against the config file\'s directory', () => {
      const c = loadConfig(write('c.yaml', 'state:\n  file: state.json\n'));
      expect(c.state.file).to.equal(path.join(dir, 'state.json'));
    });

    it('reports a missing file', () => {
      const f = path.join(dir, 'missing.yaml');
      expect(() => loadConfig(f)).to.throw(ConfigError, `${f}: cannot read: no such file`);
    });

    it('reports YAML syntax errors with line and column, duplicate keys included', () => {
      const f = write('bad.yaml', 'dedup:\n  windowSeconds: 1\ndedup:\n  windowSeconds: 2\n');
      expect(() => loadConfig(f)).to.throw(ConfigError, `${f}: line 3, column 1: cannot parse: Map keys must be unique`);
      const g = write('bad2.yaml', 'apiServer: [\n');
      expect(() => loadConfig(g)).to.throw(ConfigError, new RegExp(`^${g.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line \\d+, column \\d+: cannot parse: `));
    });

    it('warns about rules the wall clock says have expired, without failing', () => {
      const rules = [{ name: 'old', comm: 'x', expires: '2020-01-01' }, { name: 'new', comm: 'y', expires: '2099-01-01' }];
      const c = configFromData({ signatures: { 'TRC-1013': { allowlist: { rules } } } }, 'c.yaml', new Date('2026-01-01T00:00:00Z'));
      expect(c.warnings).to.deep.equal([
        'c.yaml: signatures.TRC-1013.allowlist.rules[0] "old" expired 2020-01-01: it no longer allows live events (it still allows recorded events older than that; renew or remove it)',
      ]);
    });

    it('takes each signature\'s section under signatures.<id>, checked by that signature\'s schema', () => {
      const c = configFromData({ signatures: { 'TRC-1013': { addresses: ['10.96.0.1'], dedup: { windowSeconds: 60 }, maxContainers: 10 } } }, 'c.yaml');
      expect(c.warnings).to.deep.equal([]);
      expect(signatureSections(c)['TRC-1013']).to.deep.include({ addresses: ['10.96.0.1'], dedup: { windowSeconds: 60 }, maxContainers: 10 });
      expect(problems({ signatures: { 'TRC-1013': { addresses: ['kubernetes'], learnAfter: 3 } } })).to.deep.equal([
        'c.yaml: signatures.TRC-1013.learnAfter: unknown key: expected one of addresses, learnAfterContainers, resolveHostnames, maxAddressesPerContainer, maxLearnCandidates, maxLearnedAddresses, maxContainers, allowlist, dedup',
        'c.yaml: signatures.TRC-1013.addresses[0]: "kubernetes": expected an IPv4 or IPv6 address (host names go in KUBERNETES_SERVICE_HOST resolution, not here)',
      ]);
      expect(problems({ signatures: { 'TRC-9999': {} } })).to.deep.equal(['c.yaml: signatures.TRC-9999: unknown key: expected one of TRC-1013']);
      expect(problems({ signatures: { 'TRC-1013': { allowlist: { rules: [{ name: 'r' }] } } } })[0]).to.match(/^c\.yaml: signatures\.TRC-1013\.allowlist\.rules\[0\]: .*expected at least one of namespace/);
    });

    it('still takes the keys from before sections, mapped to TRC-1013, with a one-line deprecation warning naming the new key', () => {
      const c = configFromData({ apiServer: { addresses: ['10.96.0.1'] }, allowlist: { rules: [{ name: 'mon', namespace: 'monitoring' }] }, limits: { maxContainers: 5 } }, 'c.yaml');
      expect(c.warnings).to.deep.equal([
        'c.yaml: apiServer.addresses is deprecated; use signatures.TRC-1013.addresses',
        'c.yaml: allowlist is deprecated; use signatures.TRC-1013.allowlist',
        'c.yaml: limits.maxContainers is deprecated; use signatures.TRC-1013.maxContainers',
      ]);
      const section = signatureSections(c)['TRC-1013'];
      expect(section).to.deep.include({ addresses: ['10.96.0.1'], maxContainers: 5, allowlist: { mode: 'suppress', rules: [{ name: 'mon', namespace: ['monitoring'] }] } });
      // A key in the section wins over the legacy key.
      const both = configFromData({ apiServer: { addresses: ['10.96.0.1'] }, signatures: { 'TRC-1013': { addresses: ['10.96.0.2'] } } }, 'c.yaml');
      expect(signatureSections(both)['TRC-1013'].addresses).to.deep.equal(['10.96.0.2']);
    });

    it('the example config in docs/ is valid and means what it says', () => {
      const c = loadConfig(path.join(__dirname, '../../../docs/config.example.yaml'));
      expect(c.warnings).to.deep.equal([]); // no deprecated key
      const o = signatureSections(c, ['192.0.2.1'])['TRC-1013'];
      expect((o.allowlist as { rules: { name: string }[] }).rules.map((r) => r.name)).to.deep.equal(['istio-sidecar', 'prometheus', 'argo-controller', 'ci-runner']);
      expect(o.addresses).to.deep.equal(['10.96.0.1', '172.18.0.2', '192.0.2.1']);
      expect(o.dedup).to.deep.equal({ windowSeconds: 300 });
    });

    it('the example config marks every value that is not the default as a suggestion', () => {
      const file = path.join(__dirname, '../../../docs/config.example.yaml');
      const text = fs.readFileSync(file, 'utf8');
      type Schema = { properties?: Record<string, Schema>; default?: unknown };
      // Key paths whose example value differs from the schema's default (objects are walked).
      const notDefault = (value: unknown, schema: Schema | undefined, at: string[]): string[] => {
        if (value !== null && typeof value === 'object' && !Array.isArray(value) && schema?.properties) {
          return Object.entries(value).flatMap(([k, v]) => notDefault(v, schema.properties![k], [...at, k]));
        }
        const d = schema?.default;
        const isDefault = Array.isArray(value) ? value.length === 0 && (d === undefined || (Array.isArray(d) && d.length === 0)) : value === d;
        return isDefault ? [] : [at.join('.')];
      };
      const found = notDefault(YAML.parse(text), configSchema() as Schema, []);
      expect(found).to.deep.equal(['signatures.TRC-1013.addresses', 'signatures.TRC-1013.learnAfterContainers', 'signatures.TRC-1013.allowlist.rules', 'signatures.TRC-1013.dedup.windowSeconds']);
      const marked = text.split('\n').filter((l) => /^\s+[\w-]+:.*# suggestion/.test(l)).map((l) => l.trim().split(':')[0]);
      expect(marked).to.deep.equal(found.map((k) => k.split('.').pop()));
    });
  });
});
