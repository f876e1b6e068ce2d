import { expect } from 'chai';
import * as protobuf from 'protobufjs';
import { decodeProtoEvent } from '../../src/wire/event-decoder.js';
import { decodeWireEvent, WireWorkload } from '../../src/wire/lazy-reader.js';
import { decodeJsonLine } from '../../src/decode/json.js';
import { encodeProtoEvent } from '../../src/wire/event-encoder.js';
import { protoType } from '../../src/wire/proto.js';
import type { Event } from '../../src/model/event.js';
import { CURRENT, LEGACY } from '../server/examples.js';
import fc from 'fast-check';
import { applyEdits, byteEdits } from '../support/byte-edits.js';
import { DecodeError } from '../../src/decode/errors.js';
import { arg, containerId, origin, stringArrayArg, stringArraySummary, summarizeStrings } from '../../src/model/accessors.js';
import { runs } from '../property/support.js';
import { ARG_NAMES, protoEventBytes } from '../support/proto-events.js';

const Event = () => protoType('tracee.v1beta1.Event');

function bytesOf(obj: Record<string, unknown>): Buffer {
  const t = Event();
  return Buffer.from(t.encode(t.fromObject(obj)).finish());
}

function sameAsProtobufjs(bytes: Buffer): Event {
  const lazy = decodeWireEvent(bytes).toPlain();
  expect(lazy).to.deep.equal(decodeProtoEvent(bytes));
  return lazy;
}

