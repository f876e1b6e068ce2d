// User signatures from --signatures-dir: the example loads; a bad module is
// refused at load with one line naming the file and what is wrong (exit 2),
// never an error later.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSignatureDirs, SignatureModuleError } from '../../src/host/signature-modules.js';
import { BUILTIN_SIGNATURES } from '../../signatures/index.js';
import { ROOT, runCli } from '../support/cli.js';

const EXAMPLE_DIR = path.join(ROOT, 'examples', 'cloud-metadata', 'dist');

const GOOD = `
module.exports.default = {
  metadata: { id: 'T-1', version: '1', name: 'n', eventName: 't_one', description: '', tags: [], severity: 1, category: 'c', mitre: { tactic: 't', technique: { id: 'x', name: 'y' } }, properties: {} },
  selectedEvents: [{ source: 'tracee', name: 'openat', origin: '*' }],
  create() { return { onEvent() { return undefined; } }; },
};`;

describe('signature modules (--signatures-dir)', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-sig-modules-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);
  const refusal = (): string => {
    try {
      loadSignatureDirs([dir], BUILTIN_SIGNATURES);
    } catch (e) {
      expect(e).to.be.instanceOf(SignatureModuleError);
      return (e as Error).message;
    }
    throw new Error('loaded');
  };

  it('loads the example signature, built from examples/cloud-metadata', () => {
    const [d] = loadSignatureDirs([EXAMPLE_DIR], BUILTIN_SIGNATURES);
    expect(d.metadata).to.include({ id: 'EX-CLOUD-METADATA', eventName: 'cloud_metadata_connection' });
  });

  it('loads a plain CommonJS module and an ES module, in name order', () => {
    write('b.cjs', GOOD);
    write('a.mjs', GOOD.replace('module.exports.default =', 'export default').replace(/T-1/, 'T-2').replace('t_one', 't_two'));
    write('notes.txt', 'not a module');
    expect(loadSignatureDirs([dir]).map((d) => d.metadata.id)).to.deep.equal(['T-2', 'T-1']);
  });

  const bad: [string, string, RegExp][] = [
    ['a syntax error', 'module.exports = {', /bad\.js: cannot load: /],
    ['no definition exported', 'module.exports = 42;', /bad\.js: exports no signature definition/],
    ['metadata without an id', GOOD.replace("id: 'T-1', ", ''), /bad\.js: not a signature definition: metadata\.id: missing: expected a value/],
    ['a bad origin', GOOD.replace("origin: '*'", "origin: 'pod'"), /bad\.js: not a signature definition: selectedEvents\[0\]\.origin: "pod": expected one of host, container, container-init, \*/],
    ['no create', GOOD.replace('create()', 'make()'), /bad\.js: not a signature definition: create: expected a function/],
    ['a config schema ajv refuses', GOOD.replace('selectedEvents:', "config: { type: 'object', properties: { x: { type: 'integr' } } }, selectedEvents:"), /bad\.js: T-1 has a schema \(config or state\) that ajv refuses: schema is invalid: .*properties\/x\/type/],
    ['a state schema ajv refuses', GOOD.replace('selectedEvents:', "state: { container: { type: 'object', properties: { n: { type: 'integr' } } } }, selectedEvents:"), /bad\.js: T-1 has a schema \(config or state\) that ajv refuses: schema is invalid: .*properties\/n\/type/],
    ['a create that throws', GOOD.replace('create() {', "create() { throw new Error('boom');"), /bad\.js: T-1 cannot start with its default config: boom/],
    ['the id of a built-in signature', GOOD.replace("'T-1'", "'TRC-1013'"), /bad\.js: signature id TRC-1013 is already used by a built-in signature/],
    ['the event name of a built-in signature', GOOD.replace('t_one', 'k8s_api_connection'), /bad\.js: event name k8s_api_connection is already produced by built-in TRC-1013/],
  ];
  for (const [what, text, says] of bad) {
    it(`refuses a module with ${what}, naming the file`, () => {
      write('bad.js', text);
      expect(refusal()).to.match(says);
    });
  }

  it('refuses a missing directory and one without modules', () => {
    expect(refusal()).to.match(/holds no signature module/);
    fs.rmSync(dir, { recursive: true });
    expect(refusal()).to.match(/: no such directory$/);
  });

  for (const command of ['replay', 'test', 'serve', 'attach', 'list']) {
    it(`${command} exits 2 on a bad module, with one line naming the file and the problem`, async () => {
      write('bad.js', 'module.exports = 42;');
      const args = command === 'replay' ? ['fixtures/pod-api-access.json'] : command === 'test' ? ['fixtures/cases'] : command === 'serve' ? ['--listen', 'tcp://127.0.0.1:0'] : command === 'attach' ? ['--tracee', 'tcp://127.0.0.1:1'] : [];
      const r = await runCli([command, '--signatures-dir', dir, ...args]);
      expect(r.status, r.stderr).to.equal(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).to.have.length(1);
      expect(lines[0]).to.include(path.join(dir, 'bad.js')).and.include('exports no signature definition');
      expect(r.stdout).to.equal('');
    });
  }
});
