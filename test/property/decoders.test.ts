// Property: whatever the input, the decoders return an Event or throw a
// DecodeError (no other exception, no hang), and an Event they return can go
// through the host with TRC-1013 and out in every finding shape without a throw.
import { expect } from 'chai';
import fc from 'fast-check';
import { applyEdits, byteEdits } from '../support/byte-edits.js';
import { DecodeError } from '../../src/decode/errors.js';
import { decodeJsonLine } from '../../src/decode/json.js';
import { decodeProtoEvent } from '../../src/wire/event-decoder.js';
import { encodeProtoEvent } from '../../src/wire/event-encoder.js';
import type { Event } from '../../src/model/event.js';
import { REFERENCE_EXAMPLES } from '../support/cli.js';
import {
  CORPUS, EVERY_TYPE, RAW_NUMBERS, SELECTED_LINES, anyValue, decodeOrDecodeError, deepArray, deepObject, mutate, mutation, raw,
  realLine, runs, stringifyWithRaw, survivesHost,
} from './support.js';

const decodeJson = (line: string): Event | undefined => decodeOrDecodeError(() => decodeJsonLine(line).event);
const decodeProto = (bytes: Uint8Array): Event | undefined => decodeOrDecodeError(() => decodeProtoEvent(bytes));

/** The contract on one JSON line. */
function jsonContract(line: string): void {
  const event = decodeJson(line);
  if (event) survivesHost(event);
}
function protoContract(bytes: Uint8Array): void {
  const event = decodeProto(bytes);
  if (event) survivesHost(event);
}

