// Every bundled recording, replayed as a user would, prints exactly its
// expected findings, from either input shape, in each output shape.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, runCli } from '../support/cli.js';

const FIXTURES = path.join(ROOT, 'fixtures');
const recordings = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort();

interface Expected {
  ip: string;
  container_id: string;
  comm: string;
  port: number;
}

/** The signature id of a finding line of any output shape. */
function signatureOf(line: string): string {
  const o = JSON.parse(line);
  return o.SigMetadata?.ID ?? o.metadata?.Properties?.signatureID ?? o.threat?.properties?.signatureID;
}

/** The four finding fields, read from a finding line of any output shape. */
function fieldsOf(line: string): Expected {
  const o = JSON.parse(line);
  let data: Record<string, unknown>;
  if (o.Data) data = o.Data; // rules
  else if (o.eventName) data = Object.fromEntries(o.args.filter((a: { name: string }) => a.name !== 'detectedFrom').map((a: { name: string; value: unknown }) => [a.name, a.value])); // legacy
  else data = Object.fromEntries(o.data.map((d: { name: string; str?: string; u_int32?: number }) => [d.name, d.str ?? d.u_int32])); // json
  return { ip: data.ip as string, container_id: data.container_id as string, comm: data.comm as string, port: data.port as number };
}

describe('bundled recordings', () => {
  it('are all there, each with its expected findings', async () => {
    expect(recordings.length).to.be.greaterThan(8);
    for (const r of recordings) expect(fs.existsSync(path.join(FIXTURES, 'expected', `${r}.findings.json`)), r).to.equal(true);
  });

  for (const recording of recordings) {
    const expected: Expected[] = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected', `${recording}.findings.json`), 'utf8'));
    for (const shape of ['auto', 'json', 'legacy', 'rules']) {
      it(`${recording} --output ${shape}: ${expected.length} findings, exactly as expected`, async () => {
        const r = await runCli(['replay', '--output', shape, path.join(FIXTURES, recording)]);
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stderr).to.match(/, 0 malformed/);
        const lines = r.stdout.split('\n').filter(Boolean);
        expect(lines.map(signatureOf).every((id) => typeof id === 'string')).to.equal(true);
        const got = lines.filter((l) => signatureOf(l) === 'TRC-1013').map(fieldsOf); // TRC-1013's findings: other signatures may add their own
        expect(got).to.deep.equal(expected);
      });
    }
  }

  it('match what their generator writes (no hand edits drifted)', async () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'fixtures', 'generate.js'), '--check'], { encoding: 'utf8', cwd: ROOT });
    expect(r.status, r.stdout + r.stderr).to.equal(0);
  });

  it('warn when environment capture was off', async () => {
    const r = await runCli(['replay', path.join(FIXTURES, 'no-env-capture.json')]);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.match(/warning: none of the \d+ sched_process_exec events carries an environment/);
  });
});
