// Property: the prefilter never skips a line that holds a selected event, however
// the line is laid out (key order, escapes, whitespace), compared with a full
// parse; and what it skips it counts under the event's real name.
import { expect } from 'chai';
import fc from 'fast-check';
import { decodeJsonLine } from '../../src/decode/json.js';
import { Prefilter } from '../../src/decode/prefilter.js';
import { CORPUS, SELECTED_LINES, SELECTED_NAMES, runs } from './support.js';

/** How to lay a JSON value out: every choice Tracee's writers never make. */
interface Layout {
  seed: number;
  shuffle: boolean;
  space: boolean;
  escapeRate: number; // share of string characters written as \uXXXX (or \/)
}

const layout: fc.Arbitrary<Layout> = fc.record({
  seed: fc.integer(),
  shuffle: fc.boolean(),
  space: fc.boolean(),
  escapeRate: fc.constantFrom(0, 0.05, 0.3, 1),
});

/** Small deterministic generator, so one fast-check seed gives one layout. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

function layOut(value: unknown, l: Layout): string {
  const r = prng(l.seed);
  const ws = (): string => (l.space ? [' ', '', '\t', '  ', '\r', ' \t '][Math.floor(r() * 6)] : '');
  const str = (s: string): string => {
    let out = '"';
    for (const ch of s) {
      const code = ch.codePointAt(0)!;
      if (code > 0xffff) out += r() < l.escapeRate ? JSON.stringify(ch).slice(1, -1).replace(/[\ud800-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`) : ch;
      else if (r() < l.escapeRate) out += ch === '/' && r() < 0.5 ? '\\/' : `\\u${code.toString(16).padStart(4, '0')}`;
      else out += JSON.stringify(ch).slice(1, -1);
    }
    return out + '"';
  };
  const walk = (v: unknown): string => {
    if (typeof v === 'string') return str(v);
    if (Array.isArray(v)) return `[${ws()}${v.map((x) => walk(x)).join(`${ws()},${ws()}`)}${ws()}]`;
    if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      if (l.shuffle) for (let i = keys.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [keys[i], keys[j]] = [keys[j], keys[i]]; } // prettier-ignore
      return `{${ws()}${keys.map((k) => `${str(k)}${ws()}:${ws()}${walk((v as Record<string, unknown>)[k])}`).join(`${ws()},${ws()}`)}${ws()}}`;
    }
    return JSON.stringify(v);
  };
  return `${ws()}${walk(value)}${ws()}`;
}

function skipOf(prefilter: Prefilter, line: string): boolean {
  const buf = Buffer.from(`xx\n${line}\nyy`); // the line sits inside a larger chunk
  return prefilter.skip(buf, 3, buf.length - 3);
}

describe('property: prefilter', () => {
  it('never skips a selected event, whatever its key order, escapes and whitespace', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SELECTED_LINES), layout, (line, l) => {
        const text = layOut(JSON.parse(line), l);
        expect(SELECTED_NAMES.has(decodeJsonLine(text).event.name), 'still a selected event').to.equal(true);
        expect(skipOf(new Prefilter(SELECTED_NAMES), text), text).to.equal(false);
      }),
      runs(1500),
    );
  });

  it('counts what it skips under the event name a full parse reads', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CORPUS), layout, (line, l) => {
        const text = layOut(JSON.parse(line), l);
        let name: string;
        try {
          name = decodeJsonLine(text).event.name;
        } catch {
          return; // not an event (e.g. a rules finding): the replay tests cover those
        }
        const p = new Prefilter(SELECTED_NAMES);
        if (!skipOf(p, text)) return;
        expect(SELECTED_NAMES.has(name), text).to.equal(false);
        expect(p.takeSkipped(), text).to.deep.equal([[name, 1]]);
      }),
      runs(1500),
    );
  });

  it('lines as Tracee writes them: selected ones parsed, the others skipped and counted by name', () => {
    const p = new Prefilter(SELECTED_NAMES);
    const expected = new Map<string, number>();
    for (const line of CORPUS) {
      let name: string;
      try {
        name = decodeJsonLine(line).event.name;
      } catch {
        continue;
      }
      const skipped = skipOf(p, line);
      expect(skipped, line).to.equal(!SELECTED_NAMES.has(name));
      if (skipped) expected.set(name, (expected.get(name) ?? 0) + 1);
    }
    expect(new Map(p.takeSkipped().sort())).to.deep.equal(new Map([...expected].sort()));
    expect(p.takeSkipped()).to.deep.equal([]); // taken once
    expect(expected.size).to.be.greaterThan(5); // the real recording's many event names were skipped
  });
});
