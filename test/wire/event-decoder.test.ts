import { expect } from 'chai';
import { DecodeError } from '../../src/decode/errors.js';
import { decodeProtoEvent } from '../../src/wire/event-decoder.js';
import { protoType } from '../../src/wire/proto.js';

function encode(obj: Record<string, unknown>): Uint8Array {
  const t = protoType('tracee.v1beta1.Event');
  return t.encode(t.fromObject(obj)).finish();
}

describe('decodeProtoEvent', () => {
  it('decodes timestamps exactly', () => {
    const e = decodeProtoEvent(encode({ name: 'x', timestamp: { seconds: '1772446530', nanos: 123456789 } }));
    expect(e.timestamp).to.deep.equal({ seconds: 1772446530, nanos: 123456789 });
  });

  // Outside google.protobuf.Timestamp's range the model's time means nothing, and
  // the finding encoders failed on it ("not integer digits", "Invalid time value").
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['negative nanos', { timestamp: { seconds: '1', nanos: -5 } }, /^timestamp\.nanos: expected 0 to 999999999, got -5/],
    ['nanos past a second', { timestamp: { seconds: '1', nanos: 1_000_000_000 } }, /^timestamp\.nanos/],
    ['seconds past year 9999', { timestamp: { seconds: '9223372036854775807' } }, /^timestamp\.seconds: 9223372036854775807 is outside/],
    ['seconds before year 1', { timestamp: { seconds: '-62135596801' } }, /^timestamp\.seconds/],
    ['a thread start time out of range', { workload: { process: { thread: { start_time: { seconds: '1', nanos: -1 } } } } }, /^workload\.process\.thread\.start_time\.nanos/],
  ];
  for (const [what, fields, expected] of cases) {
    it(`refuses ${what} with a DecodeError naming the field`, () => {
      expect(() => decodeProtoEvent(encode({ name: 'x', ...fields }))).to.throw(DecodeError, expected);
    });
  }
});
