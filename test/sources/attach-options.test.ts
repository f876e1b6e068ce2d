import { expect } from 'chai';
import { parseTraceeAddress, retryDelayMs } from '../../src/sources/attach.js';

describe('attach: Tracee addresses', () => {
  const good: [string, string][] = [
    ['unix:///var/run/tracee.sock', 'unix:/var/run/tracee.sock'],
    ['unix:/tmp/tracee.sock', 'unix:/tmp/tracee.sock'],
    ['tcp://127.0.0.1:4466', '127.0.0.1:4466'],
    ['tcp://[::1]:4466', '[::1]:4466'],
    ['tcp://localhost:4466', 'localhost:4466'],
    ['tcp:4466', '127.0.0.1:4466'],
  ];
  for (const [text, target] of good) it(`${text} -> ${target}`, () => expect(parseTraceeAddress(text).target).to.equal(target));

  const bad = ['', '/var/run/tracee.sock', 'unix:', 'unix://run/tracee.sock', 'tcp://host', 'tcp://host:0', 'tcp://::1:4466', 'http://127.0.0.1:4466'];
  for (const text of bad) it(`rejects "${text}"`, () => expect(() => parseTraceeAddress(text)).to.throw(text === '' ? /expected unix/ : text));
});

describe('attach: retry delays', () => {
  const policy = { initialMs: 100, maxMs: 1000 };
  it('draws each wait between half and all of the doubling, capped base', () => {
    const bases = [100, 200, 400, 800, 1000, 1000];
    bases.forEach((base, i) => {
      expect(retryDelayMs(i + 1, policy, () => 0)).to.equal(base / 2);
      expect(retryDelayMs(i + 1, policy, () => 0.999999)).to.equal(base);
    });
  });
  it('never overflows on long outages', () => {
    expect(retryDelayMs(10_000, policy, () => 1)).to.equal(1000);
  });
});
