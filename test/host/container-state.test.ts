// The host's bounded per-container state, which every signature gets.
import { expect } from 'chai';
import { ContainerStore } from '../../src/host/container-state.js';

describe('ContainerStore (per-container state, per signature)', () => {
  it('keeps at most maxContainers, evicting the least recently used and counting it', () => {
    const s = new ContainerStore<number>(2);
    s.set('a', 1);
    s.set('b', 2);
    s.touch('a'); // a is now more recent than b
    s.set('c', 3);
    expect(s.entries()).to.deep.equal([['a', 1], ['c', 3]]);
    expect(s.evicted).to.equal(1);
  });

  it('get() reads without marking used; set() of a known container replaces in place without evicting', () => {
    const s = new ContainerStore<number>(2);
    s.set('a', 1);
    s.set('b', 2);
    expect(s.get('a')).to.equal(1); // not a use: a stays least recent
    s.set('b', 20);
    expect(s.evicted).to.equal(0);
    s.set('c', 3);
    expect(s.entries()).to.deep.equal([['b', 20], ['c', 3]]);
  });

  it('forgets a removed container, counting only those it knew', () => {
    const s = new ContainerStore<number>(4);
    s.set('a', 1);
    expect(s.forget('a')).to.equal(true);
    expect(s.forget('zzz')).to.equal(false);
    expect([s.size, s.removed]).to.deep.equal([0, 1]);
  });

  it('restores entries in order within its bound', () => {
    const s = new ContainerStore<string[]>(2);
    s.set('old', ['x']);
    s.restore([['a', ['1']], ['b', ['2']], ['c', ['3']]]);
    expect(s.entries()).to.deep.equal([['b', ['2']], ['c', ['3']]]);
    expect(s.evicted).to.equal(1);
  });
});
