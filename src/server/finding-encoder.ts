// Findings to tracee.v1beta1.Event bytes. A finding's workload is its
// trigger's; when the trigger came from the wire and its workload was not
// replaced, the workload's original bytes are written back as they came
// (they decode to the same workload, and keep fields newer than our proto).
import * as protobuf from 'protobufjs';
import type { Event } from '../model/event.js';
import { protoEventObject } from '../encode/protobuf.js';
import { WireWorkload } from '../decode/protobuf-wire.js';
import { protoType } from '../proto.js';

let eventType: protobuf.Type | undefined;

export function encodeFinding(finding: Event): Uint8Array {
  eventType ??= protoType('tracee.v1beta1.Event');
  const w = finding.workload;
  const raw = w instanceof WireWorkload ? w.raw : undefined;
  if (!raw) return eventType.encode(eventType.fromObject(protoEventObject(finding))).finish();
  const obj = protoEventObject({ ...finding, workload: undefined });
  const writer = eventType.encode(eventType.fromObject(obj));
  writer.uint32(42).bytes(raw); // field 5, workload: fields may come in any order on the wire
  return writer.finish();
}
