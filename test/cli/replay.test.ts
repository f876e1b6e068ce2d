import { expect } from 'chai';
import * as zlib from 'node:zlib';
import { REFERENCE_EXAMPLES, runCli, tempDir, UPSTREAM_RECORDING } from '../support/cli.js';

const [curExec, curConnect, curConnect6, curRemove, , legExec, legConnect] = REFERENCE_EXAMPLES;
const lines = (s: string) => s.split('\n').filter((l) => l !== '');

describe('tracee-sig replay (end to end)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.remove());

  it('prints findings on stdout only and a summary on stderr', async () => {
    const file = tmp.file('rec.json', [curExec, curConnect, curConnect6, curRemove, curConnect].join('\n') + '\n');
    const r = await runCli(['replay', file]);
    expect(r.status).to.equal(0);
    const out = lines(r.stdout).map((l) => JSON.parse(l));
    expect(out).to.have.length(1);
    expect(out[0].name).to.equal('k8s_api_connection');
    expect(out[0].data[0]).to.deep.equal({ name: 'ip', str: '10.96.0.1' });
    expect(r.stderr).to.match(/summary: 1 input\(s\), 5 lines, 5 events, \d+ dispatched, \d+ findings, 0 malformed/);
    expect(r.stderr).to.match(/k8s_api_connection: dispatched 5, findings 1,/);
    expect(r.stderr).to.match(/events by name: security_socket_connect 3, sched_process_exec 1, container_remove 1/);
  });

  it('reports a malformed line between two good ones with file:line and goes on', async () => {
    const file = tmp.file('rec.json', [curExec, '{"name": "security_socket_connect", broken', curConnect].join('\n') + '\n');
    const r = await runCli(['replay', file]);
    expect(r.status).to.equal(0);
    expect(lines(r.stdout)).to.have.length(1);
    expect(r.stderr).to.contain(`malformed: ${file}:2: not valid JSON`);
    expect(r.stderr).to.match(/, 1 malformed/);
    expect(r.stderr).to.match(/k8s_api_connection: dispatched 2, findings 1,/);
  });

  it('reads gzip files and stdin, and mixes shapes in one input', async () => {
    const gz = tmp.file('rec.json.gz', zlib.gzipSync([legExec, curConnect].join('\n')));
    const fromFile = await runCli(['replay', gz]);
    expect(fromFile.status).to.equal(0);
    expect(lines(fromFile.stdout)).to.have.length(1);
    const fromStdin = await runCli(['replay', '-'], [legExec, legConnect].join('\n') + '\n');
    expect(fromStdin.status).to.equal(0);
    expect(JSON.parse(lines(fromStdin.stdout)[0]).eventName).to.equal('k8s_api_connection');
  });

  it('prints each output shape on request', async () => {
    const file = tmp.file('rec.json', [legExec, legConnect].join('\n'));
    expect(JSON.parse((await runCli(['replay', '-o', 'json', file])).stdout).threat.name).to.equal('Kubernetes API server connection detected');
    expect(JSON.parse((await runCli(['replay', '--output', 'legacy', file])).stdout).metadata.Version).to.equal('0.1.0');
    expect(JSON.parse((await runCli(['replay', '--output=rules', file])).stdout).SigMetadata.ID).to.equal('TRC-1013');
  });

  it('replays a real Tracee recording: every line parses, no finding, a warning about environment capture', async () => {
    const r = await runCli(['replay', UPSTREAM_RECORDING]);
    expect(r.status).to.equal(0);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.match(/10534 lines, 10534 events, \d+ dispatched, \d+ findings, 0 malformed/);
    expect(r.stderr).to.match(/k8s_api_connection: dispatched \d+, findings 0,/);
    expect(r.stderr).to.match(/warning: none of the 39 sched_process_exec events carries an environment/);
    expect(r.stderr).to.contain('--output option:exec-env');
    expect(r.stderr).to.contain('--enrichment environment');
  });

  it('skips and reports a line over --max-line-bytes without stopping', async () => {
    const long = curConnect.replace('"curl"', `"${'x'.repeat(5000)}"`);
    const file = tmp.file('rec.json', [curExec, long, curConnect].join('\n'));
    const r = await runCli(['replay', '--max-line-bytes', '4096', file]);
    expect(r.status).to.equal(0);
    expect(lines(r.stdout)).to.have.length(1);
    expect(r.stderr).to.match(/rec\.json:2: line of \d+ bytes exceeds the maximum of 4096 bytes; skipped/);
  });

  it('writes findings to --output-file', async () => {
    const file = tmp.file('rec.json', [curExec, curConnect].join('\n'));
    const outFile = `${tmp.dir}/findings.jsonl`;
    const r = await runCli(['replay', '--output-file', outFile, '-q', file]);
    expect(r.status).to.equal(0);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.equal('');
    expect(lines(require('node:fs').readFileSync(outFile, 'utf8'))).to.have.length(1);
  });

  // Every error path: test/cli/replay-errors.test.ts.

  it('explains itself in --help', async () => {
    expect((await runCli(['--help'])).stdout).to.contain('replay');
    const version = await runCli(['--version']);
    expect(version.status).to.equal(0);
    expect(version.stdout).to.match(/^tracee-sig \d+\.\d+\.\d+\n$/);
    const r = await runCli(['replay', '--help']);
    expect(r.status).to.equal(0);
    expect(r.stdout).to.contain('Usage: tracee-sig replay');
    expect(r.stdout).to.contain('--output');
  });
});
