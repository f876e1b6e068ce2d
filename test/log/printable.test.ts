import { expect } from 'chai';
import { printable } from '../../src/log/printable.js';

describe('printable (text for a person)', () => {
  it('escapes C0 controls, DEL, C1 controls and bidirectional overrides; keeps tab and ordinary text', () => {
    expect(printable('a\u001b[31mb\u0007c\u007fd\u009be\r\nf\tg')).to.equal('a\\x1b[31mb\\x07c\\x7fd\\x9be\\r\\nf\tg');
    expect(printable('abc\u202edef\u2066')).to.equal('abc\\u202edef\\u2066');
    expect(printable('kubectl 10.96.0.1:443 é ✓')).to.equal('kubectl 10.96.0.1:443 é ✓');
  });

  it('is idempotent: escaping twice changes nothing more', () => {
    const once = printable('x\u001by');
    expect(printable(once)).to.equal(once);
  });
});
