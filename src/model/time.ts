// Exact nanosecond timestamps. Tracee's are 19-digit nanosecond counts, past
// JavaScript's safe integers, so they are kept as (seconds, nanos) and
// converted from and to text without going through a float.
import type { Timestamp } from './event.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** "2026-03-02T10:15:30.123456789Z" (Go RFC3339Nano) -> Timestamp; undefined if not that form. */
export function parseRfc3339(text: string): Timestamp | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  if (!Number.isFinite(ms)) return undefined;
  let seconds = ms / 1000;
  if (!m[8]) seconds -= (m[9] === '-' ? -1 : 1) * (+m[10] * 3600 + +m[11] * 60);
  const nanos = m[7] ? Number(m[7].padEnd(9, '0')) : 0;
  return { seconds, nanos };
}

/** Timestamp -> Go RFC3339Nano in UTC: trailing fraction zeros removed. */
export function formatRfc3339Nano(ts: Timestamp): string {
  const date = new Date(ts.seconds * 1000).toISOString().slice(0, 19);
  if (ts.nanos === 0) return `${date}Z`;
  return `${date}.${String(ts.nanos).padStart(9, '0').replace(/0+$/, '')}Z`;
}

/** Decimal nanoseconds since the epoch (as legacy JSON prints) -> Timestamp. */
export function fromNanosText(digits: string): Timestamp | undefined {
  if (!/^-?\d{1,20}$/.test(digits)) return undefined;
  const negative = digits.startsWith('-');
  const abs = negative ? digits.slice(1) : digits;
  const padded = abs.padStart(10, '0');
  let seconds = Number(padded.slice(0, -9));
  let nanos = Number(padded.slice(-9));
  if (negative) {
    seconds = -seconds;
    if (nanos > 0) {
      seconds -= 1;
      nanos = 1e9 - nanos;
    }
  }
  return { seconds, nanos };
}

/** Timestamp -> decimal nanoseconds since the epoch, exact. */
export function toNanosText(ts: Timestamp): string {
  if (ts.seconds < 0) return (BigInt(ts.seconds) * 1000000000n + BigInt(ts.nanos)).toString();
  if (ts.seconds === 0) return String(ts.nanos);
  return `${ts.seconds}${String(ts.nanos).padStart(9, '0')}`;
}