describe('property: JSON line decoder', () => {
  it('arbitrary text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), jsonContract), runs(400));
  });

  it('arbitrary JSON values and objects with the keys that pick a shape', () => {
    const keyed = fc.record(
      { name: anyValue, eventName: anyValue, timestamp: anyValue, id: anyValue, eventId: anyValue, data: anyValue, args: anyValue, workload: anyValue },
      { requiredKeys: [] },
    );
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), keyed), (v) => jsonContract(stringifyWithRaw(v))), runs(400));
  });

  it('real lines with fields deleted, retyped (every JSON type), nested', () => {
    fc.assert(fc.property(realLine, fc.array(mutation, { minLength: 1, maxLength: 4 }), (line, ms) => jsonContract(mutate(line, ms))), runs(600));
  });

  it('real lines truncated at every position', () => {
    // Exhaustive over Tracee's documented examples (both shapes) ...
    for (const line of REFERENCE_EXAMPLES) {
      for (let i = 0; i < line.length; i++) {
        const cut = line.slice(0, i);
        expect(decodeJson(cut), `cut at ${i}`).to.equal(undefined); // a prefix of an object line is never a whole object
      }
    }
    // ... and sampled over every real line we have.
    fc.assert(
      fc.property(fc.constantFrom(...CORPUS), fc.nat(), (line, at) => {
        expect(decodeJson(line.slice(0, at % line.length))).to.equal(undefined);
      }),
      runs(300),
    );
  });

  it('real lines with invalid UTF-8 and NUL bytes spliced in (read as the replay reads them)', () => {
    const junk = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b) => Buffer.from(b.map((x) => x | 0x80))),
      fc.constantFrom(Buffer.from([0]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xff, 0xfe]), Buffer.from([0xf4, 0x90, 0x80, 0x80])),
    );
    fc.assert(
      fc.property(realLine, fc.array(fc.tuple(fc.nat(), junk), { minLength: 1, maxLength: 4 }), (line, splices) => {
        let bytes = Buffer.from(line);
        for (const [at, b] of splices) {
          const i = at % (bytes.length + 1);
          bytes = Buffer.concat([bytes.subarray(0, i), b, bytes.subarray(i)]);
        }
        jsonContract(bytes.toString('utf8'));
      }),
      runs(400),
    );
  });

  it('deep nesting anywhere, and in the fields the decoder walks recursively', () => {
    for (const depth of [100, 10_000, 200_000]) {
      jsonContract(deepArray(depth));
      jsonContract(deepObject(depth));
      const cur = JSON.parse(REFERENCE_EXAMPLES[1]);
      // detected_from.parent and process.ancestors are read recursively.
      jsonContract(stringifyWithRaw({ ...cur, detected_from: raw('{"id":1,"name":"x","parent":'.repeat(depth) + '{}' + '}'.repeat(depth)) }));
      const ancestors = raw('[{"pid":1,"ancestors":'.repeat(depth) + '[]' + '}]'.repeat(depth));
      jsonContract(stringifyWithRaw({ ...cur, workload: { ...cur.workload, process: { ...cur.workload.process, ancestors } } }));
      const leg = JSON.parse(REFERENCE_EXAMPLES[5]);
      jsonContract(stringifyWithRaw({ ...leg, args: [...leg.args, { name: 'x', type: 'y', value: raw(deepObject(depth)) }] }));
      // Far deeper than any Tracee event: refused, with the reason.
      expect(() => decodeJsonLine(stringifyWithRaw({ ...leg, container: raw(deepObject(depth)) }))).to.throw(DecodeError, /nested deeper than/);
    }
  });

  it('numbers beyond 2^64 (and other awkward number texts) in every numeric field', () => {
    fc.assert(
      fc.property(realLine, fc.constantFrom(...RAW_NUMBERS), fc.nat(), (line, num, pick) => {
        const spots = [...line.matchAll(/(?<=[:\[,])-?\d+(\.\d+)?([eE][+-]?\d+)?(?=[,\]}])/g)];
        if (spots.length === 0) return;
        const m = spots[pick % spots.length];
        jsonContract(line.slice(0, m.index) + num + line.slice(m.index! + m[0].length));
      }),
      runs(400),
    );
  });

  describe('every field TRC-1013 reads, given every wrong type', () => {
    type Step = string | number | { arg: string };
    // Fields per shape; { arg } is the index of the argument of that name.
    const CURRENT: Step[][] = [
      ['name'], ['id'], ['timestamp'], ['workload'], ['workload', 'container'], ['workload', 'container', 'id'],
      ['workload', 'container', 'started'], ['workload', 'process'], ['workload', 'process', 'thread'],
      ['workload', 'process', 'thread', 'name'], ['data'], [{ arg: 'env' }], [{ arg: 'env' }, 'name'], [{ arg: 'env' }, 'str_array'],
      [{ arg: 'env' }, 'str_array', 'value'], [{ arg: 'env' }, 'str_array', 'value', 3], [{ arg: 'remote_addr' }],
      [{ arg: 'remote_addr' }, 'sockaddr'], [{ arg: 'remote_addr' }, 'sockaddr', 'sa_family'], [{ arg: 'remote_addr' }, 'sockaddr', 'sin_addr'],
      [{ arg: 'remote_addr' }, 'sockaddr', 'sin_port'], [{ arg: 'remote_addr' }, 'sockaddr', 'sin6_addr'], [{ arg: 'remote_addr' }, 'sockaddr', 'sin6_port'],
      [{ arg: 'container_id' }, 'str'],
    ];
    const LEGACY: Step[][] = [
      ['eventName'], ['eventId'], ['timestamp'], ['containerId'], ['container'], ['container', 'id'], ['contextFlags'],
      ['contextFlags', 'containerStarted'], ['processName'], ['args'], [{ arg: 'env' }], [{ arg: 'env' }, 'name'],
      [{ arg: 'env' }, 'value'], [{ arg: 'env' }, 'value', 3], [{ arg: 'remote_addr' }], [{ arg: 'remote_addr' }, 'value'],
      [{ arg: 'remote_addr' }, 'value', 'sa_family'], [{ arg: 'remote_addr' }, 'value', 'sin_addr'], [{ arg: 'remote_addr' }, 'value', 'sin_port'],
      [{ arg: 'remote_addr' }, 'value', 'sin6_addr'], [{ arg: 'remote_addr' }, 'value', 'sin6_port'], [{ arg: 'container_id' }, 'value'],
    ];

    function setAt(root: any, steps: Step[], value: unknown): boolean { // eslint-disable-line @typescript-eslint/no-explicit-any
      let o = root;
      for (let i = 0; i < steps.length; i++) {
        let s = steps[i];
        if (typeof s === 'object') {
          const list: any[] = root.data ?? root.args; // eslint-disable-line @typescript-eslint/no-explicit-any
          const at = Array.isArray(list) ? list.findIndex((a) => a?.name === (s as { arg: string }).arg) : -1;
          if (at < 0) return false;
          o = list;
          s = at;
        }
        if (i === steps.length - 1) {
          o[s] = value;
          return true;
        }
        if (o[s] === null || typeof o[s] !== 'object') o[s] = typeof steps[i + 1] === 'number' ? [] : {};
        o = o[s];
      }
      return false;
    }

    for (const [shape, fields, lines] of [
      ['current', CURRENT, REFERENCE_EXAMPLES.slice(0, 4)],
      ['legacy', LEGACY, REFERENCE_EXAMPLES.slice(5, 8)],
    ] as const) {
      it(`${shape} shape (exec, connect, container_remove)`, () => {
        let tried = 0;
        for (const line of lines) {
          for (const field of fields) {
            for (const value of EVERY_TYPE) {
              const o = JSON.parse(line);
              if (!setAt(o, field, value)) continue;
              jsonContract(stringifyWithRaw(o));
              tried++;
            }
          }
        }
        expect(tried).to.be.greaterThan(fields.length * EVERY_TYPE.length); // the fields were really found
      });
    }
  });
});

