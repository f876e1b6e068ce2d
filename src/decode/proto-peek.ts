// Reads a few top-level fields of a serialized protobuf message straight from
// its bytes, without decoding the rest: the hot path of `attach` uses it to
// skip events no signature selected, and to unwrap StreamEventsResponse
// without copying. Sound by construction: it walks every top-level field, so a
// repeated scalar field gives its last value (proto3's rule), and anything it
// cannot walk (bad varint, groups, lengths past the end) answers undefined,
// which sends the message to the full decoder and its precise error.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

/** Event.name is field 3; StreamEventsResponse.event is field 1. */
const EVENT_NAME_FIELD = 3;
const RESPONSE_EVENT_FIELD = 1;

/**
 * The byte range [start, end) of the last length-delimited top-level field
 * `field` and how often it occurred, or undefined when the bytes cannot be
 * walked or lack the field.
 */
function lastLengthDelimited(bytes: Uint8Array, field: number): { start: number; end: number; count: number } | undefined {
  let pos = 0;
  let found: { start: number; end: number; count: number } | undefined;
  const len = bytes.length;
  while (pos < len) {
    // tag varint (field numbers fit in 29 bits: at most 5 bytes)
    let tag = 0;
    let shift = 0;
    for (;;) {
      if (pos >= len || shift > 28) return undefined;
      const b = bytes[pos++];
      tag += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
      shift += 7;
    }
    const wire = tag & 7;
    const number = Math.floor(tag / 8);
    if (wire === WIRE_VARINT) {
      for (let i = 0; ; i++) {
        if (pos >= len || i >= 10) return undefined;
        if (bytes[pos++] < 0x80) break;
      }
    } else if (wire === WIRE_FIXED64) {
      pos += 8;
    } else if (wire === WIRE_FIXED32) {
      pos += 4;
    } else if (wire === WIRE_LEN) {
      let size = 0;
      shift = 0;
      for (;;) {
        if (pos >= len || shift > 28) return undefined;
        const b = bytes[pos++];
        size += (b & 0x7f) * 2 ** shift;
        if (b < 0x80) break;
        shift += 7;
      }
      if (pos + size > len) return undefined;
      if (number === field) found = { start: pos, end: pos + size, count: (found?.count ?? 0) + 1 };
      pos += size;
    } else {
      return undefined; // groups (3, 4) and unknown wire types: leave it to the decoder
    }
    if (pos > len) return undefined;
  }
  return found;
}

/**
 * The serialized Event inside a StreamEventsResponse (a view, no copy); undefined
 * if absent, unreadable, or split in several parts (which protobuf merges: the
 * full decoder handles that rare case).
 */
export function eventBytesOfResponse(response: Buffer): Buffer | undefined {
  const range = lastLengthDelimited(response, RESPONSE_EVENT_FIELD);
  return range && range.count === 1 ? response.subarray(range.start, range.end) : undefined;
}

/** Event.name read from a serialized tracee.v1beta1.Event; undefined when it cannot be read cheaply. */
export function eventNameOfProto(event: Buffer): string | undefined {
  const range = lastLengthDelimited(event, EVENT_NAME_FIELD);
  return range && event.toString('utf8', range.start, range.end);
}
