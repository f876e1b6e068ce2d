// The wire side of tracee.sig.v1.SignatureService and grpc.health.v1.Health:
// grpc-js service definitions built from our .proto files, and the codecs of
// their messages. EventBatch and FindingBatch are framed by hand so that the
// events inside stay bytes until the hot path decides what to decode.
import * as grpc from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';
import type { Event } from '../model/event.js';
import { protoService, protoType } from './proto.js';
import { decodeProtoEvent } from './event-decoder.js';
import { WireError, WireReader } from './lazy-reader.js';

export const SIGNATURE_SERVICE = 'tracee.sig.v1.SignatureService';
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// As event-decoder.ts reads messages: fields absent on the wire stay absent
// (a proto3 zero value is absent), 64-bit integers as decimal strings.
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, bytes: Buffer as unknown as undefined, defaults: false, arrays: true };

/** Encoder/decoder of one message type as plain objects (proto field names). */
export function messageCodec(typeName: string): { serialize: (o: Obj) => Buffer; deserialize: (b: Buffer) => Obj } {
  const type = protoType(typeName);
  return {
    serialize: (o) => Buffer.from(type.encode(type.fromObject(o)).finish()),
    deserialize: (b) => type.toObject(type.decode(b), TO_OBJECT),
  };
}

const identity = (b: Buffer): Buffer => b;

/**
 * A grpc-js service definition of one of our services. Methods listed in
 * `raw` carry Buffers both ways (their codec is the caller's); the others
 * carry plain objects through protobufjs.
 */
export function serviceDefinition(serviceName: string, raw: string[] = []): grpc.ServiceDefinition {
  const service = protoService(serviceName);
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of Object.values(service.methods)) {
    const isRaw = raw.includes(method.name);
    const req = isRaw ? { serialize: identity, deserialize: identity } : messageCodec(method.resolvedRequestType!.fullName.slice(1));
    const res = isRaw ? { serialize: identity, deserialize: identity } : messageCodec(method.resolvedResponseType!.fullName.slice(1));
    def[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: req.serialize,
      requestDeserialize: req.deserialize,
      responseSerialize: res.serialize,
      responseDeserialize: res.deserialize,
    } as grpc.MethodDefinition<unknown, unknown>;
  }
  return def as grpc.ServiceDefinition;
}

/** OnEvents carries raw bytes: the service walks EventBatch itself, the client frames it. */
export const signatureServiceDefinition = (): grpc.ServiceDefinition => serviceDefinition(SIGNATURE_SERVICE, ['OnEvents']);
export const healthServiceDefinition = (): grpc.ServiceDefinition => serviceDefinition(HEALTH_SERVICE);

// -- EventBatch ---------------------------------------------------------------

/** Where each event of an EventBatch lies: [start, end) pairs into the batch bytes. */
export function eventRanges(batch: Buffer): number[] {
  const r = new WireReader(batch, 0, batch.length);
  const ranges: number[] = [];
  while (r.pos < batch.length) {
    const tag = r.uint32();
    if (tag === 10) {
      const end = r.lenEnd();
      ranges.push(r.pos, end);
      r.pos = end;
    } else if (tag >>> 3 === 1) {
      throw new WireError('', `events (field 1) has wire type ${tag & 7}, expected 2 (a message), at byte ${r.pos}`);
    } else if (tag >>> 3 === 0) {
      throw new WireError('', `field number 0 at byte ${r.pos}`);
    } else {
      r.skip(tag & 7); // a field added after us: ignore, as protobuf does
    }
  }
  return ranges;
}

/** An EventBatch of already-encoded tracee.v1beta1.Event messages. */
export function encodeEventBatch(events: Uint8Array[]): Buffer {
  const w = protobuf.Writer.create();
  for (const e of events) w.uint32(10).bytes(e);
  return Buffer.from(w.finish());
}

// -- FindingBatch ---------------------------------------------------------------

// Written by FindingBatchWriter (finding-encoder.ts), finding by finding.

export interface FindingBatch {
  findings: Event[];
  events_processed: number;
  trigger_indexes: number[];
  events_unusable: number;
}

/** A FindingBatch from the wire, its findings as model events (throws DecodeError on bad bytes). */
export function decodeFindingBatch(bytes: Buffer): FindingBatch {
  const out: FindingBatch = { findings: [], events_processed: 0, trigger_indexes: [], events_unusable: 0 };
  const r = new WireReader(bytes, 0, bytes.length);
  while (r.pos < bytes.length) {
    const tag = r.uint32();
    if (tag === 10) {
      const end = r.lenEnd();
      out.findings.push(decodeProtoEvent(bytes.subarray(r.pos, end)));
      r.pos = end;
    } else if (tag === 16) out.events_processed = Number(r.varint64());
    else if (tag === 24) out.trigger_indexes.push(r.uint32());
    else if (tag === 26) {
      const end = r.lenEnd();
      while (r.pos < end) out.trigger_indexes.push(r.uint32());
    } else if (tag === 32) out.events_unusable = Number(r.varint64());
    else r.skip(tag & 7);
  }
  return out;
}
