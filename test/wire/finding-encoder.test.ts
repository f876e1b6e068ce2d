import { expect } from 'chai';
import fc from 'fast-check';
import { DecodeError } from '../../src/decode/errors.js';
import { decodeProtoEvent } from '../../src/wire/event-decoder.js';
import { decodeWireEvent, type WireEvent } from '../../src/wire/lazy-reader.js';
import { encodeProtoEvent } from '../../src/wire/event-encoder.js';
import { decodeFindingBatch } from '../../src/wire/services.js';
import { buildFinding, findingBuilder } from '../../src/host/finding.js';
import { type Event, type EventValue, isFrozenThreat } from '../../src/model/event.js';
import { FIRST_DETECTOR_EVENT_ID } from '../../src/model/event-ids.js';
import { encodeFinding, FindingBatchWriter } from '../../src/wire/finding-encoder.js';
import { protoType } from '../../src/wire/proto.js';
import { metadata } from '../../signatures/k8s_api_connection.js';
import { runs } from '../property/support.js';
import { encodeEventObject, protoEventBytes } from '../support/proto-events.js';

/** What protobufjs makes of the finding: the reference the hand encoder must match. */
const reference = (finding: Event): Event => decodeProtoEvent(encodeProtoEvent(finding));

const findingValue: fc.Arbitrary<EventValue> = fc.oneof(
  fc.record({ name: fc.constantFrom('ip', 'comm', 'container_id', 'allowed_by', 'ünï'), str: fc.string({ maxLength: 200 }) }),
  fc.record({ name: fc.constantFrom('port', 'count'), u_int32: fc.oneof(fc.constantFrom(0, 443, 65535, 4294967295), fc.nat()) }),
  fc.record({ name: fc.constant('n'), int32: fc.integer({ min: -2147483648, max: 2147483647 }) }),
  fc.record({ name: fc.constant('b'), bool: fc.boolean() }),
  // Kinds the encoder hands to protobufjs.
  fc.record({ name: fc.constant('u64'), u_int64: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String) }),
  fc.record({ name: fc.constant('arr'), str_array: fc.record({ value: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }) }) }),
  fc.record({ name: fc.constant('none') }),
  fc.record({ name: fc.constant('null-sockaddr'), sockaddr: fc.constant(null) }),
);

const output = fc.record({
  data: fc.array(findingValue, { maxLength: 6 }),
  severity: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
});