describe('lazy wire decoder (lazy-reader)', () => {
  it('decodes the reference examples exactly as decodeProtoEvent', () => {
    for (const line of [...Object.values(CURRENT), ...Object.values(LEGACY)]) {
      const e = decodeJsonLine(line).event;
      sameAsProtobufjs(Buffer.from(encodeProtoEvent(e)));
    }
  });

  it('decodes every value kind, wrappers, labels, stack traces, threat and detected_from as decodeProtoEvent', () => {
    const bytes = bytesOf({
      timestamp: { seconds: -5, nanos: 7 },
      id: 99999,
      name: 'odd_event',
      policies: { matched: ['a', 'b'] },
      workload: {
        process: {
          executable: {},
          unique_id: { value: 0 },
          pid: { value: 4294967295 },
          real_user: {},
          thread: { name: 'naïve-ünïcode-name-longer-than-24-bytes', compat: false, user_stack_trace: { addresses: [{ address: '18446744073709551615', symbol: 's' }, {}] } },
          ancestors: [{ pid: { value: 1 } }, { thread: { tid: { value: 2 } } }],
        },
        container: { image: { repo_digests: ['d1', 'd2'] } },
        k8s: { pod: { labels: { app: 'x', tier: 'y' } }, namespace: {} },
      },
      data: [
        { name: 'i32', int32: -1 },
        { name: 'i64', int64: '-9223372036854775808' },
        { name: 'u32', u_int32: 4294967295 },
        { name: 'u64', u_int64: '18446744073709551615' },
        { name: 'small', u_int64: '9007199254740993' },
        { name: 's', str: '' },
        { name: 'b', bytes: Buffer.from([1, 2, 3]) },
        { name: 'bool', bool: false },
        { name: 'arr', str_array: {} },
        { name: 'ia', int32_array: { value: [-1, 2] } },
        { name: 'ua', u_int64_array: { value: ['1', '18446744073709551615'] } },
        { name: 'sa', sockaddr: { sa_family: 10, sin6_addr: '::1', sin6_port: 443, sin6_flowinfo: 1, sin6_scopeid: 2 } },
        { name: 'unix', sockaddr: { sa_family: 1, sun_path: '/run/x' } },
        { name: 'unknown family', sockaddr: { sa_family: 17 } },
        { name: 'cred', credentials: { uid: { value: 0 }, cap_effective: [1, 2] } },
        { name: 'ts', timespec: { value: { value: 1.5 } } },
        { name: 'dns', dns: Buffer.from([8, 1]) },
        { name: 'st', struct: { fields: { k: { stringValue: 'v' }, n: { numberValue: 2 }, l: { listValue: { values: [{ boolValue: true }] } } } } },
        { name: 'ptr', pointer: '140737488355328' },
        { name: 'nil' },
      ],
      threat: { description: 'd', mitre: { tactic: { name: 't' } }, severity: 3, name: 'n', properties: { a: 'b' } },
      detected_from: { id: 736, name: 'security_socket_connect', data: [{ name: 'x', int32: 1 }], parent: { id: 1, name: 'p' } },
    });
    const e = sameAsProtobufjs(bytes);
    expect(e.data.find((v) => v.name === 'u64')?.u_int64).to.equal('18446744073709551615');
    expect(e.data.find((v) => v.name === 'small')?.u_int64).to.equal('9007199254740993');
  });

  it('merges a message field seen twice, and picks among the two kinds of a value, as protobufjs does', () => {
    const one = bytesOf({ name: 'x', workload: { container: { id: 'first', started: true } } });
    const two = bytesOf({ name: 'x', workload: { container: { id: 'second' }, process: { pid: { value: 3 } } }, data: [{ name: 'v', str: 'a' }] });
    const merged = sameAsProtobufjs(Buffer.concat([one, two, two]));
    expect(merged.workload?.container).to.include({ id: 'second', started: true });
    sameAsProtobufjs(Buffer.concat([bytesOf({ name: 'x', timestamp: { seconds: 5, nanos: 1 }, policies: { matched: ['a'] } }), bytesOf({ timestamp: { nanos: 2 }, policies: { matched: ['b'] } })]));
    // EventValue with both int32 (field 2) and str (field 6) on the wire.
    const value = Buffer.from([0x0a, 0x01, 0x76, 0x10, 0x05, 0x32, 0x01, 0x61]);
    const w = protobuf.Writer.create();
    w.uint32(26).string('y').uint32(50).bytes(value);
    sameAsProtobufjs(Buffer.from(w.finish()));
  });

  it('decodes parts only when read, and keeps the workload bytes for findings', () => {
    const e = decodeWireEvent(Buffer.from(encodeProtoEvent(decodeJsonLine(CURRENT.connect).event)));
    expect(e.name).to.equal('security_socket_connect');
    const w = e.workload as WireWorkload;
    expect(w).to.be.instanceOf(WireWorkload);
    expect(w.container?.id).to.match(/^8498b675/);
    expect(w.raw).to.be.instanceOf(Buffer);
    w.container = undefined;
    expect(w.raw).to.equal(undefined);
  });

  it('refuses malformed bytes with the place, and events without a name', () => {
    expect(() => decodeWireEvent(Buffer.from([0x1a, 0x05, 0x61]))).to.throw(/length 5 .* runs past/);
    expect(() => decodeWireEvent(Buffer.from([0x0f]))).to.throw(/invalid wire type 7/);
    expect(() => decodeWireEvent(Buffer.from([0x10, 0x01]))).to.throw(/name: missing or empty/);
    const e = decodeWireEvent(Buffer.from([0x1a, 0x01, 0x61, 0x2a, 0x02, 0x0a, 0x05]));
    expect(() => e.workload?.process).to.throw(/runs past/);
  });
});

