// A JSON writer for values built in a fixed key order, with one addition:
// RawNumber writes integer digits as they are, for Tracee's 19-digit values
// that a JavaScript number would round.
export class RawNumber {
  constructor(readonly digits: string) {}
}

export function writeJson(value: unknown): string {
  if (value instanceof RawNumber) return value.digits;
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(writeJson).join(',')}]`;
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  if (typeof value === 'object') {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      parts.push(`${JSON.stringify(k)}:${writeJson(v)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value);
}
