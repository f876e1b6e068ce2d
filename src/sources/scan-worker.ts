// The scan-ahead thread (see scan-ahead.ts): splits the chunks it is given, or
// reads from a file it is named, into lines, prefilters and scans them exactly
// as replay's own thread would, and answers each chunk with the chunk back, any
// line it had to join from two chunks, and one record per line saying what
// replay's thread is to do with it.
import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Prefilter } from '../decode/prefilter.js';
import { TraceeLineScanner } from '../decode/tracee-layout.js';
import { ioReason } from './io-errors.js';
import { LineSplitter } from './lines.js';
import { type Batch, CHUNK_BYTES, MAX_AHEAD, OVERSIZED, RECORD, SCANNED, sortLine, type ToWorker, type WorkerOptions } from './scan-ahead.js';

const options = workerData as WorkerOptions;
const prefilter = new Prefilter(options.selected ? new Set(options.selected) : undefined);
const scanner = new TraceeLineScanner({ deferNotedItems: true });
const nameIndex = new Map<string, number>();

let chunk = Buffer.alloc(0);
let extras: ArrayBuffer[] = [];
let records = new Int32Array(RECORD * 1024);
let count = 0;
let names: string[] = [];

function record(kind: number, lineNo: number, buf: Buffer, start: number, end: number): number {
  if ((count + 1) * RECORD > records.length) {
    const bigger = new Int32Array(records.length * 2);
    bigger.set(records);
    records = bigger;
  }
  let bufIndex = 0;
  if (buf !== chunk) {
    // A line joined from two chunks (offset 0 in its own buffer): sent along, copied into memory of its own.
    const own = new ArrayBuffer(buf.length);
    buf.copy(new Uint8Array(own));
    extras.push(own);
    bufIndex = extras.length;
  }
  const at = count++ * RECORD;
  records[at] = kind;
  records[at + 1] = lineNo;
  records[at + 2] = bufIndex;
  records[at + 3] = start;
  records[at + 4] = end;
  return at;
}

const newSplitter = (): LineSplitter => new LineSplitter(
  options.maxLineBytes,
  (buf, start, end, lineNo) => {
    const scanned = sortLine(prefilter, scanner, buf, start, end);
    if (typeof scanned === 'number') return void record(scanned, lineNo, buf, start, end);
    const at = record(SCANNED, lineNo, buf, start, end);
    const name = scanned.name;
    let index = nameIndex.get(name);
    if (index === undefined) {
      index = nameIndex.size;
      nameIndex.set(name, index);
      names.push(name);
    }
    records[at + 5] = index * 2 + (scanned.shape === 'legacy' ? 1 : 0);
    scanned.writeNotes(records, at + 6);
  },
  (lineNo, bytes) => void record(OVERSIZED, lineNo, chunk, bytes, bytes),
);
let splitter = newSplitter();

function answer(buffer: ArrayBuffer | undefined, lines: number, file?: Batch['file']): void {
  const batch: Batch = { chunk: buffer, extras, records: records.slice(0, count * RECORD), count, lines, names, skipped: [...prefilter.skippedByName()], file };
  parentPort!.postMessage(batch, [...(buffer ? [buffer] : []), ...extras, batch.records.buffer as ArrayBuffer]);
  extras = [];
  count = 0;
  names = [];
}

/** Batches of the file being read that replay's thread has not taken yet, and who waits for it to take one. */
let untaken = 0;
let taken: (() => void) | undefined;

/**
 * Reads a whole file here, chunk after chunk, so that this thread never waits for replay's
 * thread to hand it input (that thread hands on input only between the batches it dispatches,
 * and this one sat idle in the gaps). At most MAX_AHEAD batches are ahead of what it has taken.
 */
async function readFile(file: string): Promise<void> {
  let bytesRead = 0;
  let readError: string | undefined;
  let fd: number | undefined;
  try {
    for (;;) {
      const memory = new ArrayBuffer(CHUNK_BYTES);
      let n: number;
      try {
        fd ??= fs.openSync(file, 'r');
        n = fs.readSync(fd, new Uint8Array(memory), 0, CHUNK_BYTES, null);
      } catch (e) {
        readError = ioReason(e); // only reading: a fault of ours elsewhere fails the thread
        break;
      }
      if (n === 0) break;
      bytesRead += n;
      chunk = Buffer.from(memory, 0, n);
      splitter.push(chunk);
      chunk = Buffer.alloc(0);
      answer(memory, splitter.lines, { bytesRead, done: false });
      untaken++;
      while (untaken >= MAX_AHEAD) await new Promise<void>((resolve) => (taken = resolve));
    }
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  // The input's last line, as at the end of any input (also after a read error: the lines before it count).
  splitter.end();
  answer(undefined, splitter.lines, { bytesRead, done: true, readError });
  splitter = newSplitter();
}

parentPort!.on('message', (m: ToWorker) => {
  if (m.taken) {
    untaken--;
    const wake = taken;
    taken = undefined;
    wake?.();
  } else if (m.file !== undefined) {
    void readFile(m.file);
  } else if (m.chunk) {
    chunk = Buffer.from(m.chunk, 0, m.length);
    splitter.push(chunk);
    answer(m.chunk, splitter.lines);
    chunk = Buffer.alloc(0);
  } else {
    // End of an input: its last line, then a fresh splitter state for the next input.
    splitter.end();
    answer(undefined, splitter.lines);
    splitter = newSplitter();
  }
});
