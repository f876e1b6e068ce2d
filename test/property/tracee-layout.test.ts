// Property: replay's line scanner (src/decode/tracee-layout.ts) either declines a
// line or gives exactly what the full decoder gives for everything it answers
// from the bytes (container id, started flag, origin, remote_addr,
// container_id, the env summary); and it never accepts a line the full decoder
// refuses. Lines: real ones of every era we have, generated ones of both
// shapes, the same with their JSON mutated, their env replaced, their bytes edited.
import { expect } from 'chai';
import fc from 'fast-check';
import { DecodeError } from '../../src/decode/errors.js';
import { decodeJsonLine, type DecodedLine } from '../../src/decode/json.js';
import { Prefilter } from '../../src/decode/prefilter.js';
import { NOTES, ScannedEvent, TraceeLineScanner } from '../../src/decode/tracee-layout.js';
import { arg, containerId, origin, stringArrayArg, stringArraySummary, summarizeStrings } from '../../src/model/accessors.js';
import type { Event } from '../../src/model/event.js';
import { generate, line as lineOf } from '../../bench/generate.js';
import { applyEdits, byteEdits } from '../support/byte-edits.js';
import { BUNDLED_LINES, CORPUS, SELECTED_LINES, SELECTED_NAMES, mutate, mutation, runs } from './support.js';

type Outcome = 'skipped' | 'other layout' | 'declined' | 'scanned';

const PREFIXES = [undefined, 'KUBERNETES_SERVICE_HOST=', 'HOME=', '', 'é='];

/**
 * Scan the line as replay would (inside a larger chunk, `pad` bytes in, which sets how its bytes
 * fall on the 4-byte words the scanner reads strings by) and hold every answer against the full decoder.
 */
function check(line: Buffer, pad = 3, original?: Buffer): Outcome {
  const buf = Buffer.alloc(pad + line.length + 3, 0x0a); // its own memory: byteOffset 0
  line.copy(buf, pad);
  const start = pad;
  const end = pad + line.length;
  const prefilter = new Prefilter(SELECTED_NAMES);
  if (prefilter.skip(buf, start, end)) return 'skipped';
  if (prefilter.layoutName === undefined) return 'other layout';
  const scanned = new TraceeLineScanner({ templates: false }).scan(buf, start, end, prefilter.layoutName, prefilter.layoutShape);
  sameAsTemplated(scanned, buf, start, end, prefilter.layoutName, prefilter.layoutShape, false, original);
  let full: DecodedLine | undefined;
  try {
    full = decodeJsonLine(line.toString('utf8'));
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
  }
  const text = line.toString('utf8');
  // As the scan-ahead thread hands a line over: scanned there without decoding its noted items,
  // rebuilt from its notes here (in other memory), the items decoded here. Declined as often.
  let handedOver: ScannedEvent | undefined;
  const deferred = new TraceeLineScanner({ deferNotedItems: true, templates: false }).scan(buf, start, end, prefilter.layoutName, prefilter.layoutShape);
  sameAsTemplated(deferred, buf, start, end, prefilter.layoutName, prefilter.layoutShape, true, original);
  if (deferred) {
    const notes = new Int32Array(NOTES + 2);
    deferred.writeNotes(notes, 2);
    const rebuilt = ScannedEvent.fromNotes(deferred.name, deferred.shape, Buffer.from(buf), start, end, notes, 2);
    if (rebuilt.decodeNotedItems()) handedOver = rebuilt;
  }
  expect(handedOver !== undefined, `scanned on one thread, ${handedOver ? 'and' : 'not'} when handed over: ${text}`).to.equal(scanned !== undefined);
  if (!scanned) return 'declined';
  expect(full, `scanned a line the full decoder refuses: ${text}`).to.not.equal(undefined);
  checkAnswers(handedOver!, full!, text);
  checkAnswers(scanned, full!, text);
  return 'scanned';
}

