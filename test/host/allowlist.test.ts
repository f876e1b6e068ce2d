// The host's allowlist pieces on their own: globs, image patterns, rules.
import { expect } from 'chai';
import type { Event } from '../../src/model/event.js';
import { Allowlist, expiryInstant } from '../../src/host/allowlist.js';
import { compileGlob } from '../../src/host/glob.js';
import { compileImagePattern, parseImageReference } from '../../src/host/image.js';

describe('glob', () => {
  it('* is any run (slashes too), ? one character, the rest literal, anchored', () => {
    const g = compileGlob('prometheus-k8s-*');
    expect(['prometheus-k8s-0', 'prometheus-k8s-', 'prometheus-k8s-a/b'].map(g)).to.deep.equal([true, true, true]);
    expect(['xprometheus-k8s-0', 'prometheus-k9s-0'].map(g)).to.deep.equal([false, false]);
    expect(['a.c', 'abc'].map(compileGlob('a.c'))).to.deep.equal([true, false]); // "." is literal
    expect(['ab', 'abb', 'a'].map(compileGlob('a?'))).to.deep.equal([true, false, false]);
  });
});

describe('image patterns', () => {
  it('expand Docker short names and match any tag or digest unless one is given', () => {
    expect(parseImageReference('nginx:1.25')).to.deep.equal({ repository: 'docker.io/library/nginx', tag: '1.25', digest: undefined });
    const refs = [parseImageReference('istio/proxyv2:1.20.0')];
    expect(compileImagePattern('docker.io/istio/proxyv2')(refs)).to.equal(true);
    expect(compileImagePattern('istio/proxyv2:1.2*')(refs)).to.equal(true);
    expect(compileImagePattern('istio/proxyv2:1.19.*')(refs)).to.equal(false);
    expect(compileImagePattern('registry.k8s.io/*')(refs)).to.equal(false);
    expect(compileImagePattern('istio/proxyv2@sha256:abc')([parseImageReference('docker.io/istio/proxyv2@sha256:ABC')])).to.equal(true);
  });
});

describe('allowlist rules', () => {
  const event = (namespace: string, seconds?: number): Event => ({
    id: 0,
    name: 'x',
    timestamp: seconds === undefined ? undefined : { seconds, nanos: 0 },
    workload: { k8s: { namespace: { name: namespace }, pod: { name: 'p-1', labels: { app: 'a' } } }, process: { thread: { name: 'curl' } } },
    data: [],
  });

  it('matches when every key of a rule matches (AND), any rule (OR), counting per rule', () => {
    const a = new Allowlist([
      { name: 'both', namespace: ['ops'], comm: ['kubectl'] },
      { name: 'labels', podLabels: { app: 'a' }, podName: ['p-*'] },
    ]);
    expect(a.allow(event('ops'))).to.equal('labels'); // "both" needs kubectl
    expect(a.allow(event('dev'))).to.equal('labels');
    expect([...a.allowed]).to.deep.equal([['both', 0], ['labels', 2]]);
  });

  it('judges expiry by the event time; an expired match is counted, not allowed', () => {
    const a = new Allowlist([{ name: 'old', namespace: ['ops'], expires: '2026-01-01' }]);
    expect(a.allow(event('ops', expiryInstant('2026-01-01') - 1))).to.equal('old');
    expect(a.allow(event('ops', expiryInstant('2026-01-01')))).to.equal(undefined);
    expect(a.allow(event('ops'))).to.equal(undefined); // no time: no way to tell
    expect(a.expiredMatches).to.equal(2);
  });

  it('refuses a rule without a match key', () => {
    expect(() => new Allowlist([{ name: 'all' }])).to.throw(/no match key/);
  });
});
