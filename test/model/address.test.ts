import { expect } from 'chai';
import fc from 'fast-check';
import { addressKey } from '../../src/model/address.js';
import { runs } from '../property/support.js';

describe('addressKey', () => {
  it('gives every spelling of one address the same key', () => {
    const same = ['fd00:10:96::1', 'FD00:10:96::1', 'fd00:10:96:0:0:0:0:1', 'fd00:0010:0096:0000:0000:0000:0000:0001', '[fd00:10:96::1]'];
    expect(new Set(same.map(addressKey)).size).to.equal(1);
    expect(addressKey('fd00:10:96::1')).to.not.equal(undefined);
  });
  it('maps IPv4-mapped IPv6 to the IPv4 address', () => {
    expect(addressKey('::ffff:10.96.0.1')).to.equal('10.96.0.1');
    expect(addressKey('::FFFF:0a60:0001')).to.equal('10.96.0.1');
    expect(addressKey('0:0:0:0:0:ffff:10.96.0.1')).to.equal('10.96.0.1');
  });
  it('keeps distinct addresses apart', () => {
    expect(addressKey('10.96.0.1')).to.not.equal(addressKey('10.96.0.10'));
    expect(addressKey('::1')).to.not.equal(addressKey('::'));
    expect(addressKey('::10.96.0.1')).to.not.equal(addressKey('10.96.0.1')); // IPv4-compatible is not mapped
  });
  it('has no key for anything that is not an address, and never throws', () => {
    for (const bad of ['', 'kubernetes.default.svc', '10.96.0', '10.96.0.256', '010.96.0.1', '1::2::3', ':::', 'fd00::1%eth0', '12345::', 'x'.repeat(10000), ' 10.96.0.1', '1:2:3:4:5:6:7:8:9']) {
      expect(addressKey(bad), bad).to.equal(undefined);
    }
    expect(addressKey(undefined as unknown as string)).to.equal(undefined);
  });
});

describe('addressKey: IPv4 parsed by characters', () => {
  /** The dotted-quad rule as first written (split and a regular expression): the reference. */
  function referenceV4(s: string): string | undefined {
    const parts = s.split('.');
    if (parts.length !== 4) return undefined;
    for (const p of parts) if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    return parts.map(Number).join('.');
  }

  it('accepts exactly the dotted quads without leading zeros, and returns the text itself', () => {
    for (const ok of ['0.0.0.0', '10.96.0.1', '255.255.255.255', '1.22.133.4', '[10.96.0.1]']) expect(addressKey(ok), ok).to.equal(ok.replace(/[[\]]/g, ''));
    for (const bad of ['256.0.0.1', '1.2.3', '1.2.3.4.', '.1.2.3', '1..2.3', '01.2.3.4', '1.2.3.04', '1.2.3.1000', '1.2.3.-1', '1.2.3.4 ', '１.2.3.4', '1.2.3.a', '1e1.2.3.4', '0x1.2.3.4']) {
      expect(addressKey(bad), bad).to.equal(undefined);
    }
  });

  it('agrees with the reference rule on random texts made of digits and dots', () => {
    const text = fc.string({ unit: fc.constantFrom('0', '1', '2', '5', '9', '.', '.', 'a', ' '), maxLength: 16 });
    fc.assert(
      fc.property(fc.oneof(text, fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300)).map((q) => q.join('.'))), (s) => {
        expect(addressKey(s)).to.equal(referenceV4(s));
        // The IPv6 tail form goes through the same parser (without a dot, the tail is a hex group).
        if (s.includes('.')) expect(addressKey(`::ffff:${s}`)).to.equal(referenceV4(s));
      }),
      runs(2000),
    );
  });
});
