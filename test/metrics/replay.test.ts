// `tracee-sig replay --metrics`: a recording fed through stdin in parts, the
// process scraped between the parts; the summary as text or one JSON record.
import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BIN } from '../support/child.js';
import { session } from '../support/examples.js';
import { get, logRecords, signatureSummary, metricsUrl, one, scrape, total, until, type Exposition } from './support.js';

interface Replay {
  proc: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

function replay(args: string[]): Replay {
  const proc = spawn(process.execPath, [BIN, 'replay', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

describe('tracee-sig replay --metrics', function () {
  this.timeout(30_000);
  let child: Replay | undefined;

  afterEach(() => {
    if (child && child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
    child = undefined;
  });

  it('is scraped between parts of a recording on stdin: counters move by exactly what each part holds', async () => {
    child = replay(['--metrics', '127.0.0.1:0', '--log-format', 'json', '--max-line-bytes', '4096', '-o', 'json', '-']);
    const c = child;
    await until('the metrics address in the log', () => metricsUrl(c.stderr()) !== undefined);
    const base = metricsUrl(c.stderr())!;
    expect((await get(`${base}/healthz`)).status).to.equal(200);
    expect((await get(`${base}/readyz`)).status).to.equal(200);

    // Part 1: the session (2 execs, 4 connects, 1 container_remove, 1 openat, 2 findings).
    const { lines, findings } = session('current');
    c.proc.stdin.write(lines.join('\n') + '\n');
    let m: Exposition = await scrape(base);
    await until('part 1 counted', async () => total((m = await scrape(base)), 'tracee_sig_events_total') === 8);
    expect(one(m, 'tracee_sig_events_total', { name: 'sched_process_exec', origin: 'container' })).to.equal(2);
    expect(one(m, 'tracee_sig_events_total', { name: 'security_socket_connect', origin: 'container' })).to.equal(4);
    expect(one(m, 'tracee_sig_events_total', { name: 'container_remove', origin: 'host' })).to.equal(1);
    expect(one(m, 'tracee_sig_events_total', { name: 'openat', origin: 'unknown' })).to.equal(1);
    expect(one(m, 'tracee_sig_findings_total', { signature: 'TRC-1013' })).to.equal(findings);
    expect(one(m, 'tracee_sig_events_dispatched_total')).to.equal(7);
    expect(one(m, 'tracee_sig_event_processing_seconds_count')).to.equal(7);
    expect(total(m, 'tracee_sig_malformed_total')).to.equal(0);
    expect(one(m, 'tracee_sig_containers_tracked', { signature: 'TRC-1013' })).to.equal(1);

    // Part 2: the connect lines again (the tools container is still armed: 1 finding, 4 connects),
    // and one malformed line of each reason replay can meet.
    const connects = lines.filter((l) => l.includes('"name":"security_socket_connect"'));
    const bad = [
      '{not json',
      '{"timestamp":"2026-03-02T10:15:30Z","name":"sched_process_exec","data":"x"}',
      `{"timestamp":"2026-03-02T10:15:30Z","name":"openat","pad":"${'x'.repeat(5000)}"}`,
    ];
    c.proc.stdin.write([...connects, ...bad].join('\n') + '\n');
    await until('part 2 counted', async () => one((m = await scrape(base)), 'tracee_sig_events_dispatched_total') === 11 && total(m, 'tracee_sig_malformed_total') === 3);
    expect(one(m, 'tracee_sig_events_total', { name: 'security_socket_connect', origin: 'container' })).to.equal(8);
    expect(total(m, 'tracee_sig_events_total')).to.equal(12);
    expect(one(m, 'tracee_sig_findings_total', { signature: 'TRC-1013' })).to.equal(findings + 1);
    expect(one(m, 'tracee_sig_malformed_total', { reason: 'json' })).to.equal(1);
    expect(one(m, 'tracee_sig_malformed_total', { reason: 'field' })).to.equal(1);
    expect(one(m, 'tracee_sig_malformed_total', { reason: 'oversized' })).to.equal(1);
    expect(one(m, 'tracee_sig_malformed_total', { reason: 'signature_error' })).to.equal(0);

    c.proc.stdin.end();
    expect(await c.exited, c.stderr()).to.equal(0);
    // What the metrics counted is what was written and summarised.
    expect(c.stdout().trim().split('\n')).to.have.length(findings + 1);
    const records = logRecords(c.stderr());
    const summaries = records.filter((r) => r.msg.startsWith('summary: '));
    expect(summaries).to.have.length(1);
    expect(summaries[0]).to.include({ level: 'info', command: 'replay', inputs: 1, events: 12, malformed: 3 });
    // What the signature did, on its own line: other signatures would add theirs beside it.
    expect(signatureSummary(summaries[0], 'k8s_api_connection')).to.include({ dispatched: 11, findings: findings + 1 });
    expect(summaries[0].malformedByReason).to.deep.equal({ json: 1, field: 1, oversized: 1 });
    expect(summaries[0].eventsByName).to.deep.equal({ security_socket_connect: 8, sched_process_exec: 2, container_remove: 1, openat: 1 });
  });

  it('keeps its summary as text on stderr by default, metrics endpoint or not', async () => {
    child = replay(['--metrics', ':0', '-']);
    const c = child;
    c.proc.stdin.end(session('current').lines.join('\n') + '\n');
    expect(await c.exited, c.stderr()).to.equal(0);
    const lines = c.stderr().trim().split('\n');
    expect(lines[0]).to.match(/^tracee-sig replay: metrics on http:\/\/127\.0\.0\.1:\d+\/metrics, health on /);
    expect(lines[1]).to.match(/^tracee-sig replay: summary: 1 input\(s\), 8 lines, 8 events, \d+ dispatched, \d+ findings, 0 malformed$/);
    expect(lines.find((l) => l.includes(' k8s_api_connection: '))).to.match(/k8s_api_connection: dispatched 7, findings 2, /);
    for (const l of lines) expect(l.startsWith('{')).to.equal(false);
  });
});
