import { expect } from 'chai';
import { addressKey } from '../../src/model/address.js';

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
