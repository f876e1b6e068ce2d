// `tracee-sig serve --metrics`: scraped while a separate client streams
// events; the counters move by exactly what was sent.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { encodeProtoEvent } from '../../src/wire/event-encoder.js';
import { SignatureClient } from '../../src/server/client.js';
import { parseAddress } from '../../src/server/listen-address.js';
import { decodeFindingBatch, encodeEventBatch, type FindingBatch } from '../../src/wire/services.js';
import { TraceeSig } from '../support/child.js';
import { session } from '../support/examples.js';
import { batchOf, event, tempDir } from '../server/helpers.js';
import { get, logRecords, signatureSummary, metricsUrl, one, scrape, total } from './support.js';

describe('tracee-sig serve --metrics', function () {
  this.timeout(30_000);
  let dir: string;
  let child: TraceeSig | undefined;
  let client: SignatureClient | undefined;

  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    client?.close();
    child?.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('counts events by name and origin, findings, malformed input and open streams while serving; /healthz and /readyz answer 200', async () => {
    const socket = path.join(dir, 'sig.sock');
    child = new TraceeSig(['serve', '--listen', `unix://${socket}`, '--metrics', '127.0.0.1:0', '--grpc-thread', 'on']);
    await child.waitFor('the metrics address and listening', () => metricsUrl(child!.stderr) !== undefined && /"msg":"listening on /.test(child!.stderr));
    const base = metricsUrl(child.stderr)!;

    expect((await get(`${base}/healthz`)).status).to.equal(200);
    const ready = await get(`${base}/readyz`);
    expect(ready.status, ready.body).to.equal(200);

    const before = await scrape(base);
    expect(before.types.get('tracee_sig_events_total')).to.equal('counter');
    expect(before.types.get('tracee_sig_event_processing_seconds')).to.equal('histogram');
    expect(total(before, 'tracee_sig_events_total')).to.equal(0);
    expect(one(before, 'tracee_sig_grpc_streams_open')).to.equal(0);

    // The session twice (see its description): per copy 2 execs, 4 connects,
    // 1 container_remove, 1 openat (selected by no signature), 2 findings.
    // Plus one event whose name was cut out: malformed, reason "field".
    const { lines, findings: perCopy } = session('current');
    const named = Buffer.from(encodeProtoEvent({ ...event(lines[3]), name: 'x' }));
    const at = named.indexOf(Buffer.from([0x1a, 0x01, 0x78])); // field 3 (name), length 1, "x"
    expect(at).to.be.greaterThan(-1);
    const nameless = Buffer.concat([named.subarray(0, at), named.subarray(at + 3)]);

    client = new SignatureClient(parseAddress(`unix://${socket}`));
    await client.ready(10_000);
    const call = client.onEvents();
    const answers: FindingBatch[] = [];
    let answered: () => void = () => undefined;
    call.on('data', (b: Buffer) => {
      answers.push(decodeFindingBatch(b));
      answered();
    });
    call.on('error', () => undefined);
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    const batches = [batchOf(lines), batchOf(lines), encodeEventBatch([nameless])];
    const allAnswered = new Promise<void>((resolve) => (answered = () => answers.length === batches.length && resolve()));
    for (const b of batches) call.write(b);
    await allAnswered;

    // The stream is still open: scraped mid-run.
    const during = await scrape(base);
    expect(one(during, 'tracee_sig_grpc_streams_open')).to.equal(1);
    expect(one(during, 'tracee_sig_events_total', { name: 'sched_process_exec', origin: 'container' })).to.equal(4);
    expect(total(during, 'tracee_sig_events_total', { name: 'sched_process_exec' })).to.equal(4);
    expect(one(during, 'tracee_sig_events_total', { name: 'security_socket_connect', origin: 'container' })).to.equal(8);
    expect(total(during, 'tracee_sig_events_total', { name: 'security_socket_connect' })).to.equal(8);
    expect(one(during, 'tracee_sig_events_total', { name: 'container_remove', origin: 'host' })).to.equal(2);
    expect(one(during, 'tracee_sig_events_total', { name: 'openat', origin: 'unknown' })).to.equal(2);
    expect(total(during, 'tracee_sig_events_total')).to.equal(16);

    const found = answers.reduce((n, a) => n + a.findings.length, 0);
    expect(found).to.equal(2 * perCopy);
    expect(one(during, 'tracee_sig_findings_total', { signature: 'TRC-1013' })).to.equal(found);
    // TRC-1013 selects exec, connect and container_remove: each such event is dispatched once.
    expect(one(during, 'tracee_sig_events_dispatched_total')).to.equal(14);
    expect(one(during, 'tracee_sig_malformed_total', { reason: 'field' })).to.equal(1);
    expect(total(during, 'tracee_sig_malformed_total')).to.equal(1);
    // After the second copy the app container is removed again: only the tools container is left.
    expect(one(during, 'tracee_sig_containers_tracked', { signature: 'TRC-1013' })).to.equal(1);
    expect(one(during, 'tracee_sig_evictions_total', { signature: 'TRC-1013', state: 'containers' })).to.equal(0);
    // Every dispatched event (decoded, through the host) is timed once.
    expect(one(during, 'tracee_sig_event_processing_seconds_count')).to.equal(14);
    expect(one(during, 'tracee_sig_event_processing_seconds_bucket', { le: '+Inf' })).to.equal(14);
    const buckets = during.samples.filter((s) => s.name === 'tracee_sig_event_processing_seconds_bucket').map((s) => s.value);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]).to.be.at.least(buckets[i - 1]);
    expect(one(during, 'tracee_sig_event_processing_seconds_sum')).to.be.greaterThan(0);
    // prom-client's process metrics are there too.
    expect(during.types.has('process_cpu_seconds_total')).to.equal(true);

    call.end();
    expect((await status).code).to.equal(grpc.status.OK);
    const exit = await child.stop('SIGTERM');
    expect(exit.code, child.stderr).to.equal(0);

    // Logs: JSON lines (stderr is not a terminal), never a finding.
    const records = logRecords(child.stderr);
    expect(records.map((r) => r.msg)).to.include.members([`listening on unix://${socket} (TRC-1013 k8s_api_connection; gRPC on a thread of its own)`, 'SIGTERM: stopping; answering the batches already received']);
    expect(records.every((r) => r.command === 'serve')).to.equal(true);
    const summary = records.find((r) => r.msg.startsWith('summary: '))!;
    expect(summary).to.include({ level: 'info', events: 16, malformed: 1 });
    expect(signatureSummary(summary, 'k8s_api_connection')).to.include({ dispatched: 14, findings: found });
    expect(child.stderr).not.to.contain('"name":"k8s_api_connection"');
    expect(child.stdout).to.equal('');
  });
});
