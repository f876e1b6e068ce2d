// Text from an input (event names, file names, values) shown to a person must
// not drive their terminal: control characters are shown escaped instead.
// JSON outputs need none of this: JSON.stringify escapes what JSON requires.

// C0 controls but tab, DEL, C1 controls, and the bidirectional overrides and
// isolates that reorder what a terminal shows.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escape(c: string): string {
  const code = c.charCodeAt(0);
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every control character written as an escape (one line stays one line). */
export function printable(text: string): string {
  return text.replace(CONTROL, escape);
}
