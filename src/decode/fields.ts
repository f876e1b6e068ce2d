// Typed reads from parsed JSON with errors that name the field.
import { DecodeError, describe } from './errors.js';

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function optString(o: Json, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new DecodeError(path + key, `expected a string, got ${describe(v)}`);
  return v;
}

export function optNumber(o: Json, key: string, path: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new DecodeError(path + key, `expected a number, got ${describe(v)}`);
  return v;
}

export function optBool(o: Json, key: string, path: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new DecodeError(path + key, `expected true or false, got ${describe(v)}`);
  return v;
}

export function optObject(o: Json, key: string, path: string): Json | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new DecodeError(path + key, `expected an object, got ${describe(v)}`);
  return v;
}

export function stringList(v: unknown, path: string): string[] {
  if (!Array.isArray(v)) throw new DecodeError(path, `expected an array of strings, got ${describe(v)}`);
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] !== 'string') throw new DecodeError(`${path}[${i}]`, `expected a string, got ${describe(v[i])}`);
  }
  return v as string[];
}

/**
 * The exact digits of a top-level integer field. JSON.parse rounds integers past
 * 2^53 (Tracee's nanosecond timestamps), so the digits are read from the raw
 * line, and trusted only when they are the number JSON.parse saw.
 */
const MARKERS = new Map<string, string>();

export function exactIntegerText(raw: string, key: string, parsed: number): string {
  let marker = MARKERS.get(key);
  if (marker === undefined) MARKERS.set(key, (marker = `"${key}":`));
  let at = raw.indexOf(marker);
  while (at >= 0) {
    let i = at + marker.length;
    while (raw.charCodeAt(i) === 0x20) i++;
    let j = i;
    if (raw.charCodeAt(j) === 0x2d) j++;
    while (j < raw.length && raw.charCodeAt(j) >= 0x30 && raw.charCodeAt(j) <= 0x39) j++;
    const digits = raw.slice(i, j);
    const next = raw.charCodeAt(j); // a fraction or exponent means it was not an integer literal
    if (digits.length > 0 && next !== 0x2e && next !== 0x65 && next !== 0x45 && Number(digits) === parsed) return digits;
    at = raw.indexOf(marker, at + 1);
  }
  return Number.isInteger(parsed) ? BigInt(parsed).toString() : String(Math.trunc(parsed));
}

/**
 * Deepest nesting accepted in one event. Tracee's events nest about 8 levels;
 * anything far deeper is hostile, and would overflow the stack in the decoders
 * and encoders that walk it (detected_from.parent, ancestors, struct values).
 */
export const MAX_NESTING = 64;

/** Throws a DecodeError when `value` nests objects or arrays deeper than MAX_NESTING. */
export function checkNesting(value: unknown): void {
  if (value !== null && typeof value === 'object' && !nestedWithin(value, MAX_NESTING)) throw new DecodeError('', `nested deeper than ${MAX_NESTING} levels`);
}

function nestedWithin(v: object, levels: number): boolean {
  // Hot path (every decoded line): primitives are tested inline, not by a call.
  if (levels === 0) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x !== null && typeof x === 'object' && !nestedWithin(x, levels - 1)) return false;
    }
    return true;
  }
  if (ArrayBuffer.isView(v)) return true;
  for (const k in v) {
    const x = (v as Json)[k];
    if (x !== null && typeof x === 'object' && !nestedWithin(x, levels - 1)) return false;
  }
  return true;
}
