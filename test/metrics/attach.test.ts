// `tracee-sig attach --metrics` against the Tracee-compatible test server:
// /readyz 503 until Tracee is there and streaming, 200 after, 503 again when
// Tracee crashes; counters and reconnects move by exactly what happened.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { protoType } from '../../src/wire/proto.js';
import { TraceeSig } from '../support/child.js';
import { session } from '../support/examples.js';
import { TraceeServer } from '../support/tracee-server.js';
import { get, logRecords, signatureSummary, metricsUrl, one, scrape, total, until, type Exposition } from './support.js';

describe('tracee-sig attach --metrics', function () {
  this.timeout(40_000);
  let dir: string;
  let child: TraceeSig | undefined;
  const servers: TraceeServer[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsig-metrics-attach-'));
  });
  afterEach(() => {
    child?.kill();
    for (const s of servers.splice(0)) s.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is not ready until Tracee streams, counts what Tracee sent, and counts reconnects', async () => {
    const socket = path.join(dir, 'tracee.sock');
    child = new TraceeSig(['attach', '--tracee', `unix://${socket}`, '--metrics', '127.0.0.1:0', '--retry-initial-ms', '20', '--retry-max-ms', '100', '--output', 'json']);
    const c = child;
    await c.waitFor('the metrics address', () => metricsUrl(c.stderr) !== undefined);
    const base = metricsUrl(c.stderr)!;

    // No Tracee yet: alive, not ready, and saying why.
    expect((await get(`${base}/healthz`)).status).to.equal(200);
    await c.waitForStderr(/"msg":"cannot reach Tracee at /);
    const notReady = await get(`${base}/readyz`);
    expect(notReady.status).to.equal(503);
    expect(notReady.body).to.match(/^not ready: (cannot reach Tracee at unix:\/\/\S+: no socket at \S+|not connected to Tracee yet)/);
    expect(notReady.body).to.match(/^not ready: [^\n]+\n$/); // one line
    expect(one(await scrape(base), 'tracee_sig_tracee_connected')).to.equal(0);

    // Tracee comes up: ready once attach has connected and opened the stream.
    let server = await TraceeServer.start({ address: `unix:${socket}`, era: 'main' });
    servers.push(server);
    await until('/readyz 200', async () => (await get(`${base}/readyz`)).status === 200);
    await server.waitForStream();
    let m: Exposition = await scrape(base);
    expect(one(m, 'tracee_sig_tracee_connected')).to.equal(1);
    // Every retry logged was made before the connection that succeeded.
    const retries = () => logRecords(c.stderr).filter((r) => /; retry \d+ in \d+ ms$/.test(r.msg)).length;
    expect(retries()).to.be.greaterThan(0);
    // (stderr and the scrape travel on different pipes: wait until both tell the same story)
    await until('reconnects equal to the retries logged', async () => one((m = await scrape(base)), 'tracee_sig_tracee_reconnects_total') === retries());

    // Tracee streams the session (2 findings) and one message without an event name.
    const { lines, findings } = session('current');
    server.send(lines);
    const t = protoType('tracee.v1beta1.StreamEventsResponse');
    server.sendRaw(Buffer.from(t.encode(t.fromObject({ event: { id: 7 } })).finish()));
    await c.waitForFindings(findings);
    await until('every message counted', async () => total((m = await scrape(base)), 'tracee_sig_malformed_total') === 1);
    expect(one(m, 'tracee_sig_events_total', { name: 'sched_process_exec', origin: 'container' })).to.equal(2);
    expect(one(m, 'tracee_sig_events_total', { name: 'security_socket_connect', origin: 'container' })).to.equal(4);
    expect(one(m, 'tracee_sig_events_total', { name: 'container_remove', origin: 'host' })).to.equal(1);
    expect(one(m, 'tracee_sig_events_total', { name: 'openat', origin: 'unknown' })).to.equal(1);
    expect(total(m, 'tracee_sig_events_total')).to.equal(8);
    expect(one(m, 'tracee_sig_findings_total', { signature: 'TRC-1013' })).to.equal(findings);
    expect(one(m, 'tracee_sig_events_dispatched_total')).to.equal(7);
    expect(one(m, 'tracee_sig_malformed_total', { reason: 'field' })).to.equal(1);
    expect(one(m, 'tracee_sig_event_processing_seconds_count')).to.equal(7);

    // Tracee crashes: not ready, with the reason; it comes back: one more reconnect, ready again.
    const before = one(m, 'tracee_sig_tracee_reconnects_total');
    server.kill();
    await until('/readyz 503 after the crash', async () => (await get(`${base}/readyz`)).status === 503);
    expect((await get(`${base}/readyz`)).body).to.match(/^not ready: (event stream from Tracee at \S+ broke|cannot reach Tracee)/);
    server = await TraceeServer.start({ address: `unix:${socket}`, era: 'main' });
    servers.push(server);
    await until('/readyz 200 again', async () => (await get(`${base}/readyz`)).status === 200);
    await until('reconnects equal to the retries logged', async () => one((m = await scrape(base)), 'tracee_sig_tracee_reconnects_total') === retries());
    expect(one(m, 'tracee_sig_tracee_reconnects_total')).to.be.greaterThan(before);

    const exit = await c.stop('SIGTERM');
    expect(exit.code, c.stderr).to.equal(0);
    const records = logRecords(c.stderr);
    expect(records.every((r) => r.command === 'attach')).to.equal(true);
    expect(records.filter((r) => r.msg.startsWith('connected to Tracee '))).to.have.length(2);
    const summary = records.find((r) => r.msg.startsWith('summary: '))!;
    expect(summary).to.include({ level: 'info', messages: 9, events: 8, malformed: 1, connections: 2, reconnects: retries() });
    expect(signatureSummary(summary, 'k8s_api_connection')).to.include({ findings });
    // Findings are on stdout only.
    expect(c.stdoutLines()).to.have.length(findings);
    expect(c.stderr).not.to.contain('"name":"k8s_api_connection"');
  });
});
