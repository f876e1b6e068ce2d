// The standard streams a command uses. bin/tracee-sig runs with the process's
// own; tests run commands in-process with streams of their own (main(argv,
// streams)), so each command reads io() rather than process.stdout & co.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Readable, Writable } from 'node:stream';

export interface Streams {
  stdin: Readable & { fd?: number };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
}

const current = new AsyncLocalStorage<Streams>();

/** The streams of the command running now: the process's own unless main() was given others. */
export function io(): Streams {
  return current.getStore() ?? { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
}

/** Runs `fn` (and everything it starts) with `streams` as io(). */
export function withStreams<T>(streams: Streams, fn: () => T): T {
  return current.run(streams, fn);
}