/**
 * Scanners kept for the whole run, as replay keeps one: each line is also matched against the
 * templates learned from the lines before it (all the lines, mutations and edits of every test here),
 * and must give exactly what the rules alone give: declined alike, the same notes, the same items.
 * An edited line (`original` given) meets instead a new scanner that has learned its original: the
 * shared ones stop trying templates once most lines do not repeat a layout, as edited lines do not.
 */
const TEMPLATED = { plain: new TraceeLineScanner(), deferred: new TraceeLineScanner({ deferNotedItems: true }) };
let templateMatches = 0;
/** Edited lines a template of their original matched. */
let editedMatches = 0;

function sameAsTemplated(alone: ScannedEvent | undefined, buf: Buffer, start: number, end: number, name: string, shape: 'current' | 'legacy', deferred: boolean, original?: Buffer): void {
  let scanner = deferred ? TEMPLATED.deferred : TEMPLATED.plain;
  if (original) {
    scanner = new TraceeLineScanner({ deferNotedItems: deferred });
    const prefilter = new Prefilter(SELECTED_NAMES);
    if (!prefilter.skip(original, 0, original.length) && prefilter.layoutName === name && prefilter.layoutShape === shape) scanner.scan(original, 0, original.length, name, shape);
  }
  const before = scanner.templateMatches;
  const templated = scanner.scan(buf, start, end, name, shape);
  templateMatches += scanner.templateMatches - before;
  if (original) editedMatches += scanner.templateMatches - before;
  const text = buf.toString('utf8', start, end);
  expect(templated !== undefined, `${alone ? 'scanned' : 'declined'} by the rules, ${templated ? 'scanned' : 'declined'} with templates: ${text}`).to.equal(alone !== undefined);
  if (!alone || !templated) return;
  const notes = (ev: ScannedEvent) => {
    const out = new Int32Array(NOTES);
    ev.writeNotes(out, 0);
    return [...out];
  };
  expect(notes(templated), `notes with templates: ${text}`).to.deep.equal(notes(alone));
  expect(templated.remoteAddr, text).to.deep.equal(alone.remoteAddr);
  expect(templated.containerIdArgument, text).to.deep.equal(alone.containerIdArgument);
}

function checkAnswers(scanned: ScannedEvent, full: DecodedLine, text: string): void {
  const event: Event = full.event;
  // Answers from the bytes first (before anything makes the scanned event decode in full:
  // an env summary of an event that is no exec does).
  for (const name of ['remote_addr', 'container_id']) expect(arg(scanned, name), `${name} of ${text}`).to.deep.equal(arg(event, name));
  expect(scanned.shape, text).to.equal(full.shape);
  expect(scanned.name, text).to.equal(event.name);
  expect(containerId(scanned), text).to.equal(containerId(event));
  expect(scanned.containerStarted(), text).to.equal(event.workload?.container?.started === true);
  expect(origin(scanned), text).to.equal(origin(event));
  for (const prefix of PREFIXES) {
    const expected = stringArrayArg(event, 'env') && summarizeStrings(stringArrayArg(event, 'env')!, prefix);
    expect(stringArraySummary(scanned, 'env', prefix), `env summary (${prefix}) of ${text}`).to.deep.equal(expected);
  }
  // Everything else comes from the full decoder.
  expect(arg(scanned, 'no_such_argument'), text).to.equal(undefined);
  expect(scanned.full(), text).to.deep.equal(event);
  expect(arg(scanned, 'env'), text).to.deep.equal(arg(event, 'env'));
}

const checkText = (line: string): Outcome => check(Buffer.from(line));

/** Lines our encoders write for generated events, as Tracee's writers lay them out. */
function generatedLines(shape: 'current' | 'legacy', seed: number, events: number): string[] {
  const out: string[] = [];
  for (const e of generate({ shape, mix: 'selected', events, seed })) out.push(lineOf(e, shape));
  return out;
}