describe('lazy wire decoder: properties over random events', () => {
  /** The decoder's answer as a value: the model, or the DecodeError's class (both must fail alike). */
  const outcome = (decode: () => Event): Event | string => {
    try {
      return decode();
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      return 'DecodeError';
    }
  };

  it('decodes every random event exactly as decodeProtoEvent', () => {
    fc.assert(
      fc.property(protoEventBytes, (bytes) => {
        expect(outcome(() => decodeWireEvent(bytes).toPlain())).to.deep.equal(outcome(() => decodeProtoEvent(bytes)));
      }),
      runs(300),
    );
  });

  it('merges repeated messages (two events concatenated) exactly as decodeProtoEvent', () => {
    fc.assert(
      fc.property(protoEventBytes, protoEventBytes, (a, b) => {
        const bytes = Buffer.concat([a, b]);
        expect(outcome(() => decodeWireEvent(bytes).toPlain())).to.deep.equal(outcome(() => decodeProtoEvent(bytes)));
      }),
      runs(150),
    );
  });

  it('finds each argument by name, decoding it alone, as data.find does (first of that name)', () => {
    fc.assert(
      fc.property(protoEventBytes, fc.constantFrom(...ARG_NAMES, 'absent'), (bytes, name) => {
        const model = decodeProtoEvent(bytes);
        const expected = model.data.find((v) => v.name === name);
        const fresh = decodeWireEvent(bytes);
        expect(fresh.argument(name)).to.deep.equal(expected); // before anything else is decoded
        expect(arg(fresh, name)).to.deep.equal(expected);
        expect(fresh.data).to.deep.equal(model.data); // data built after, sharing the value decoded first
        if (expected) expect(fresh.data).to.include(fresh.argument(name));
        const replaced = decodeWireEvent(bytes);
        replaced.data = [{ name, str: 'replaced' }];
        expect(arg(replaced, name)).to.deep.equal({ name, str: 'replaced' });
      }),
      runs(300),
    );
  });

  it('summarizes a string array from its bytes as the decoded value would be summarized', () => {
    const prefixes = [undefined, '', 'KUBERNETES_SERVICE_HOST=', 'A', 'é'];
    fc.assert(
      fc.property(protoEventBytes, fc.constantFrom(...ARG_NAMES, 'absent'), fc.constantFrom(...prefixes), (bytes, name, prefix) => {
        const model = decodeProtoEvent(bytes);
        const entries = stringArrayArg(model, name);
        const expected = entries && summarizeStrings(entries, prefix);
        expect(stringArraySummary(decodeWireEvent(bytes), name, prefix)).to.deep.equal(expected); // from the bytes
        // One event asked again, with every prefix, for this and another name (the walk of the array is kept).
        const again = decodeWireEvent(bytes);
        for (const [n, p] of [[name, prefix], ...prefixes.map((q) => [name, q]), [ARG_NAMES[0], prefix], [name, undefined]] as [string, string | undefined][]) {
          const e = stringArrayArg(model, n);
          expect(stringArraySummary(again, n, p)).to.deep.equal(e && summarizeStrings(e, p));
        }
        const decoded = decodeWireEvent(bytes);
        void decoded.data;
        expect(stringArraySummary(decoded, name, prefix)).to.deep.equal(expected); // from the decoded data
      }),
      runs(400),
    );
  });

  it('reads the container id, started and origin alone, as the model gives them', () => {
    fc.assert(
      fc.property(protoEventBytes, (bytes) => {
        const model = decodeProtoEvent(bytes);
        const fresh = decodeWireEvent(bytes);
        expect(containerId(fresh)).to.equal(containerId(model));
        expect(fresh.containerStarted()).to.equal(model.workload?.container?.started === true);
        expect(origin(decodeWireEvent(bytes))).to.equal(origin(model));
        expect(fresh.toPlain()).to.deep.equal(model);
      }),
      runs(300),
    );
  });

  it('real events with bytes flipped, inserted or deleted: when both decoders accept them, they agree', () => {
    const encoded = [...Object.values(CURRENT), ...Object.values(LEGACY)].map((l) => Buffer.from(encodeProtoEvent(decodeJsonLine(l).event)));
    let compared = 0;
    fc.assert(
      fc.property(fc.constantFrom(...encoded), byteEdits(3), (bytes, edits) => {
        const b = applyEdits(bytes, edits);
        const reference = outcome(() => decodeProtoEvent(b));
        const lazy = outcome(() => decodeWireEvent(b).toPlain());
        if (typeof reference === 'string' || typeof lazy === 'string') return;
        compared++;
        expect(lazy).to.deep.equal(reference);
      }),
      runs(1000),
    );
    expect(compared).to.be.greaterThan(30); // the comparisons really happened
  });

  it('refuses a timestamp outside google.protobuf.Timestamp\'s range, as decodeProtoEvent does', () => {
    for (const timestamp of [{ seconds: 253402300800 }, { seconds: -62135596801 }, { seconds: '-9223372036854775808' }]) {
      const bytes = bytesOf({ name: 'x', timestamp });
      expect(() => decodeProtoEvent(bytes)).to.throw(DecodeError, /timestamp.seconds/);
      expect(() => decodeWireEvent(bytes)).to.throw(DecodeError, /timestamp.seconds/);
    }
    const thread = bytesOf({ name: 'x', workload: { process: { thread: { start_time: { seconds: 253402300800 } } } } });
    expect(() => decodeProtoEvent(thread)).to.throw(DecodeError, /workload.process.thread.start_time.seconds/);
    expect(() => decodeWireEvent(thread).workload?.process).to.throw(DecodeError, /workload.process.thread.start_time.seconds/);
  });
});
