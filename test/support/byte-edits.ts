// Random edits of encoded bytes (flip, insert, delete), shared by the protobuf property tests.
import fc from 'fast-check';

export type ByteEdit = ['flip' | 'insert' | 'delete', number, number];

export const byteEdits = (maxLength: number) =>
  fc.array(fc.tuple(fc.constantFrom('flip' as const, 'insert' as const, 'delete' as const), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength });

/** The bytes after the edits, each at a position taken modulo the current length. */
export function applyEdits(bytes: Uint8Array, edits: ByteEdit[]): Buffer {
  let b = Buffer.from(bytes);
  for (const [op, at, v] of edits) {
    const i = at % (b.length + 1);
    if (op === 'flip' && i < b.length) b[i] ^= v || 1;
    else if (op === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([v]), b.subarray(i)]);
    else if (op === 'delete') b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
  }
  return b;
}
