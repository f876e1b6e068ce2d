import { expect } from 'chai';
import { decodeJsonLine } from '../../src/decode/json.js';
import { internalEventId } from '../../src/model/event-ids.js';
import { value as protoValue } from '../../src/wire/event-decoder.js';

// Names from the input used as keys must never reach Object.prototype's members.
describe('names that are Object.prototype members', () => {
  const names = ['valueOf', 'constructor', 'toString', '__proto__', 'hasOwnProperty'];

  it('are no event of known internal id: the event\'s own id is kept', () => {
    for (const name of names) expect(internalEventId(name, 42), name).to.equal(42);
    expect(internalEventId('security_socket_connect', 42)).to.equal(736);
  });

  it('as a protojson event id or threat severity name, decode as unknown (0)', () => {
    for (const name of names) {
      const line = `{"timestamp":"2025-11-20T09:00:00Z","id":${JSON.stringify(name)},"name":"x","threat":{"severity":${JSON.stringify(name)}}}`;
      const event = decodeJsonLine(line).event;
      expect(event.id, name).to.equal(0);
      expect(event.threat?.severity, name).to.equal(0);
    }
    const known = decodeJsonLine('{"timestamp":"2025-11-20T09:00:00Z","id":"security_socket_connect","name":"x","threat":{"severity":"HIGH"}}').event;
    expect([known.id, known.threat?.severity]).to.deep.equal([1036, 3]);
  });

  it('as keys of a protobuf Struct, stay keys ("__proto__" included)', () => {
    const fields = JSON.parse('{"__proto__":{"stringValue":"x"},"constructor":{"numberValue":1}}');
    const struct = protoValue({ name: 's', struct: { fields } }).struct as Record<string, unknown>;
    expect(Object.keys(struct)).to.deep.equal(['__proto__', 'constructor']);
    expect(struct.__proto__).to.equal('x');
    expect(JSON.stringify(struct)).to.equal('{"__proto__":"x","constructor":1}');
  });
});
