import { expect } from 'chai';
import fc from 'fast-check';
import { isRfc3339, parseRfc3339 } from '../../src/model/time.js';
import { runs } from '../property/support.js';

const accepts = (text: string): boolean => {
  const bytes = Buffer.from(text, 'utf8');
  return isRfc3339(Buffer.concat([Buffer.from('x"'), bytes, Buffer.from('"y')]), 2, 2 + bytes.length);
};

describe('isRfc3339 (the replay scanner timestamp check)', () => {
  it('accepts what parseRfc3339 accepts, and only that: Tracee\'s forms and their neighbours', () => {
    const good = ['2025-11-20T09:00:00.000040552Z', '2025-11-20T09:00:00Z', '2025-11-20t09:00:00.1z', '2025-11-20T09:00:00.123456789+02:00', '9999-99-99T99:99:99-23:59'];
    const bad = ['null', '', '2025-11-20T09:00:00', '2025-11-20T09:00:00.Z', '2025-11-20T09:00:00.1234567890Z', '2025-11-20 09:00:00Z', '2025-11-20T09:00:00+0200', '2025-1-20T09:00:00Z', '2025-11-20T09:00:00ZZ', '+2025-11-20T09:00:00Z'];
    for (const t of good) expect(accepts(t), t).to.equal(true);
    for (const t of bad) expect(accepts(t), t).to.equal(false);
    for (const t of [...good, ...bad]) expect(accepts(t), t).to.equal(parseRfc3339(t) !== undefined);
  });

  it('agrees with parseRfc3339 on generated texts', () => {
    const piece = fc.constantFrom('0', '1', '9', '2025', '-', ':', 'T', 't', 'Z', 'z', '.', '+', ' ', 'x', '12', '000040552', '\u00e9');
    const valid = fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), fc.stringMatching(/^(\.\d{1,10})?$/), fc.constantFrom('Z', 'z', '+01:00', '-23:59', '', 'Z ', '+1:00'))
      .map(([y, mo, d, frac, zone]) => `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}T09:00:00${frac}${zone}`);
    const edited = fc.tuple(valid, fc.nat(40), fc.string({ maxLength: 2 })).map(([t, at, s]) => t.slice(0, at % (t.length + 1)) + s + t.slice((at % (t.length + 1)) + 1));
    fc.assert(
      fc.property(fc.oneof(valid, edited, fc.array(piece, { maxLength: 14 }).map((p) => p.join(''))), (text) => {
        expect(accepts(text), text).to.equal(parseRfc3339(text) !== undefined);
      }),
      runs(5000),
    );
  });
});