describe('property: protobuf Event decoder', () => {
  const encoded = SELECTED_LINES.slice(0, 60).map((l) => encodeProtoEvent(decodeJsonLine(l).event));

  it('arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), protoContract), runs(500));
  });

  it('real events with bytes flipped, inserted, deleted', () => {
    fc.assert(
      fc.property(fc.constantFrom(...encoded), byteEdits(6), (bytes, edits) => {
        const b = applyEdits(bytes, edits);
        protoContract(b);
      }),
      runs(500),
    );
  });

  it('real events truncated at every position', () => {
    for (const bytes of encoded.slice(0, 8)) for (let i = 0; i < bytes.length; i++) protoContract(bytes.subarray(0, i));
  });

  it('deeply nested messages', () => {
    // Event.detected_from (field 8) -> DetectedFrom.parent (field 4), nested as length-delimited bytes.
    const name = Buffer.from([0x1a, 0x01, 0x78]); // Event.name = "x"
    for (const depth of [100, 1000, 5000]) {
      let inner: Buffer = Buffer.from([0x12, 0x01, 0x78]); // DetectedFrom.name = "x"
      for (let i = 0; i < depth; i++) inner = Buffer.concat([Buffer.from([0x12, 0x01, 0x78]), field(4, inner)]);
      const bytes = Buffer.concat([name, field(8, inner)]);
      protoContract(bytes);
      expect(decodeProto(bytes), `detected_from nested ${depth} deep`).to.equal(undefined);
    }
    // EventValue.struct (field 30): google.protobuf.Struct -> map entry -> Value.struct_value (field 5) -> Struct ...
    for (const depth of [100, 1000, 5000]) {
      let struct: Buffer = Buffer.alloc(0);
      for (let i = 0; i < depth; i++) struct = field(1, Buffer.concat([field(1, Buffer.from('a')), field(2, field(5, struct))]));
      const value = Buffer.concat([field(1, Buffer.from('x')), field(30, struct)]);
      const bytes = Buffer.concat([name, field(6, value)]);
      protoContract(bytes);
      expect(decodeProto(bytes), `struct nested ${depth} deep`).to.equal(undefined);
    }
  });
});

/** A length-delimited protobuf field: tag and length as varints, then the body. */
function field(no: number, body: Buffer): Buffer {
  return Buffer.concat([varint((no << 3) | 2), varint(body.length), body]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return Buffer.from(out);
}
