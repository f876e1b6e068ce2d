// Allowlist and dedup as finding interceptors, composed around one dispatch,
// on a signature that is not TRC-1013: the host names no signature.
import { expect } from 'chai';
import type { Event } from '../../src/model/event.js';
import { Allowlist } from '../../src/host/allowlist.js';
import { DedupWindow } from '../../src/host/dedup.js';
import { Interner } from '../../src/sdk/interner.js';
import { HostedSignature } from '../../src/host/instance.js';
import { allowlistInterceptor, compose, dedupInterceptor, type FindingDraft, type Interceptor } from '../../src/host/interceptors.js';
import { SignatureHost } from '../../src/host/host.js';
import { defineSignature } from '../../src/sdk/signature.js';
import { containerRemove } from '../support/events.js';

function openat(container: string, path: string, seconds: number, namespace = 'default'): Event {
  return {
    id: 257,
    name: 'openat',
    timestamp: { seconds, nanos: 0 },
    workload: { container: { id: container, started: true }, k8s: { namespace: { name: namespace } }, process: { thread: { name: 'cat' } } },
    data: [{ name: 'pathname', str: path }],
  };
}

/** A signature about files: a finding for every openat of /etc/shadow, per container (it keeps a count per container). */
const shadowReader = defineSignature<Record<string, never>, number>({
  metadata: { id: 'T-SHADOW', version: '1', name: 'shadow read', eventName: 'shadow_read', description: '', tags: [], severity: 2, category: 'c', mitre: { tactic: 't', technique: { id: 'x', name: 'y' } }, properties: {} },
  selectedEvents: [{ source: 'tracee', name: 'openat', origin: 'container' }],
  state: { container: { type: 'integer', minimum: 0 } },
  create: (_config, { containers }) => ({
    onEvent(event) {
      const id = event.workload!.container!.id;
      containers.set(id, (containers.get(id) ?? 0) + 1);
      const path = event.data[0].str;
      return path === '/etc/shadow' ? [{ data: [{ name: 'path', str: path }] }] : undefined;
    },
  }),
});

function run(section: Record<string, unknown>, events: Event[]) {
  const signature = new HostedSignature(shadowReader, section);
  const findings: Event[] = [];
  const host = new SignatureHost([signature], (f) => findings.push(f));
  for (const e of events) host.dispatch(e);
  const fields = findings.map((f) => Object.fromEntries(f.data.map((v) => [v.name, v.str ?? v.u_int32])));
  return { findings, fields, counters: signature.counters(), stats: signature.stats(), signature };
}

describe('finding interceptors', () => {
  it('compose in order: the first interceptor sees the finding first', () => {
    const seen: string[] = [];
    const tag = (name: string): Interceptor => (next) => (d) => {
      seen.push(name);
      next(d);
    };
    compose([tag('a'), tag('b')], () => seen.push('emit'))({ trigger: openat('c', '/x', 0), data: [] } as FindingDraft);
    expect(seen).to.deep.equal(['a', 'b', 'emit']);
  });

  it('allowlist (suppress): an allowed finding is dropped and counted per rule; others pass unchanged', () => {
    const r = run({ allowlist: { rules: [{ name: 'ops', namespace: 'ops' }] } }, [openat('c1', '/etc/shadow', 1, 'ops'), openat('c2', '/etc/shadow', 2)]);
    expect(r.fields).to.deep.equal([{ path: '/etc/shadow' }]);
    expect(r.counters).to.include({ 'allowed[ops]': 1, allowed: 1 });
    expect(r.stats.allowed).to.deep.equal({ ops: 1 });
  });

  it('allowlist (audit): an allowed finding passes at INFO with allowed_by', () => {
    const r = run({ allowlist: { mode: 'audit', rules: [{ name: 'ops', namespace: ['ops'] }] } }, [openat('c1', '/etc/shadow', 1, 'ops')]);
    expect(r.fields).to.deep.equal([{ path: '/etc/shadow', allowed_by: 'ops' }]);
    expect(r.findings[0].threat?.severity).to.equal(0);
  });

  it('audit and dedup together: count, then allowed_by, after the signature\'s data (as TRC-1013 wrote them)', () => {
    const r = run({ allowlist: { mode: 'audit', rules: [{ name: 'ops', namespace: 'ops' }] }, dedup: { windowSeconds: 60 } }, [openat('c1', '/etc/shadow', 1, 'ops')]);
    expect(r.findings[0].data.map((v) => v.name)).to.deep.equal(['path', 'count', 'allowed_by']);
  });

  it('dedup: repeats per container and finding key within the window are counted, then carried by the next finding', () => {
    const r = run({ dedup: { windowSeconds: 60 } }, [
      openat('c1', '/etc/shadow', 0),
      openat('c1', '/etc/shadow', 10),
      openat('c2', '/etc/shadow', 11), // another container: its own key
      openat('c1', '/etc/shadow', 30),
      openat('c1', '/etc/shadow', 100),
    ]);
    expect(r.fields.map((f) => f.count)).to.deep.equal([0, 0, 2]);
    expect(r.counters.duplicatesSuppressed).to.equal(2);
    expect(r.stats.dedupSuppressed).to.equal(2);
  });

  it('the interceptors work on their own too, whatever the finding', () => {
    const out: FindingDraft[] = [];
    const dispatch = compose([allowlistInterceptor(new Allowlist([{ name: 'cat', comm: ['cat'] }])), dedupInterceptor(new DedupWindow(60, 10), new Interner())], (d) => out.push(d));
    dispatch({ trigger: openat('c', '/x', 0), data: [] });
    expect(out).to.deep.equal([]);
  });
});

describe('a hosted signature (any signature, not TRC-1013)', () => {
  it('gets bounded per-container state: LRU eviction, container_remove, counters and stats', () => {
    const r = run({ maxContainers: 2 }, [openat('a', '/x', 1), openat('b', '/x', 2), openat('c', '/x', 3), containerRemove('b')]);
    expect(r.counters).to.include({ containersTracked: 1, containersEvicted: 1, containersRemoved: 1 });
    expect(r.stats).to.deep.include({ containersTracked: 1, evictions: { containers: 1 } });
  });

  it('snapshots and restores its state, refusing a snapshot its schema rejects and keeping its state', () => {
    const first = run({ dedup: { windowSeconds: 60 } }, [openat('a', '/etc/shadow', 1), openat('a', '/x', 2)]);
    const snap = JSON.parse(JSON.stringify(first.signature.snapshot()));
    expect(snap).to.deep.equal({ version: 1, containers: [['a', 2]], dedup: [['a', [[JSON.stringify({ name: 'path', str: '/etc/shadow' }), 1, 0]]]] });
    const second = new HostedSignature(shadowReader, { dedup: { windowSeconds: 60 } });
    second.restore(snap);
    expect(second.snapshot()).to.deep.equal(snap);
    expect(() => second.restore({ ...snap, containers: [['a', -1]] })).to.throw(/containers\[0\]\[1\]: -1: expected a whole number >= 0/);
    expect(second.snapshot()).to.deep.equal(snap);
  });

  it('refuses a config section its schema rejects, naming the signature and key', () => {
    expect(() => new HostedSignature(shadowReader, { dedup: { windowSeconds: -1 } })).to.throw(/^T-SHADOW: dedup\.windowSeconds: -1: expected a number from 0 to 604800/);
    expect(() => new HostedSignature(shadowReader, { nope: 1 })).to.throw(/^T-SHADOW: nope: unknown key/);
  });
});
