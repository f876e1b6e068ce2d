import { expect } from 'chai';
import fc from 'fast-check';
import { formatRfc3339Nano, isRfc3339, parseRfc3339, parseRfc3339Any } from '../../src/model/time.js';
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

describe('parseRfc3339', () => {
  it('reads every text exactly as its general path does (the form Tracee prints is read digit by digit)', () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((v) => String(v).padStart(2, '0'));
    const stamp = fc
      .tuple(fc.integer({ min: 0, max: 9999 }), two(99), two(99), two(99), two(99), two(99), fc.stringMatching(/^(\.\d{0,10})?$/), fc.constantFrom('Z', 'z', '+01:00', '-23:59', '', 'ZZ'), fc.constantFrom('T', 't', ' '))
      .map(([y, mo, d, h, mi, s, frac, zone, t]) => `${String(y).padStart(4, '0')}-${mo}-${d}${t}${h}:${mi}:${s}${frac}${zone}`);
    const edited = fc.tuple(stamp, fc.nat(40), fc.string({ maxLength: 2 })).map(([t, at, s]) => t.slice(0, at % (t.length + 1)) + s + t.slice((at % (t.length + 1)) + 1));
    const edges = ['1000-01-01T00:00:00Z', '0999-12-31T23:59:59Z', '1970-01-01T00:00:00.000000001Z', '2000-02-29T12:00:00Z', '1900-02-29T00:00:00Z', '2023-02-31T00:00:00Z', '9999-12-31T23:59:59.999999999z', '2024-12-31T24:00:00Z', '2024-12-31T23:60:00Z', '2024-13-01T00:00:00Z'];
    for (const text of edges) expect(parseRfc3339(text), text).to.deep.equal(parseRfc3339Any(text));
    fc.assert(
      fc.property(fc.oneof(stamp, edited), (text) => {
        expect(parseRfc3339(text), text).to.deep.equal(parseRfc3339Any(text));
      }),
      runs(20000),
    );
  });
});

describe('formatRfc3339Nano', () => {
  // What Go's RFC3339Nano prints, the plain way: the ISO date and time, then the nanoseconds without trailing zeros.
  const plain = (seconds: number, nanos: number) => {
    const date = new Date(seconds * 1000).toISOString().slice(0, 19);
    return nanos === 0 ? `${date}Z` : `${date}.${String(nanos).padStart(9, '0').replace(/0+$/, '')}Z`;
  };

  it('prints Tracee timestamps as Go does: whole seconds, and fractions with leading and trailing zeros', () => {
    expect(formatRfc3339Nano({ seconds: 1772446482, nanos: 933380075 })).to.equal('2026-03-02T10:14:42.933380075Z');
    expect(formatRfc3339Nano({ seconds: 1772446482, nanos: 0 })).to.equal('2026-03-02T10:14:42Z');
    expect(formatRfc3339Nano({ seconds: 1772446482, nanos: 5 })).to.equal('2026-03-02T10:14:42.000000005Z');
    expect(formatRfc3339Nano({ seconds: 1772446482, nanos: 120000000 })).to.equal('2026-03-02T10:14:42.12Z');
    expect(formatRfc3339Nano({ seconds: 0, nanos: 500 })).to.equal('1970-01-01T00:00:00.0000005Z');
  });

  it('agrees with the plain way on generated timestamps, runs in the same second and two seconds taking turns included', () => {
    const second = fc.integer({ min: 0, max: 4102444799 }); // up to 2099
    const nanos = fc.oneof(fc.integer({ min: 0, max: 999_999_999 }), fc.constantFrom(0, 1, 10, 100_000_000, 999_999_990));
    const which = fc.constantFrom('new', 'last', 'before last');
    fc.assert(
      fc.property(fc.array(fc.tuple(second, nanos, which), { minLength: 1, maxLength: 20 }), (stamps) => {
        const seen = [0, 0];
        for (const [s, n, w] of stamps) {
          const seconds = w === 'last' ? seen[seen.length - 1] : w === 'before last' ? seen[seen.length - 2] : s;
          seen.push(seconds);
          expect(formatRfc3339Nano({ seconds, nanos: n })).to.equal(plain(seconds, n));
        }
      }),
      runs(300),
    );
  });
});
