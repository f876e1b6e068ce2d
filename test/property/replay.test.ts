// Property: bad lines anywhere in a recording never stop the replay, every good
// line after them is still processed, the findings are exactly those of the
// good lines alone, and every bad line is accounted for (malformed, or counted
// as the unselected event its Tracee-layout header names).
import { expect } from 'chai';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { signaturesFromConfig } from '../../src/config/signatures.js';
import { defaultConfig } from '../../src/config/load.js';
import { decodeJsonLine } from '../../src/decode/json.js';
import { formatFinding } from '../../src/encode/findings.js';
import { SignatureHost } from '../../src/host/host.js';
import { replay } from '../../src/sources/replay.js';
import { tempDir } from '../support/cli.js';
import { BUNDLED_RECORDINGS, CORPUS, SELECTED_NAMES, mutate, mutation, runs } from './support.js';

const MAX_LINE_BYTES = 16 * 1024; // above every bundled line (11.5 KiB at most)

interface Outcome {
  findings: string[];
  lines: number;
  events: number;
  eventsByName: Map<string, number>;
  dispatched: number;
  malformed: number;
  readErrors: string[];
}

async function replayFile(file: string): Promise<Outcome> {
  const findings: string[] = [];
  const host = new SignatureHost(signaturesFromConfig(defaultConfig()), (f, meta) => findings.push(formatFinding(f, meta, 'auto')));
  const result = await replay([file], host, { maxLineBytes: MAX_LINE_BYTES });
  host.sourceComplete();
  host.close();
  const c = host.counters;
  return { findings, lines: c.lines, events: c.events, eventsByName: c.eventsByName, dispatched: c.dispatched, malformed: c.malformed, readErrors: result.readErrors };
}

// ---- bad lines, and what the replay must do with each -------------------------

type Expect = { kind: 'blank' } | { kind: 'malformed' } | { kind: 'skipped-as'; name: string };

/**
 * The replay's contract for a line that is not a valid event: blank lines are
 * ignored; a line whose header is laid out as Tracee writes it and names an
 * event no signature selected is counted as that event unparsed (the prefilter
 * reads only the header); any other line is reported as malformed.
 */
function expectedFor(line: Buffer): Expect {
  let body = line;
  if (body.length > 0 && body[body.length - 1] === 0x0d) body = body.subarray(0, -1);
  if (body.length > MAX_LINE_BYTES) return { kind: 'malformed' };
  const text = body.toString('latin1'); // byte for byte, as the prefilter reads
  if (/^[ \t\r]*$/.test(text)) return { kind: 'blank' };
  if (!/[^ \t\r]\}[ \t\r]*$/.test(text) || !text.startsWith('{')) return { kind: 'malformed' };
  const header =
    /^\{"timestamp":"[^"]*","id":(?:\d*|"[^"]*"),"name":"([^"\\]{0,128})"/.exec(text) ?? /^\{"timestamp":(?!")[\s\S]*?"eventName":"([^"\\]{0,128})"/.exec(text);
  if (header && !SELECTED_NAMES.has(header[1])) return { kind: 'skipped-as', name: header[1] };
  return { kind: 'malformed' };
}

function isValidEvent(line: Buffer): boolean {
  try {
    decodeJsonLine(line.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

const noNewline = (b: Buffer): Buffer => Buffer.from(b.map((x) => (x === 0x0a ? 0x20 : x)));

const badLine: fc.Arbitrary<Buffer> = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc.constantFrom('', ' ', '\t \r', '{}', '[]', 'null', '{"name":""}', '{"eventName":7}').map((s) => Buffer.from(s)),
    // real lines mutated, truncated, or with invalid UTF-8 / NUL bytes spliced in
    fc.tuple(fc.constantFrom(...CORPUS), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([l, ms]) => Buffer.from(mutate(l, ms))),
    fc.tuple(fc.constantFrom(...CORPUS), fc.nat()).map(([l, at]) => Buffer.from(l.slice(0, at % l.length))),
    fc.tuple(fc.constantFrom(...CORPUS), fc.nat(), fc.constantFrom([0x00], [0xff], [0xc3], [0xed, 0xa0, 0x80], [0x22], [0x7d])).map(([l, at, bytes]) => {
      const b = Buffer.from(l);
      const i = at % b.length;
      return Buffer.concat([b.subarray(0, i), Buffer.from(bytes), b.subarray(i)]);
    }),
    // over the maximum line length
    fc.tuple(fc.constantFrom(...CORPUS), fc.integer({ min: 1, max: 40_000 })).map(([l, extra]) => Buffer.from(l.padEnd(MAX_LINE_BYTES + extra, 'x'))),
  )
  .map(noNewline)
  .filter((b) => !isValidEvent(b));

describe('property: replay loop with bad lines among good ones', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof tempDir>;
  const baselines = new Map<string, Outcome>();
  before(async () => {
    tmp = tempDir();
    for (const f of BUNDLED_RECORDINGS) baselines.set(f, await replayFile(f));
  });
  after(() => tmp.remove());

  it('goes on past every bad line, finds exactly what the good lines alone give, accounts for every bad line', async () => {
    let n = 0;
    const seen = { blank: 0, malformed: 0, 'skipped-as': 0, oversized: 0, gzip: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...BUNDLED_RECORDINGS),
        fc.array(fc.tuple(fc.nat(), badLine), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        async (recording, inserts, gzip, finalNewline) => {
          const good = fs.readFileSync(recording, 'utf8').split('\n').filter((l) => l !== '').map((l) => Buffer.from(l));
          const lines: Buffer[] = [...good];
          for (const [at, bad] of inserts) lines.splice(at % (lines.length + 1), 0, bad);
          // Without a final newline, an empty last line would not be a line at all.
          const newlineAtEnd = finalNewline || lines[lines.length - 1].length === 0;
          let body = Buffer.concat(lines.flatMap((l, i) => (i < lines.length - 1 || newlineAtEnd ? [l, Buffer.from('\n')] : [l])));
          if (gzip) body = zlib.gzipSync(body);
          const file = path.join(tmp.dir, `rec-${n++}.json${gzip ? '.gz' : ''}`);
          fs.writeFileSync(file, body);

          const got = await replayFile(file); // must not throw
          fs.rmSync(file);
          const base = baselines.get(recording)!;
          expect(got.readErrors).to.deep.equal([]);
          expect(got.findings, 'findings').to.deep.equal(base.findings);
          expect(got.lines, 'lines').to.equal(lines.length);

          const kinds = inserts.map(([, b]) => expectedFor(b));
          for (const k of kinds) seen[k.kind]++;
          seen.oversized += inserts.filter(([, b]) => b.length > MAX_LINE_BYTES + 1).length;
          if (gzip) seen.gzip++;
          const skipped = new Map<string, number>();
          for (const k of kinds) if (k.kind === 'skipped-as') skipped.set(k.name, (skipped.get(k.name) ?? 0) + 1);
          expect(got.malformed, 'malformed').to.equal(kinds.filter((k) => k.kind === 'malformed').length);
          // Every good line is still processed: the same events, by name, and the same dispatches.
          expect(got.dispatched, 'dispatched').to.equal(base.dispatched);
          const byName = new Map(base.eventsByName);
          for (const [name, count] of skipped) byName.set(name, (byName.get(name) ?? 0) + count);
          expect(new Map([...got.eventsByName].sort()), 'events by name').to.deep.equal(new Map([...byName].sort()));
        },
      ),
      runs(300),
    );
    // The generators reached every case (a property over only easy lines would prove little).
    for (const [kind, count] of Object.entries(seen)) expect(count, kind).to.be.greaterThan(0);
  });
});
