import { expect } from 'chai';
import type { Event } from '../../src/model/event.js';
import { SignatureHost } from '../../src/host/host.js';
import type { AllowRule } from '../../src/host/allowlist.js';
import type { DataSources } from '../../src/model/signature.js';
import { addressKey } from '../../src/model/address.js';
import { DedupWindow } from '../../src/host/dedup.js';
import { Interner } from '../../src/sdk/interner.js';
import { CONTAINER_A, CONTAINER_B, connect, containerRemove, exec, inet, inet6, K8S_ENV } from '../support/events.js';
import { findingData, runTrc1013, trc1013, type Trc1013Section } from '../support/run.js';
import { at, containerN, placed, type Place } from '../support/workload.js';

const API = '10.96.0.1';

function run(events: Event[], options: Trc1013Section, dataSources?: DataSources) {
  const signature = trc1013(options);
  const findings: Event[] = [];
  const host = new SignatureHost([signature], (f) => findings.push(f), undefined, dataSources);
  for (const e of events) host.dispatch(e);
  host.close();
  return { findings, data: findings.map((f) => ({ ...findingData(f), ...extra(f) })), counters: signature.counters(), signature };
}

function extra(f: Event): { count?: number; allowed_by?: string; severity?: number } {
  const out: { count?: number; allowed_by?: string; severity?: number } = { severity: f.threat?.severity };
  for (const v of f.data) {
    if (v.name === 'count') out.count = v.u_int32;
    if (v.name === 'allowed_by') out.allowed_by = v.str;
  }
  return out;
}

const armedConnect = (p: Place, comm = 'curl') => [exec(K8S_ENV), placed(connect(inet(API), { comm }), p)];