/** An exec line (either shape) with its env replaced by `env`. */
function withEnv(line: string, env: unknown): string {
  const o = JSON.parse(line) as Record<string, unknown>;
  const items = ('eventName' in o ? o.args : o.data) as Record<string, unknown>[];
  for (const item of items) {
    if (item.name !== 'env') continue;
    if ('eventName' in o) item.value = env;
    else item.str_array = { value: env };
  }
  return JSON.stringify(o);
}

const EXEC_LINES = SELECTED_LINES.filter((l) => l.includes('"sched_process_exec"') && l.includes('"env"'));

const envEntry = fc.oneof(
  fc.constantFrom('KUBERNETES_SERVICE_HOST=10.96.0.1', 'KUBERNETES_SERVICE_HOST= fd00::1 ', 'KUBERNETES_SERVICE_HOST=', 'KUBERNETES_SERVICE_HOSTX=1', '?', 'HOME=/root', 'é=1'),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }), // lone surrogates, control characters: escapes in JSON
  fc.string({ maxLength: 30 }).map((s) => `KUBERNETES_SERVICE_HOST=${s}`),
);

describe('property: the Tracee-layout line scanner', () => {
  it('scans every selected real line in Tracee layout, of every era we have, exactly as the full decoder reads it', () => {
    const outcomes: Record<Outcome, number> = { skipped: 0, 'other layout': 0, declined: 0, scanned: 0 };
    for (const line of BUNDLED_LINES) outcomes[checkText(line)]++;
    // The bundled recordings (current, protojson-era, legacy v0.8, v0.23, v0.24) are all Tracee's layout.
    expect(outcomes.declined).to.equal(0);
    expect(outcomes['other layout']).to.equal(0);
    expect(outcomes.scanned).to.be.greaterThan(200);
  });

  it('on the whole corpus (reference examples, a real Tracee recording): declined or exact', () => {
    let scanned = 0;
    for (const line of CORPUS) if (checkText(line) === 'scanned') scanned++;
    expect(scanned).to.be.greaterThan(0);
  });

  it('generated lines of both shapes: scanned, and exact', () => {
    fc.assert(
      fc.property(fc.constantFrom<'current' | 'legacy'>('current', 'legacy'), fc.integer(), (shape, seed) => {
        for (const line of generatedLines(shape, seed, 20)) expect(checkText(line), line).to.equal('scanned');
      }),
      runs(60),
    );
  });

  it('a remote_addr the decoder refuses (JSON of the wrong kind): declined, also when handed over', () => {
    const connects = [...generatedLines('current', 11, 300), ...generatedLines('legacy', 11, 300)].filter((l) => l.includes('"sa_family":"AF_INET"'));
    expect(connects.length).to.be.greaterThan(20);
    for (const line of connects) {
      for (const [from, to] of [['"sa_family":"AF_INET"', '"sa_family":true'], ['"sa_family":"AF_INET"', '"sa_family":["AF_INET"]'], ['"sin_addr":"', '"sin_addr":7,"x":"']]) {
        const text = line.replace(from, to);
        expect(() => decodeJsonLine(text), text).to.throw(DecodeError);
        expect(checkText(text), text).to.equal('declined');
      }
    }
  });

  it('any remote_addr (odd values, unknown and repeated keys, no family, either shape): exact, or declined as the decoder refuses it, also when handed over', () => {
    const connects = [...generatedLines('current', 12, 200), ...generatedLines('legacy', 12, 200)].filter((l) => l.includes('"name":"remote_addr"'));
    expect(connects.length).to.be.greaterThan(20);
    // A sockaddr as Tracee writes it (family first, fields valid for the shape), then up to two edits:
    // a value swapped for an odd one, an unknown or repeated key, or the family dropped.
    const texts = ['"AF_INET"', '"AF_INET6"', '"10.96.0.1"', '"fd00::1"', '"é"', '""', '"a\\"b"', '"\\u0041F_INET"'];
    const odd = fc.constantFrom(...texts, '443', '0', '4294967295', '4294967296', '-1', '-0', '1.5', '1e3', '99999999999', '"443"', '"0443"', '"4294967296"', '"44x"', 'null', 'true', '[]', '{}');
    const fieldNames = ['sun_path', 'sin_addr', 'sin6_addr', 'sin_port', 'sin6_port', 'sin6_flowinfo', 'sin6_scopeid'];
    const members = fc
      .tuple(
        fc.constantFrom('"AF_INET"', '"AF_INET6"', '"AF_UNIX"'),
        fc.subarray(fieldNames),
        fc.array(fc.tuple(fc.constantFrom('swap', 'unknown', 'repeat', 'drop family'), fc.nat(), odd), { maxLength: 2 }),
        fc.boolean(),
      )
      .map(([family, names, edits, legacy]) => {
        const valid = (n: string, i: number) => (n.endsWith('port') || n.endsWith('info') || n.endsWith('id') ? (legacy && i % 2 ? `"${443 + i}"` : String(443 + i)) : `"10.96.0.${i}"`);
        let m: [string, string][] = [['sa_family', family], ...names.map((n, i): [string, string] => [n, valid(n, i)])];
        for (const [edit, at, value] of edits) {
          if (m.length === 0) m.push(['x', value]);
          else if (edit === 'swap') m[at % m.length] = [m[at % m.length][0], value];
          else if (edit === 'unknown') m.push(['x', value]);
          else if (edit === 'repeat') m.push([m[at % m.length][0], value]);
          else m = m.filter(([k]) => k !== 'sa_family');
        }
        return { legacy, body: m.map(([k, v]) => `"${k}":${v}`).join(',') };
      });
    const space = fc.constantFrom('', '', '', ' ');
    let scanned = 0;
    fc.assert(
      fc.property(members, fc.nat(), space, ({ legacy, body }, pick, sp) => {
        const shaped = connects.filter((l) => l.includes('"eventName"') === legacy);
        const line = shaped[pick % shaped.length];
        const item = legacy ? `{"name":"remote_addr","type":"SockAddr","value":{${body}}${sp}}` : `{"name":"remote_addr",${sp}"sockaddr":{${body}}}`;
        const text = line.replace(/\{"name":"remote_addr",[^\]]*?\}\}/, () => item);
        expect(text).to.contain(item);
        if (checkText(text) === 'scanned') scanned++;
      }),
      runs(1500),
    );
    expect(scanned).to.be.greaterThan(50);
  });

  it('any env (escapes, non-ASCII, "?" padding, the variable anywhere): exact summaries', () => {
    fc.assert(
      fc.property(fc.constantFrom(...EXEC_LINES), fc.array(envEntry, { maxLength: 40 }), (line, env) => {
        expect(checkText(withEnv(line, env))).to.equal('scanned');
      }),
      runs(800),
    );
  });

  it('string bytes of every kind at every alignment (quotes, escapes, controls, DEL, non-ASCII): declined or exact', () => {
    // The scanner skips plain string bytes four at a time on aligned words: a special byte in any
    // place of a word, at any start of the line, must stop it (or the line is wrongly accepted or misread).
    const special = fc.constantFrom(0x00, 0x09, 0x0a, 0x1f, 0x20, 0x22, 0x5c, 0x7f, 0x80, 0xc3, 0xa9, 0xff, 0x41);
    const bytes = fc.array(fc.oneof(special, fc.integer({ min: 0, max: 255 })), { maxLength: 24 });
    const outcomes: Record<Outcome, number> = { skipped: 0, 'other layout': 0, declined: 0, scanned: 0 };
    fc.assert(
      fc.property(fc.constantFrom(...EXEC_LINES), bytes, fc.integer({ min: 0, max: 7 }), (line, raw, pad) => {
        const [before, after] = withEnv(line, ['HOME=/root', '\u0000', 'KUBERNETES_SERVICE_HOST=10.96.0.1']).split('\\u0000');
        outcomes[check(Buffer.concat([Buffer.from(before), Buffer.from(raw), Buffer.from(after)]), pad)]++;
      }),
      runs(3000),
    );
    expect(outcomes.scanned).to.be.greaterThan(0);
    expect(outcomes.declined).to.be.greaterThan(0);
  });

  it('mutated lines (fields deleted, retyped, nested): declined or exact, never a line the decoder refuses', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SELECTED_LINES), fc.array(mutation, { minLength: 1, maxLength: 3 }), (line, mutations) => {
        check(Buffer.from(mutate(line, mutations)), 3, Buffer.from(line));
      }),
      runs(3000),
    );
  });

  it('byte edits of real and generated lines: declined or exact', () => {
    const lines = [...SELECTED_LINES, ...generatedLines('current', 7, 30), ...generatedLines('legacy', 7, 30)];
    fc.assert(
      fc.property(fc.constantFrom(...lines), byteEdits(4), (line, edits) => {
        check(applyEdits(Buffer.from(line), edits), 3, Buffer.from(line));
      }),
      runs(3000),
    );
  });

  it('lines matched against templates of earlier lines (every check above also scans with templates): many, and each exact', () => {
    // Every line of the tests above was held to the rules alone; this only makes sure the templates were used,
    // edited lines against their originals' among them.
    expect(templateMatches).to.be.greaterThan(1000);
    expect(editedMatches).to.be.greaterThan(500);
  });

  it('declines what it does not read as Tracee writes it', () => {
    const [legacy] = SELECTED_LINES.filter((l) => l.includes('"eventName":"security_socket_connect"'));
    const [current] = SELECTED_LINES.filter((l) => l.includes('"name":"security_socket_connect"') && !l.includes('eventName'));
    const cases = [
      legacy.replace('"eventName"', '"event\\u004eame"'), // an escaped key
      legacy.replace('"processId":', '"processId":"7","x":'), // a field of the wrong kind
      legacy.replace('"args":[', '"args":[{"name":"remote_addr","type":"SockAddr","value":"10.0.0.1"},'), // remote_addr not a sockaddr
      legacy.replace('{"timestamp":', '{"timestamp":1,"timestamp":'), // a repeated key
      legacy.replace('}]}', '}],}'), // not JSON
      current.replace('"data":[', '"data":[{"name":"x","int32":1.5},'),
      current.replace('"name":"security_socket_connect"', '"name":"security_socket_connect","eventName":"x"'),
      current.replace('"started":true', '"started":"yes"'),
      `${'['.repeat(40)}`,
    ];
    for (const line of cases) expect(['declined', 'other layout'], line).to.include(checkText(line));
  });

  it('keys in another order than the lines before, or one byte off a key seen before: exact (the scanner predicts keys from earlier lines)', () => {
    const [legacy] = SELECTED_LINES.filter((l) => l.includes('"eventName":"security_socket_connect"') && l.includes('"containerId":"'));
    const [current] = SELECTED_LINES.filter((l) => l.includes('"name":"security_socket_connect"') && !l.includes('eventName'));
    const variants = (line: string, swaps: [string, string][]) => [
      line,
      // each variant twice: the second time its keys are predicted too, from the slots the first one added
      ...swaps.flatMap(([a, b]) => Array(2).fill(line.replace(a, '\u0000').replace(b, a).replace('\u0000', b))),
      line,
    ];
    const lines = [
      ...variants(legacy, [['"processId"', '"threadId"'], ['"containerId"', '"containerIdX"'], ['"containerId"', '"containerI"'], ['"name":"remote_addr"', '"type":"SockAddr"'], ['"containerStarted":true', '"containerStartedX":true']]),
      ...variants(current, [['"id":', '"idx":'], ['"started"', '"is_running"'], ['"sockaddr"', '"sockaddrs"'], ['"started":true', '"startedX":true,"started":false']]),
    ];
    const outcomes = lines.map(checkText); // check() holds every scanned answer to the full decoder's
    expect(outcomes[0]).to.equal('scanned');
    expect(outcomes.filter((o) => o === 'scanned').length).to.be.greaterThan(lines.length / 2);
  });
});
