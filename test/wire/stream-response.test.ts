import { expect } from 'chai';
import { decodeJsonLine } from '../../src/decode/json.js';
import { decodeProtoEvent } from '../../src/wire/event-decoder.js';
import { decodeWireEvent, eventBytesOfResponse } from '../../src/wire/lazy-reader.js';
import { encodeProtoEvent } from '../../src/wire/event-encoder.js';
import { protoType } from '../../src/wire/proto.js';
import { CURRENT_CONNECT_V6, CURRENT_EXEC, LEGACY_CONTAINER_REMOVE } from '../support/examples.js';

const responseType = () => protoType('tracee.v1beta1.StreamEventsResponse');
const response = (event: object): Buffer => Buffer.from(responseType().encode(responseType().fromObject({ event })).finish());

/** The name the lazy decoder reads from the head; undefined where it refuses the bytes. */
function eventNameOfProto(bytes: Buffer): string | undefined {
  try {
    return decodeWireEvent(bytes).name;
  } catch {
    return undefined;
  }
}

describe('attach\'s unwrapping: event names and StreamEventsResponse from protobuf bytes', () => {
  for (const line of [CURRENT_EXEC, CURRENT_CONNECT_V6, LEGACY_CONTAINER_REMOVE]) {
    const event = decodeJsonLine(line).event;
    it(`reads "${event.name}" as the full decoder does`, () => {
      const bytes = Buffer.from(encodeProtoEvent(event));
      expect(eventNameOfProto(bytes)).to.equal(event.name);
      expect(decodeProtoEvent(bytes).name).to.equal(event.name);
    });
  }

  it('unwraps StreamEventsResponse to the Event bytes, without copying', () => {
    const event = decodeJsonLine(CURRENT_EXEC).event;
    const eventBytes = Buffer.from(encodeProtoEvent(event));
    const raw = response(protoType('tracee.v1beta1.Event').decode(eventBytes));
    const inner = eventBytesOfResponse(raw)!;
    expect(inner.equals(eventBytes)).to.equal(true);
    expect(inner.buffer).to.equal(raw.buffer);
  });

  it('takes the last of repeated name fields, as protobuf decoders do', () => {
    const first = Buffer.from(encodeProtoEvent({ id: 0, name: 'security_socket_connect', data: [] }));
    const second = Buffer.from(encodeProtoEvent({ id: 0, name: 'openat', data: [] }));
    const both = Buffer.concat([first, second]);
    expect(eventNameOfProto(both)).to.equal('openat');
    expect(decodeProtoEvent(both).name).to.equal('openat');
  });

  it('answers undefined (full decode) for bytes it cannot walk, a missing name, or a split event', () => {
    expect(eventNameOfProto(Buffer.from([0x1a, 0x10, 0x61]))).to.equal(undefined); // length past the end
    expect(eventNameOfProto(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).to.equal(undefined); // endless varint
    expect(eventNameOfProto(Buffer.from([0x0b]))).to.equal(undefined); // group start
    expect(eventNameOfProto(Buffer.from(encodeProtoEvent({ id: 5, name: '', data: [] })))).to.equal(undefined);
    const part = response({ name: 'sched_process_exec' });
    expect(eventBytesOfResponse(Buffer.concat([part, part]))).to.equal(undefined);
    expect(eventBytesOfResponse(Buffer.alloc(0))).to.equal(undefined);
  });
});
