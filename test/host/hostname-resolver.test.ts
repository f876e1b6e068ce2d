import { expect } from 'chai';
import type { Event } from '../../src/model/event.js';
import { HostnameResolver } from '../../src/host/hostname-resolver.js';
import { SignatureHost } from '../../src/host/host.js';
import { trc1013 } from '../support/run.js';
import { connect, exec, inet, inet6 } from '../support/events.js';
import { TestDnsServer } from '../support/dns-server.js';

describe('HostnameResolver against a DNS server on loopback', () => {
  let server: TestDnsServer;
  let address: string;
  const resolvers: HostnameResolver[] = [];
  const resolver = (opts: ConstructorParameters<typeof HostnameResolver>[0] = {}) => {
    const r = new HostnameResolver({ servers: [address], timeoutMs: 2000, ...opts });
    resolvers.push(r);
    return r;
  };

  beforeEach(async () => {
    server = new TestDnsServer({
      'api.cluster.example': { a: ['10.0.0.5'], aaaa: ['fd00::5'], ttl: 300 },
      'v4only.example': { a: ['10.0.0.7'] },
    });
    address = await server.start();
  });
  afterEach(async () => {
    for (const r of resolvers.splice(0)) r.close();
    await server.stop();
  });

  it('answers nothing at first, never waiting, then the canonical addresses of A and AAAA', async () => {
    const r = resolver();
    expect(r.addresses('api.cluster.example')).to.equal(undefined);
    await r.settled();
    expect(r.addresses('api.cluster.example')).to.have.members(['10.0.0.5', 'fd00:0:0:0:0:0:0:5']);
    expect(r.counts).to.include({ lookups: 1, answered: 1 });
    expect(server.queries.map((q) => q.type).sort()).to.deep.equal([1, 28]);
  });

  it('keeps an answer for the TTL, then refreshes it while still serving the old one', async () => {
    let now = 1_000_000;
    const r = resolver({ ttlSeconds: 60, now: () => now });
    r.addresses('v4only.example');
    await r.settled();
    now += 59_000;
    expect(r.addresses('v4only.example')).to.deep.equal(['10.0.0.7']);
    expect(r.counts.lookups).to.equal(1);
    server.zone['v4only.example'] = { a: ['10.0.0.8'] };
    now += 2_000;
    expect(r.addresses('v4only.example'), 'stale answer served during the refresh').to.deep.equal(['10.0.0.7']);
    await r.settled();
    expect(r.addresses('v4only.example')).to.deep.equal(['10.0.0.8']);
    expect(r.counts.lookups).to.equal(2);
  });

  it('honours a record TTL shorter than the configured one', async () => {
    let now = 0;
    server.zone['short.example'] = { a: ['10.0.0.9'], ttl: 5 };
    const r = resolver({ ttlSeconds: 600, now: () => now });
    r.addresses('short.example');
    await r.settled();
    now += 6_000;
    r.addresses('short.example');
    expect(r.counts.lookups).to.equal(2);
    await r.settled();
  });

  it('answers an empty list for a name that does not exist', async () => {
    const r = resolver();
    r.addresses('nope.example');
    await r.settled();
    expect(r.addresses('nope.example')).to.deep.equal([]);
    expect(r.counts.noAddress).to.equal(1);
  });

  it('gives up on a silent server after the timeout, and keeps answering nothing', async () => {
    server.unanswered.add('slow.example');
    const r = resolver({ timeoutMs: 100 });
    r.addresses('slow.example');
    await r.settled();
    expect(r.addresses('slow.example')).to.equal(undefined);
    expect(r.counts.timedOut + r.counts.failed).to.equal(1);
  });

  it('bounds the names it keeps', async () => {
    const r = resolver({ maxNames: 2 });
    for (const n of ['a.example', 'b.example', 'c.example']) r.addresses(n);
    await r.settled();
    expect(r.size).to.equal(2);
    expect(r.counts.namesEvicted).to.equal(1);
  });

  it('lets TRC-1013 match a hostname KUBERNETES_SERVICE_HOST once the answer arrived', async () => {
    const r = resolver();
    const sig = trc1013({ resolveHostnames: true });
    const findings: Event[] = [];
    const host = new SignatureHost([sig], (f) => findings.push(f), undefined, { hostnames: r });
    host.dispatch(exec(['KUBERNETES_SERVICE_HOST=api.cluster.example']));
    host.dispatch(connect(inet('10.0.0.5'))); // the answer cannot be here yet: a counted miss
    expect(findings).to.have.length(0);
    expect(sig.counters().hostnameAnswerPending).to.equal(1);
    await r.settled();
    host.dispatch(connect(inet('10.0.0.5')));
    host.dispatch(connect(inet6('fd00::5')));
    host.dispatch(connect(inet('10.0.0.6')));
    expect(findings.map((f) => f.data[0].str)).to.deep.equal(['10.0.0.5', 'fd00::5']);
    expect(r.counts.lookups).to.equal(1);
  });
});
