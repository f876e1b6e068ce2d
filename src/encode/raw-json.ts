// JSON text from values built in a fixed key order, by JSON.stringify (fast),
// with one addition: rawNumber() marks integer digits to be written as they
// are, for Tracee's 19-digit values that a JavaScript number would round.
// A marker is a string carrying a per-process random nonce, so no input string
// can pass for one.
import { randomBytes } from 'node:crypto';

const NONCE = randomBytes(8).toString('hex');
const MARK = `\u0001${NONCE}:`;
const MARKED = new RegExp(`"\\\\u0001${NONCE}:(-?\\d+)\\\\u0001"`, 'g');
const MARK_IN_TEXT = `\\u0001${NONCE}:`;

/** Integer digits to write unquoted, exactly. */
export function rawNumber(digits: string): string {
  if (!/^-?\d+$/.test(digits)) throw new Error(`not integer digits: ${digits}`);
  return `${MARK}${digits}\u0001`;
}

export function writeJson(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes(MARK_IN_TEXT) ? text.replace(MARKED, '$1') : text;
}
