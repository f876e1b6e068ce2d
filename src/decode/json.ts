// One JSON line of a Tracee recording -> Event, whichever shape it has.
import type { Event } from '../model/event.js';
import { decodeCurrent } from './current.js';
import { DecodeError, describe } from './errors.js';
import { checkNesting, isObject } from './fields.js';
import { decodeLegacy } from './legacy.js';

export type JsonShape = 'current' | 'legacy';

export interface DecodedLine {
  event: Event;
  shape: JsonShape;
}

/** Decode one line; throws DecodeError naming the field and problem. */
export function decodeJsonLine(line: string): DecodedLine {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (e) {
    throw new DecodeError('', `not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(o)) throw new DecodeError('', `expected a JSON object, got ${describe(o)}`);
  checkNesting(o);
  // Legacy lines name the event in "eventName"; current ones in "name" with a string timestamp.
  if ('eventName' in o) return { event: decodeLegacy(o, line), shape: 'legacy' };
  if ('name' in o) return { event: decodeCurrent(o), shape: 'current' };
  throw new DecodeError('', 'not a Tracee event: no "eventName" (legacy) or "name" (current) key');
}
