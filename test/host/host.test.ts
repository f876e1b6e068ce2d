import { expect } from 'chai';
import { SignatureHost } from '../../src/host/host.js';
import type { Event } from '../../src/model/event.js';
import type { EventSelector, Signal, Signature, SignatureContext } from '../../src/model/signature.js';
import { metadata } from '../../signatures/k8s_api_connection.js';
import { connect, exec, inet, K8S_ENV } from '../support/events.js';

class Recorder implements Signature {
  readonly metadata = metadata;
  seen: string[] = [];
  signals: Signal[] = [];
  closed = 0;
  ctx?: SignatureContext;
  constructor(readonly selectedEvents: EventSelector[]) {}
  init(ctx: SignatureContext): void {
    this.ctx = ctx;
  }
  onEvent(e: Event): void {
    this.seen.push(`${e.name}@${e.workload?.container?.id ? (e.workload.container.started ? 'container' : 'container-init') : 'host'}`);
  }
  onSignal(s: Signal): void {
    this.signals.push(s);
  }
  close(): void {
    this.closed++;
  }
}

const events = () => [
  exec(K8S_ENV),
  exec(K8S_ENV, { container: '' }),
  exec(K8S_ENV, { started: false }),
  connect(inet('10.96.0.1')),
  { ...connect(inet('1.1.1.1')), name: 'openat' },
];

describe('SignatureHost', () => {
  it('hands a signature only the names and origins it selected', () => {
    const r = new Recorder([{ source: 'tracee', name: 'sched_process_exec', origin: 'container' }]);
    const host = new SignatureHost([r], () => undefined);
    for (const e of events()) host.dispatch(e);
    expect(r.seen).to.deep.equal(['sched_process_exec@container']);
    expect(host.counters.dispatched).to.equal(1);
    expect(host.counters.events).to.equal(5);
    expect(host.counters.eventsByName.get('sched_process_exec')).to.equal(3);
  });

  it('treats "*" as any origin and any name; ignores selectors without a source', () => {
    const anyOrigin = new Recorder([{ source: 'tracee', name: 'sched_process_exec', origin: '*' }]);
    const anyName = new Recorder([{ source: 'tracee', name: '*', origin: 'host' }]);
    const noSource = new Recorder([{ source: '', name: 'openat', origin: '*' }]);
    const host = new SignatureHost([anyOrigin, anyName, noSource], () => undefined);
    for (const e of events()) host.dispatch(e);
    expect(anyOrigin.seen).to.deep.equal(['sched_process_exec@container', 'sched_process_exec@host', 'sched_process_exec@container-init']);
    expect(anyName.seen).to.deep.equal(['sched_process_exec@host']);
    expect(noSource.seen).to.deep.equal([]);
    expect(host.selectedNames()).to.equal(undefined);
  });

  it('reports the selected names so edges can skip the rest undecoded', () => {
    const host = new SignatureHost([new Recorder([{ source: 'tracee', name: 'a', origin: '*' }, { source: 'tracee', name: 'b', origin: 'host' }])], () => undefined);
    expect([...host.selectedNames()!]).to.deep.equal(['a', 'b']);
  });

  it('sends source-complete to signatures of that source, and closes once', () => {
    const r = new Recorder([{ source: 'tracee', name: 'x', origin: '*' }]);
    const host = new SignatureHost([r], () => undefined);
    host.sourceComplete('other');
    host.sourceComplete();
    host.close();
    host.close();
    expect(r.signals).to.deep.equal([{ kind: 'source-complete', source: 'tracee' }]);
    expect(r.closed).to.equal(1);
  });

  it('turns an output into a detection event the way Tracee\'s engine does', () => {
    const r = new Recorder([{ source: 'tracee', name: 'security_socket_connect', origin: 'container' }]);
    const found: Event[] = [];
    const host = new SignatureHost([r], (f) => found.push(f));
    const trigger = connect(inet('10.96.0.1'));
    trigger.policies = { matched: ['k8s-watch'] };
    r.ctx!.emit({ trigger, data: [{ name: 'ip', str: '10.96.0.1' }] });
    expect(found).to.have.length(1);
    const f = found[0];
    expect(f).to.include({ id: 7500, name: 'k8s_api_connection' });
    expect(f.timestamp).to.deep.equal(trigger.timestamp);
    expect(f.workload).to.deep.equal(trigger.workload);
    expect(f.policies).to.deep.equal({ matched: ['k8s-watch'] });
    expect(f.threat).to.include({ severity: 1, name: 'Kubernetes API server connection detected' });
    expect(f.detected_from).to.deep.include({ id: 736, name: 'security_socket_connect', data: trigger.data });
    expect(host.counters.findings).to.equal(1);
  });

  it('counts exec events with and without environment, for the capture warning, only for signatures that need it', () => {
    const needsEnv = Object.assign(new Recorder([{ source: 'tracee', name: 'x', origin: '*' }]), { requires: ['environment'] });
    const host = new SignatureHost([needsEnv], () => undefined);
    host.dispatch(exec(undefined)); // capture off: {"str_array":{}}
    host.dispatch(exec([]));
    host.dispatch(exec(K8S_ENV, { container: '' })); // any origin counts
    expect(host.counters.enrichments.get('environment')).to.deep.equal({ event: 'sched_process_exec', seen: 3, carried: 1 });
    const plain = new SignatureHost([new Recorder([{ source: 'tracee', name: 'x', origin: '*' }])], () => undefined);
    plain.dispatch(exec(undefined));
    expect(plain.counters.enrichments.size).to.equal(0);
    // A name that is an Object.prototype member is no enrichment either.
    const odd = new SignatureHost([Object.assign(new Recorder([{ source: 'tracee', name: 'x', origin: '*' }]), { requires: ['constructor', 'toString'] })], () => undefined);
    odd.dispatch(exec(undefined));
    expect(odd.counters.enrichments.size).to.equal(0);
  });
});