describe('finding encoder (hand-written protobuf)', () => {
  it('writes bytes that decode as protobufjs encoding of the finding, for random triggers from the wire', () => {
    fc.assert(
      fc.property(protoEventBytes, output, fc.boolean(), (bytes, out, readFirst) => {
        let model: Event;
        try {
          model = decodeProtoEvent(bytes);
        } catch {
          return; // not an event: no finding
        }
        const trigger = decodeWireEvent(bytes);
        if (readFirst) void trigger.argument('remote_addr'); // the signature read one argument before emitting
        const finding = buildFinding(metadata, FIRST_DETECTOR_EVENT_ID, { trigger, data: out.data, severity: out.severity });
        const expected = reference(buildFinding(metadata, FIRST_DETECTOR_EVENT_ID, { trigger: model, data: out.data, severity: out.severity }));
        expect(decodeProtoEvent(encodeFinding(finding))).to.deep.equal(expected); // without the trigger's bytes
        // With them, detected_from carries the trigger's values exactly as decoded (protobufjs's
        // re-encoding loses what it cannot name, e.g. an unknown address family).
        const exact = { ...expected, detected_from: { ...expected.detected_from!, data: model.data, parent: model.detected_from } };
        expect(decodeProtoEvent(encodeFinding(finding, trigger))).to.deep.equal(exact);
      }),
      runs(300),
    );
  });

  it('writes the same for triggers that are plain model events (JSON edges) and for replaced parts', () => {
    fc.assert(
      fc.property(protoEventBytes, output, (bytes, out) => {
        let model: Event;
        try {
          model = decodeProtoEvent(bytes);
        } catch {
          return;
        }
        const finding = buildFinding(metadata, FIRST_DETECTOR_EVENT_ID, { trigger: model, data: out.data, severity: out.severity });
        expect(decodeProtoEvent(encodeFinding(finding, model))).to.deep.equal(reference(finding));
        // A wire trigger whose data and workload were replaced: the replacements are written, not the bytes.
        const trigger = decodeWireEvent(bytes);
        trigger.data = out.data;
        if (trigger.workload) trigger.workload.container = { id: 'replaced', started: true };
        const changed = buildFinding(metadata, FIRST_DETECTOR_EVENT_ID, { trigger, data: [], severity: out.severity });
        const got = decodeProtoEvent(encodeFinding(changed, trigger));
        expect(got.detected_from?.data).to.deep.equal(reference(changed).detected_from?.data);
        if (trigger.workload) expect(got.workload?.container?.id).to.equal('replaced');
      }),
      runs(200),
    );
  });

  it('encodes a threat once per content: findings of different severities or signatures keep their own', () => {
    const trigger = decodeProtoEvent(encodeEventObject({ name: 'security_socket_connect', data: [{ name: 'x', int32: 1 }] }));
    const low = buildFinding(metadata, FIRST_DETECTOR_EVENT_ID, { trigger, data: [] });
    const info = buildFinding(metadata, FIRST_DETECTOR_EVENT_ID, { trigger, data: [], severity: 0 });
    const other = buildFinding({ ...metadata, description: 'another signature' }, FIRST_DETECTOR_EVENT_ID + 1, { trigger, data: [] });
    for (const f of [low, info, other, low, info, other]) expect(decodeProtoEvent(encodeFinding(f, trigger))).to.deep.equal(reference(f));
    expect(decodeProtoEvent(encodeFinding(info)).threat?.severity).to.equal(0);
    expect(decodeProtoEvent(encodeFinding(other)).threat?.description).to.equal('another signature');
  });

  it("a signature's findings share one frozen threat per severity, encoded as its content is", () => {
    const trigger = decodeProtoEvent(encodeEventObject({ name: 'security_socket_connect', data: [{ name: 'x', int32: 1 }] }));
    const build = findingBuilder(metadata, FIRST_DETECTOR_EVENT_ID);
    const [a, b, info] = [build({ trigger, data: [] }), build({ trigger, data: [] }), build({ trigger, data: [], severity: 0 })];
    expect(a.threat).to.equal(b.threat);
    expect(info.threat).to.not.equal(a.threat);
    expect(info.threat?.severity).to.equal(0);
    expect(() => {
      a.threat!.properties!.signatureID = 'changed'; // nobody changes what other findings carry (and what is kept by it)
    }).to.throw(TypeError);
    expect(isFrozenThreat(a.threat!)).to.equal(true);
    for (const f of [a, info, a]) {
      const unshared = { ...f, threat: structuredClone(f.threat) }; // the same content, not frozen: encoded by content
      expect(isFrozenThreat(unshared.threat!)).to.equal(false);
      expect(Buffer.from(encodeFinding(f, trigger))).to.deep.equal(Buffer.from(encodeFinding(unshared, trigger)));
      expect(decodeProtoEvent(encodeFinding(f, trigger))).to.deep.equal(reference(buildFinding(metadata, FIRST_DETECTOR_EVENT_ID, { trigger, data: [], severity: f.threat?.severity })));
    }
  });

  it('refuses to copy a trigger workload with a malformed part into a finding (the host could not decode it)', () => {
    const good = encodeEventObject({ name: 'security_socket_connect', workload: { container: { id: 'c1', started: true } } });
    // Workload (field 5) = container (field 2, "c1", started) + k8s (field 3) whose length runs past its end.
    const container = Buffer.from([0x12, 0x06, 0x0a, 0x02, 0x63, 0x31, 0x20, 0x01]);
    const badK8s = Buffer.from([0x1a, 0x02, 0x0a, 0x05]);
    const workload = Buffer.concat([container, badK8s]);
    const bytes = Buffer.concat([Buffer.from([0x1a, 0x01, 0x78, 0x2a, workload.length]), workload]);
    const trigger = decodeWireEvent(bytes);
    expect(trigger.containerId()).to.equal('c1'); // the hot path reads what it needs ...
    const finding = buildFinding(metadata, FIRST_DETECTOR_EVENT_ID, { trigger, data: [] });
    expect(() => encodeFinding(finding, trigger)).to.throw(DecodeError); // ... but a finding never carries bad bytes
    const fine = decodeWireEvent(good);
    expect(decodeProtoEvent(encodeFinding(buildFinding(metadata, FIRST_DETECTOR_EVENT_ID, { trigger: fine, data: [] }), fine)).workload?.container?.id).to.equal('c1');
  });

  it('writes a FindingBatch as protobufjs does from the findings encoded one by one, whatever their size', () => {
    const batchType = protoType('tracee.sig.v1.FindingBatch');
    const writer = new FindingBatchWriter();
    // Findings under 128 bytes, around 16 KiB and beyond: the reserved length is too long, right or too short.
    const size = fc.constantFrom(0, 1, 100, 16_200, 16_384, 40_000);
    fc.assert(
      fc.property(protoEventBytes, fc.array(fc.tuple(size, fc.nat(200)), { maxLength: 5 }), fc.nat(1000), fc.nat(3), (bytes, parts, processed, unusable) => {
        let trigger: WireEvent;
        try {
          trigger = decodeWireEvent(bytes);
          void trigger.toPlain(); // a trigger the finding encoder can copy
        } catch {
          return;
        }
        const findings = parts.map(([n]) => buildFinding(metadata, FIRST_DETECTOR_EVENT_ID, { trigger, data: n ? [{ name: 'pad', str: 'x'.repeat(n) }] : [] }));
        const minimal = { name: 'k8s_api_connection', data: [] } as unknown as Event; // a finding of a few bytes
        const all = parts.length ? [...findings, minimal] : [];
        all.forEach((f, i) => writer.add(f, f === minimal ? undefined : trigger, i < parts.length ? parts[i][1] : 7));
        const expected = batchType
          .encode({
            findings: all.map((f) => decodeBytes(encodeFinding(f, f === minimal ? undefined : trigger))),
            events_processed: processed,
            trigger_indexes: all.map((_, i) => (i < parts.length ? parts[i][1] : 7)),
            events_unusable: unusable,
          })
          .finish();
        expect(Buffer.from(writer.finish(processed, unusable)).equals(Buffer.from(expected))).to.equal(true);
      }),
      runs(100),
    );
  });

  it('leaves the batch as it was when a finding cannot be encoded', () => {
    const writer = new FindingBatchWriter();
    const fine = decodeWireEvent(encodeEventObject({ name: 'security_socket_connect', workload: { container: { id: 'c1', started: true } } }));
    const good = buildFinding(metadata, FIRST_DETECTOR_EVENT_ID, { trigger: fine, data: [] });
    writer.add(good, fine, 3);
    const bad = decodeWireEvent(Buffer.from([0x1a, 0x01, 0x78, 0x2a, 0x04, 0x1a, 0x02, 0x0a, 0x05])); // workload's k8s runs past its end
    expect(() => writer.add(buildFinding(metadata, FIRST_DETECTOR_EVENT_ID, { trigger: bad, data: [] }), bad, 4)).to.throw(DecodeError);
    expect(writer.count).to.equal(1);
    const batch = decodeFindingBatch(writer.finish(5, 1));
    expect(batch.trigger_indexes).to.deep.equal([3]);
    expect(batch.findings).to.deep.equal([decodeProtoEvent(encodeFinding(good, fine))]);
    expect([batch.events_processed, batch.events_unusable]).to.deep.equal([5, 1]);
  });
});

/** Encoded Event bytes as protobufjs takes a message: decoded to its message object. */
function decodeBytes(bytes: Uint8Array): unknown {
  return protoType('tracee.v1beta1.Event').decode(bytes);
}
