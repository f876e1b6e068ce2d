// Metrics in-process, over a real host and TRC-1013 with tuning on: the
// allowlist, dedup and eviction counters, the latency histogram, and one
// registry per Metrics (two side by side do not mix).
import { expect } from 'chai';
import { trc1013 } from '../support/run.js';
import { decodeJsonLine } from '../../src/decode/json.js';
import { SignatureHost } from '../../src/host/host.js';
import { LatencyHistogram } from '../../src/metrics/latency.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { APP_CONTAINER, CURRENT_CONNECT_V6, CURRENT_EXEC, CURRENT_CONNECT_V4, TOOLS_CONTAINER } from '../support/examples.js';
import { one, parseExposition, total, type Exposition } from './support.js';

const event = (line: string) => decodeJsonLine(line).event;

async function exposition(m: Metrics): Promise<Exposition> {
  return parseExposition(await m.registry.metrics());
}

describe('Metrics (in-process)', () => {
  it('reports allowlist matches per rule, dedup suppressions, evictions and containers tracked from TRC-1013', async () => {
    const signature = trc1013({
      maxContainers: 1,
      dedup: { windowSeconds: 60 },
      allowlist: { rules: [{ name: 'green-team', namespace: ['team-green'] }] },
    });
    const findings: unknown[] = [];
    const host = new SignatureHost([signature], (f) => findings.push(f));
    const metrics = new Metrics();
    metrics.watchHost(host);

    // The app pod (namespace team-green) learns its address and connects: allowed by the rule.
    host.dispatch(event(CURRENT_EXEC));
    host.dispatch(event(CURRENT_CONNECT_V4));
    // The tools pod (namespace default) execs: with room for one container, the app one is evicted.
    const toolsExec = CURRENT_EXEC.split(APP_CONTAINER).join(TOOLS_CONTAINER).split('=10.96.0.1"').join('=fd00:10:96::1"').split('"team-green"').join('"default"');
    host.dispatch(event(toolsExec));
    // It connects twice to its API server within the dedup window: one finding, one suppressed.
    host.dispatch(event(CURRENT_CONNECT_V6));
    host.dispatch(event(CURRENT_CONNECT_V6));

    const m = await exposition(metrics);
    expect(findings).to.have.length(1);
    expect(one(m, 'tracee_sig_findings_total', { signature: 'TRC-1013' })).to.equal(1);
    expect(one(m, 'tracee_sig_allowlist_matches_total', { signature: 'TRC-1013', rule: 'green-team' })).to.equal(1);
    expect(one(m, 'tracee_sig_dedup_suppressed_total', { signature: 'TRC-1013' })).to.equal(1);
    expect(one(m, 'tracee_sig_evictions_total', { signature: 'TRC-1013', state: 'containers' })).to.equal(1);
    expect(one(m, 'tracee_sig_containers_tracked', { signature: 'TRC-1013' })).to.equal(1);
    expect(one(m, 'tracee_sig_events_total', { name: 'sched_process_exec', origin: 'container' })).to.equal(2);
    expect(one(m, 'tracee_sig_events_total', { name: 'security_socket_connect', origin: 'container' })).to.equal(3);
    expect(one(m, 'tracee_sig_events_dispatched_total')).to.equal(5);
    expect(one(m, 'tracee_sig_event_processing_seconds_count')).to.equal(5);
    expect(m.types.get('tracee_sig_containers_tracked')).to.equal('gauge');
    expect(m.types.get('tracee_sig_dedup_suppressed_total')).to.equal('counter');
  });

  it('keeps each process its own registry: two Metrics over two hosts do not mix', async () => {
    const [a, b] = [new Metrics(), new Metrics()];
    const [hostA, hostB] = [new SignatureHost([trc1013()], () => undefined), new SignatureHost([trc1013()], () => undefined)];
    a.watchHost(hostA);
    b.watchHost(hostB);
    hostA.dispatch(event(CURRENT_EXEC));
    hostA.dispatch(event(CURRENT_CONNECT_V4));
    hostB.dispatch(event(CURRENT_EXEC));
    expect(total(await exposition(a), 'tracee_sig_events_total')).to.equal(2);
    expect(total(await exposition(b), 'tracee_sig_events_total')).to.equal(1);
    expect(one(await exposition(a), 'tracee_sig_findings_total', { signature: 'TRC-1013' })).to.equal(1);
    expect(one(await exposition(b), 'tracee_sig_findings_total', { signature: 'TRC-1013' })).to.equal(0);
  });

  it('reads zeros before any host is watched, and a readiness of "starting"', async () => {
    const m = new Metrics();
    const e = await exposition(m);
    expect(total(e, 'tracee_sig_events_total')).to.equal(0);
    expect(one(e, 'tracee_sig_events_dispatched_total')).to.equal(0);
    expect(total(e, 'tracee_sig_malformed_total')).to.equal(0);
    expect(e.samples.filter((s) => s.name === 'tracee_sig_malformed_total').map((s) => s.labels.reason)).to.deep.equal(['json', 'protobuf', 'field', 'oversized', 'signature_error', 'other']);
    expect(m.ready()).to.deep.equal({ ready: false, reason: 'starting' });
  });

  it('LatencyHistogram puts each value in the first bucket whose bound it does not exceed (le)', () => {
    const h = new LatencyHistogram([1e-6, 1e-5, 1e-4]);
    for (const v of [5e-7, 1e-6, 2e-6, 1e-5, 5e-5, 1]) h.observe(v);
    expect([...h.counts]).to.deep.equal([2, 2, 1, 1]);
    expect(h.cumulative()).to.deep.equal([2, 4, 5]);
    expect(h.count).to.equal(6);
    expect(h.sum).to.be.closeTo(1.0000635, 1e-12);
  });
});
