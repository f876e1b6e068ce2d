import { expect } from 'chai';
import { groupDigits } from '../../src/log/progress.js';

describe('groupDigits (counts for a person)', () => {
  it('groups by thousands exactly as en-US toLocaleString does', () => {
    for (const n of [0, 7, 999, 1000, 12345, 123456, 1234567, 1000000, 98765432109, -1, -1234, -999999, 3.6, 1234.5]) {
      expect(groupDigits(n), String(n)).to.equal(Math.round(n).toLocaleString('en-US'));
    }
  });
});