describe('TRC-1013 tuning', () => {
  describe('allowlist', () => {
    const allow = (rules: AllowRule[], events: Event[], mode: 'suppress' | 'audit' = 'suppress') => run(events, { allowlist: { mode, rules } });

    const keyCases: [string, AllowRule, Place, Place, string?][] = [
      ['namespace', { name: 'r', namespace: ['monitoring'] }, { namespace: 'monitoring' }, { namespace: 'default' }],
      ['pod name glob', { name: 'r', podName: ['prometheus-k8s-*'] }, { pod: 'prometheus-k8s-0' }, { pod: 'prometheus-operator-0' }],
      ['pod labels', { name: 'r', podLabels: { app: 'argocd', tier: 'ctl' } }, { labels: { app: 'argocd', tier: 'ctl', x: 'y' } }, { labels: { app: 'argocd' } }],
      ['container name', { name: 'r', containerName: ['istio-proxy'] }, { containerName: 'istio-proxy' }, { containerName: 'app' }],
      ['image without tag', { name: 'r', image: ['docker.io/istio/proxyv2'] }, { image: 'istio/proxyv2:1.20.0' }, { image: 'docker.io/istio/pilot:1.20.0' }],
      ['image with tag glob', { name: 'r', image: ['istio/proxyv2:1.20.*'] }, { image: 'docker.io/istio/proxyv2:1.20.3' }, { image: 'docker.io/istio/proxyv2:1.21.0' }],
      [
        'image digest',
        { name: 'r', image: ['quay.io/prometheus/prometheus@sha256:' + 'a'.repeat(64)] },
        { image: 'quay.io/prometheus/prometheus:v2.50.0', digests: ['quay.io/prometheus/prometheus@sha256:' + 'a'.repeat(64)] },
        { image: 'quay.io/prometheus/prometheus:v2.50.0', digests: ['quay.io/prometheus/prometheus@sha256:' + 'b'.repeat(64)] },
      ],
      ['image short name', { name: 'r', image: ['nginx'] }, { image: 'docker.io/library/nginx:1.25' }, { image: 'docker.io/bitnami/nginx:1.25' }],
      ['executable', { name: 'r', executable: ['/usr/local/bin/kubectl'] }, { executable: '/usr/local/bin/kubectl' }, { executable: '/tmp/kubectl' }],
    ];
    for (const [what, rule, yes, no] of keyCases) {
      it(`matches on ${what}, and only on it`, () => {
        const r = allow([rule], [...armedConnect(yes), ...armedConnect(no)]);
        expect(r.data.length, 'one allowed, one reported').to.equal(1);
        expect(r.counters['allowed[r]']).to.equal(1);
        expect(r.counters.allowed).to.equal(1);
      });
    }

    it('matches on comm', () => {
      const r = allow([{ name: 'r', comm: ['pilot-agent'] }], [...armedConnect({}, 'pilot-agent'), ...armedConnect({}, 'curl')]);
      expect(r.data.map((d) => d.comm)).to.deep.equal(['curl']);
    });

    it('never matches a field the event does not carry (no labels, no k8s, no image)', () => {
      const rules: AllowRule[] = [
        { name: 'labels', podLabels: { app: 'x' } },
        { name: 'ns', namespace: ['default'] },
        { name: 'img', image: ['*'] },
        { name: 'exe', executable: ['/usr/bin/curl'] },
      ];
      const r = allow(rules, [exec(K8S_ENV), connect(inet(API))]);
      expect(r.data).to.have.length(1);
      expect(r.counters.allowed).to.equal(0);
    });

    it('requires every key of a rule (AND)', () => {
      const rule: AllowRule = { name: 'r', namespace: ['istio-system'], containerName: ['istio-proxy'] };
      const r = allow([rule], [
        ...armedConnect({ namespace: 'istio-system', containerName: 'istio-proxy' }),
        ...armedConnect({ namespace: 'istio-system', containerName: 'app' }),
        ...armedConnect({ namespace: 'default', containerName: 'istio-proxy' }),
      ]);
      expect(r.data).to.have.length(2);
      expect(r.counters['allowed[r]']).to.equal(1);
    });

    it('takes any rule (OR) and any value of a key, counting per rule', () => {
      const rules: AllowRule[] = [
        { name: 'mesh', containerName: ['istio-proxy', 'linkerd-proxy'] },
        { name: 'mon', namespace: ['monitoring'] },
      ];
      const r = allow(rules, [
        ...armedConnect({ containerName: 'linkerd-proxy' }),
        ...armedConnect({ containerName: 'istio-proxy' }),
        ...armedConnect({ namespace: 'monitoring', containerName: 'agent' }),
        ...armedConnect({ namespace: 'default', containerName: 'app' }),
      ]);
      expect(r.data).to.have.length(1);
      expect(r.counters['allowed[mesh]']).to.equal(2);
      expect(r.counters['allowed[mon]']).to.equal(1);
    });

    it('applies a rule until its expiry, judged by the event time, then reports and counts', () => {
      const rule: AllowRule = { name: 'ci', namespace: ['ci'], expires: '2026-03-01' };
      const before = { seconds: Date.parse('2026-03-01T23:59:59Z') / 1000, nanos: 0 }; // still that day: allowed
      const after = { seconds: Date.parse('2026-03-02T00:00:00Z') / 1000, nanos: 0 };
      const c1 = { ...placed(connect(inet(API)), { namespace: 'ci' }), timestamp: before };
      const c2 = { ...placed(connect(inet(API)), { namespace: 'ci' }), timestamp: after };
      const r = allow([rule], [exec(K8S_ENV), c1, c2]);
      expect(r.findings.map((f) => f.timestamp)).to.deep.equal([after]);
      expect(r.counters['allowed[ci]']).to.equal(1);
      expect(r.counters.allowlistExpiredMatches).to.equal(1);
    });

    it('honours a date-time expiry with its offset', () => {
      const rule: AllowRule = { name: 'x', namespace: ['ci'], expires: '2026-03-01T12:00:00+02:00' };
      const t = (iso: string) => ({ ...placed(connect(inet(API)), { namespace: 'ci' }), timestamp: { seconds: Date.parse(iso) / 1000, nanos: 0 } });
      const r = allow([rule], [exec(K8S_ENV), t('2026-03-01T09:59:59Z'), t('2026-03-01T10:00:00Z')]);
      expect(r.data).to.have.length(1);
    });

    it('in audit mode reports allowed connections as INFO with allowed_by, others unchanged', () => {
      const r = allow([{ name: 'mon', namespace: ['monitoring'] }], [...armedConnect({ namespace: 'monitoring' }), ...armedConnect({ namespace: 'default' })], 'audit');
      expect(r.data.map((d) => [d.allowed_by, d.severity])).to.deep.equal([
        ['mon', 0],
        [undefined, 1],
      ]);
      expect(r.findings[0].data.map((v) => v.name)).to.deep.equal(['ip', 'container_id', 'comm', 'port', 'allowed_by']);
      expect(r.counters['allowed[mon]']).to.equal(1);
    });

    it('does not allow connections that are not to the API server (nothing to count)', () => {
      const r = allow([{ name: 'mon', namespace: ['monitoring'] }], [exec(K8S_ENV), placed(connect(inet('10.96.0.10', 53)), { namespace: 'monitoring' })]);
      expect(r.counters['allowed[mon]']).to.equal(0);
    });
  });

  describe('cluster-wide addresses', () => {
    it('apply to every container, env seen or not, in any spelling', () => {
      const r = run(
        [connect(inet('172.18.0.2', 6443), { container: CONTAINER_A }), exec(['PATH=/bin'], { container: CONTAINER_B }), connect(inet6('fd00::1'), { container: CONTAINER_B })],
        { addresses: ['172.18.0.2', 'FD00:0:0::1'] },
      );
      expect(r.data.map((d) => d.ip)).to.deep.equal(['172.18.0.2', 'fd00::1']);
      expect(r.counters.matchedClusterConfigured).to.equal(2);
    });

    it('refuse a value that is not an address', () => {
      expect(() => trc1013({ addresses: ['kubernetes.default'] })).to.throw(/TRC-1013: addresses\[0\]: "kubernetes.default": expected an IPv4 or IPv6 address/);
    });

    it('are off by default, and once on (3) are learned after 3 distinct containers, then cover unarmed containers', () => {
      const shows = [1, 2, 3].map((i) => exec(K8S_ENV, { container: containerN(i) }));
      const before = connect(inet(API), { container: containerN(99) });
      const unarmed = connect(inet(API), { container: containerN(100) });
      expect(run([shows[0], shows[1], before, shows[2], unarmed], {}).data).to.deep.equal([]);
      const r = run([shows[0], shows[1], before, shows[2], unarmed], { learnAfterContainers: 3 });
      expect(r.data.map((d) => d.container_id)).to.deep.equal([containerN(100)]);
      expect(r.counters.learnedAddresses).to.equal(1);
      expect(r.counters.matchedClusterLearned).to.equal(1);
    });

    it('are not learned from one container forging its env many times', () => {
      const forged = Array.from({ length: 50 }, () => exec(['KUBERNETES_SERVICE_HOST=8.8.8.8'], { container: CONTAINER_A }));
      const r = run([...forged, exec(['KUBERNETES_SERVICE_HOST=8.8.8.8'], { container: CONTAINER_B }), connect(inet('8.8.8.8'), { container: containerN(7) })], { learnAfterContainers: 3 });
      expect(r.data).to.deep.equal([]);
      expect(r.counters.learnedAddresses).to.equal(0);
      expect(r.counters.learnCandidates).to.equal(1);
    });

    it('follow the configured threshold, and 0 turns learning off', () => {
      const events = [exec(K8S_ENV, { container: containerN(1) }), exec(K8S_ENV, { container: containerN(2) }), connect(inet(API), { container: containerN(3) })];
      expect(run(events, { learnAfterContainers: 2 }).data).to.have.length(1);
      expect(run(events, { learnAfterContainers: 0 }).data).to.have.length(0);
    });

    it('bound the addresses being counted, and count evictions', () => {
      const events = Array.from({ length: 10 }, (_, i) => exec([`KUBERNETES_SERVICE_HOST=192.0.2.${i + 1}`], { container: containerN(i) }));
      const r = run(events, { maxLearnCandidates: 4, learnAfterContainers: 3 });
      expect(r.counters.learnCandidates).to.equal(4);
      expect(r.counters.learnCandidatesEvicted).to.equal(6);
    });
  });

  describe('hostname values', () => {
    const NAME = 'api.cluster.example';
    const fakeDns = (answers: Record<string, string[] | undefined>) => {
      const asked: string[] = [];
      // Like the real resolver, answers are canonical address keys.
      const keys = (n: string) => answers[n]?.map((a) => addressKey(a) as string);
      return { asked, sources: { hostnames: { addresses: (n: string) => (asked.push(n), keys(n)) } } };
    };

    it('are matched through the hostname data source when enabled', () => {
      const dns = fakeDns({ [NAME]: ['10.0.0.5', 'fd00::5'] });
      const r = run([exec([`KUBERNETES_SERVICE_HOST=${NAME.toUpperCase()}.`]), connect(inet('10.0.0.5')), connect(inet6('FD00::5')), connect(inet('10.0.0.6'))], { resolveHostnames: true }, dns.sources);
      expect(r.data.map((d) => d.ip)).to.deep.equal(['10.0.0.5', 'FD00::5']);
      expect(dns.asked[0], 'asked at exec time, before any connect').to.equal(NAME);
      expect(r.counters.matchedHostname).to.equal(2);
    });

    it('miss while the answer has not arrived, and count it', () => {
      const answers: Record<string, string[] | undefined> = {};
      const dns = fakeDns(answers);
      const events = [exec([`KUBERNETES_SERVICE_HOST=${NAME}`]), connect(inet('10.0.0.5'))];
      const sig = trc1013({ resolveHostnames: true });
      const findings: Event[] = [];
      const host = new SignatureHost([sig], (f) => findings.push(f), undefined, dns.sources);
      for (const e of events) host.dispatch(e);
      expect(findings).to.have.length(0);
      expect(sig.counters().hostnameAnswerPending).to.equal(1);
      answers[NAME] = ['10.0.0.5'];
      host.dispatch(connect(inet('10.0.0.5')));
      expect(findings).to.have.length(1);
    });

    it('are learned cluster-wide like addresses, after 3 distinct containers', () => {
      const dns = fakeDns({ [NAME]: ['10.0.0.5'] });
      const shows = [1, 2, 3].map((i) => exec([`KUBERNETES_SERVICE_HOST=${NAME}`], { container: containerN(i) }));
      const r = run([...shows, connect(inet('10.0.0.5'), { container: containerN(9) })], { resolveHostnames: true, learnAfterContainers: 3 }, dns.sources);
      expect(r.data.map((d) => d.container_id)).to.deep.equal([containerN(9)]);
      expect(r.counters.matchedHostname).to.equal(1);
    });

    it('are ignored (and counted) when resolution is off', () => {
      const dns = fakeDns({ [NAME]: ['10.0.0.5'] });
      const r = run([exec([`KUBERNETES_SERVICE_HOST=${NAME}`]), connect(inet('10.0.0.5'))], {}, dns.sources);
      expect(r.data).to.deep.equal([]);
      expect(dns.asked).to.deep.equal([]);
      expect(r.counters.hostnameValues).to.equal(1);
    });
  });

  describe('dedup', () => {
    const conn = (s: number, comm = 'curl', port = 443) => at(connect(inet(API, port), { comm }), s);

    it('reports the first, counts repeats inside the window, and carries the count on the next finding', () => {
      const r = run([exec(K8S_ENV), conn(0), conn(10), conn(59), conn(60), conn(61), conn(200)], { dedup: { windowSeconds: 60 } });
      expect(r.data.map((d) => d.count)).to.deep.equal([0, 2, 1]);
      expect(r.counters.duplicatesSuppressed).to.equal(3);
      expect(r.counters.duplicatesPending).to.equal(0);
    });

    it('keys on container, comm, address and port', () => {
      const r = run(
        [exec(K8S_ENV), exec(K8S_ENV, { container: CONTAINER_B }), conn(0), conn(1, 'kubectl'), conn(2, 'curl', 6443), at(connect(inet6('::ffff:10.96.0.1'), {}), 3), at(connect(inet(API), { container: CONTAINER_B }), 4)],
        { dedup: { windowSeconds: 60 } },
      );
      expect(r.data).to.have.length(4); // the IPv4-mapped spelling is the same address
      expect(r.counters.duplicatesSuppressed).to.equal(1);
    });

    it('reports repeats not yet carried by a finding in the counters', () => {
      const r = run([exec(K8S_ENV), conn(0), conn(1), conn(2)], { dedup: { windowSeconds: 60 } });
      expect(r.data).to.have.length(1);
      expect(r.counters.duplicatesPending).to.equal(2);
    });

    it('counts repeats lost with a removed container as unreported', () => {
      const r = run([exec(K8S_ENV), conn(0), conn(1), containerRemove(CONTAINER_A)], { dedup: { windowSeconds: 60 } });
      expect(r.counters.duplicatesUnreported).to.equal(1);
      expect(r.counters.duplicatesPending).to.equal(0);
    });

    it('is off by default: every connect is reported, with no count field', () => {
      const { findings } = runTrc1013([exec(K8S_ENV), conn(0), conn(1)]);
      expect(findings).to.have.length(2);
      expect(findings[0].data.map((v) => v.name)).to.not.include('count');
    });
  });

  describe('bounded state', () => {
    it('bounds dedup keys per container and containers, counting what eviction lost', () => {
      const w = new DedupWindow(60, 2, 2);
      expect(w.check('c1', 'a', 0).pass).to.equal(true);
      expect(w.check('c1', 'a', 1).pass).to.equal(false); // one pending repeat on c1/a
      w.check('c1', 'b', 2);
      w.check('c1', 'c', 3); // c1 holds two keys: "a" and its pending repeat go
      expect(w.evictions).to.equal(1);
      expect(w.unreported).to.equal(1);
      expect(w.check('c1', 'c', 4).pass).to.equal(false);
      w.check('c2', 'a', 5);
      w.check('c3', 'a', 6); // two containers at most: c1 goes, with c1/c's pending repeat
      expect(w.evictions).to.equal(2);
      expect(w.unreported).to.equal(2);
      expect(w.pending()).to.equal(0);
      expect(w.check('c1', 'c', 7).pass, 'forgotten: passes again').to.equal(true);
    });

    it('keeps at most its bound of distinct dedup keys, returning the same text', () => {
      const i = new Interner(2);
      expect(i.intern(`kubectl\u0000${'10.96.0.1'}\u0000443`)).to.equal('kubectl\u000010.96.0.1\u0000443');
      i.intern('x');
      i.intern('y'); // past the bound: returned, not kept
      expect((i as unknown as { table: Map<string, string> }).table.size).to.equal(2);
    });

    it('evicts the least recently active container and counts it', () => {
      const r = run(
        [exec(K8S_ENV, { container: containerN(1) }), exec(K8S_ENV, { container: containerN(2) }), exec(['PATH=/bin'], { container: containerN(1) }), exec(K8S_ENV, { container: containerN(3) }),
          connect(inet(API), { container: containerN(1) }), connect(inet(API), { container: containerN(2) })],
        { maxContainers: 2, learnAfterContainers: 0 },
      );
      expect(r.data.map((d) => d.container_id)).to.deep.equal([containerN(1)]);
      expect(r.counters.containersEvicted).to.equal(1);
      expect(r.counters.containersTracked).to.equal(2);
    });
  });

  describe('snapshot and restore', () => {
    it('round-trips containers, learned addresses, candidates and dedup state', () => {
      const opts: Trc1013Section = { dedup: { windowSeconds: 60 }, resolveHostnames: true, learnAfterContainers: 3 };
      const first = run(
        [
          ...[1, 2, 3].map((i) => exec(['KUBERNETES_SERVICE_HOST=172.18.0.2'], { container: containerN(i) })),
          exec(['KUBERNETES_SERVICE_HOST=192.0.2.1'], { container: containerN(4) }),
          exec([...K8S_ENV, 'KUBERNETES_SERVICE_HOST=api.example'], { container: CONTAINER_A }),
          at(connect(inet(API)), 0),
          at(connect(inet(API)), 1),
        ],
        opts,
      );
      const snap = JSON.parse(JSON.stringify(first.signature.snapshot()));
      const second = trc1013(opts);
      second.restore(snap);
      expect(second.snapshot()).to.deep.equal(snap);
      const findings: Event[] = [];
      const host = new SignatureHost([second], (f) => findings.push(f));
      host.dispatch(at(connect(inet(API)), 2)); // within the restored window: suppressed
      host.dispatch(at(connect(inet(API)), 100)); // after it: reported with both repeats
      host.dispatch(connect(inet('172.18.0.2'), { container: containerN(50) })); // learned
      expect(findings.map((f) => [findingData(f).container_id, extra(f).count])).to.deep.equal([
        [CONTAINER_A, 2],
        [containerN(50), 0],
      ]);
      expect(snap.containers.find((c: [string, string[]]) => c[0] === CONTAINER_A)[1]).to.deep.equal(['10.96.0.1', 'dns:api.example']);
    });

    it('refuses a bad snapshot, naming what is wrong, and keeps its state', () => {
      const sig = trc1013();
      const host = new SignatureHost([sig], () => undefined);
      host.dispatch(exec(K8S_ENV));
      const before = sig.snapshot();
      const bad: [unknown, RegExp][] = [
        [null, /\(top level\): null: expected a mapping/],
        [{ version: 2 }, /version: 2: expected 1/],
        [{ ...before, containers: [['c', ['not-an-ip']]] }, /containers\[0\]\[1\]\[0\]: "not-an-ip": expected an address key/],
        [{ ...before, learned: 'x' }, /learned: "x": expected a list/],
        [{ ...before, dedup: [['c', [['k', 'x', 1]]]] }, /dedup\[0\]/],
      ];
      for (const [snap, why] of bad) expect(() => sig.restore(snap)).to.throw(why);
      expect(sig.snapshot()).to.deep.equal(before);
    });
  });
});
