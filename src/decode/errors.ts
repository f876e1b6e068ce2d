/** Input that cannot be used: says which field and why, for "file:line: field: reason". */
export class DecodeError extends Error {
  constructor(readonly field: string, readonly problem: string) {
    super(field ? `${field}: ${problem}` : problem);
    this.name = 'DecodeError';
  }
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? `a string "${value.slice(0, 40)}…"` : `the string "${value}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/**
 * The class of a decoding failure, for counting: the bytes were not the
 * encoding at all (no field named: `json` or `protobuf`), or a field was
 * missing or wrong (`field`).
 */
export function decodeFailureKind(e: unknown, encoding: 'json' | 'protobuf'): 'json' | 'protobuf' | 'field' {
  return e instanceof DecodeError && e.field !== '' ? 'field' : encoding;
}
