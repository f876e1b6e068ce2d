// Acceptance for issue 13: adding a signature touches only its own folder.
// With the example (examples/cloud-metadata, loaded through --signatures-dir)
// beside TRC-1013, every built-in case passes unchanged, every bundled
// recording still gives TRC-1013 exactly its expected findings, TRC-1013's
// config section is unchanged, and the example's own cases pass.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configSchema } from '../../src/config/schema.js';
import { loadSignatureDirs } from '../../src/host/signature-modules.js';
import { BUILTIN_SIGNATURES } from '../../signatures/index.js';
import { findCaseFiles } from '../../src/testing/discover.js';
import { loadCases } from '../../src/testing/case-file.js';
import { failureReport, runCase } from '../../src/testing/run.js';
import { ROOT, runCli } from '../support/cli.js';
import { SignatureClient } from '../../src/server/client.js';
import { parseAddress } from '../../src/server/listen-address.js';
import { decodeFindingBatch } from '../../src/wire/services.js';
import { batchOf, serve, tempDir } from '../server/helpers.js';

const EXAMPLE = path.join(ROOT, 'examples', 'cloud-metadata');
const FIXTURES = path.join(ROOT, 'fixtures');

describe('acceptance: a new signature touches only its own folder', () => {
  const signatures = loadSignatureDirs([path.join(EXAMPLE, 'dist')], BUILTIN_SIGNATURES);

  it('every built-in case passes with the example loaded, and so do the example\'s own', async () => {
    const files = findCaseFiles([path.join(FIXTURES, 'cases'), path.join(EXAMPLE, 'cases')]).files;
    let ran = 0;
    for (const file of files) {
      for (const c of loadCases(file, { signatures })) {
        const r = await runCase(c, { signatures });
        expect(r.status, `${file}: ${c.name}\n${failureReport(r).join('\n')}`).to.equal('passed');
        ran++;
      }
    }
    expect(ran).to.be.greaterThan(40);
  });

  it("every bundled recording gives TRC-1013 exactly its expected findings with the example loaded", async () => {
    for (const recording of fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json'))) {
      const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected', `${recording}.findings.json`), 'utf8'));
      const r = await runCli(['replay', '-q', '--output', 'json', '--signatures-dir', path.join(EXAMPLE, 'dist'), path.join(FIXTURES, recording)]);
      expect(r.status, r.stderr).to.equal(0);
      const trc1013 = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((f) => f.threat.properties.signatureID === 'TRC-1013');
      const got = trc1013.map((f) => Object.fromEntries(f.data.map((d: { name: string; str?: string; u_int32?: number }) => [d.name, d.str ?? d.u_int32])));
      expect(got, recording).to.deep.equal(expected);
    }
  });

  it("leaves TRC-1013's config section as it was and adds the example's beside it", () => {
    const before = configSchema(BUILTIN_SIGNATURES) as { properties: { signatures: { properties: Record<string, unknown> } } };
    const after = configSchema([...BUILTIN_SIGNATURES, ...signatures]) as typeof before;
    expect(after.properties.signatures.properties['TRC-1013']).to.deep.equal(before.properties.signatures.properties['TRC-1013']);
    expect(Object.keys(after.properties.signatures.properties)).to.deep.equal(['TRC-1013', 'EX-CLOUD-METADATA']);
  });

  it('raises the example\'s finding on its recording, through replay --signatures-dir', async () => {
    const r = await runCli(['replay', '-q', '--signatures-dir', path.join(EXAMPLE, 'dist'), path.join(EXAMPLE, 'recording.json')]);
    expect(r.status, r.stderr).to.equal(0);
    const findings = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(findings.map((f) => [f.name, f.threat.properties.signatureID, f.data[0].str])).to.deep.equal([['cloud_metadata_connection', 'EX-CLOUD-METADATA', '169.254.169.254']]);
  });

  it('serve offers the example beside TRC-1013 (what the Tracee plugin registers) and answers with its finding', async function () {
    this.timeout(30000);
    const dir = tempDir();
    const served = await serve(dir, ['--signatures-dir', path.join(EXAMPLE, 'dist')]);
    const client = new SignatureClient(parseAddress(served.address));
    try {
      await client.ready(10000);
      const m = await client.getMetadata();
      expect(m.signatures.map((x: { id: string }) => x.id)).to.deep.equal(['TRC-1013', 'EX-CLOUD-METADATA']);
      const sel = await client.getSelectedEvents();
      expect(sel.selectors).to.deep.include({ source: 'tracee', name: 'security_socket_connect', origin: 'container', signature_id: 'EX-CLOUD-METADATA' });
      const lines = fs.readFileSync(path.join(EXAMPLE, 'recording.json'), 'utf8').split('\n').filter(Boolean);
      const call = client.onEvents();
      const answers: ReturnType<typeof decodeFindingBatch>[] = [];
      call.on('data', (b: Buffer) => answers.push(decodeFindingBatch(b)));
      const done = new Promise((resolve) => call.on('status', resolve));
      call.write(batchOf(lines));
      call.end();
      await done;
      const names = answers.flatMap((a) => a.findings.map((f) => f.name));
      expect(names).to.deep.equal(['cloud_metadata_connection']);
    } finally {
      client.close();
      await served.stop('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
