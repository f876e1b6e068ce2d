// The scan-ahead thread (see scan-ahead.ts): splits the chunks it is given, or
// reads from a file it is named, into lines, prefilters and scans them exactly
// as replay's own thread would, and answers each chunk with the chunk back (or,
// where few of a file's lines are to be read, copies of those), any line it had
// to join from two chunks, one record per line replay's thread is to do
// something with, and counts of the lines it only counts.
import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Prefilter } from '../decode/prefilter.js';
import { TraceeLineScanner } from '../decode/tracee-layout.js';
import { ioReason } from './io-errors.js';
import { LineSplitter } from './lines.js';
import { type Batch, BLANK, CHUNK_BYTES, countedLine, MAX_AHEAD, OVERSIZED, readLine, RECORD, SCANNED, SKIPPED, type ToWorker, type WorkerOptions } from './scan-ahead.js';

const options = workerData as WorkerOptions;
const prefilter = new Prefilter(options.selected ? new Set(options.selected) : undefined);
const scanner = new TraceeLineScanner({ deferNotedItems: true });
const nameIndex = new Map<string, number>();

let chunk = Buffer.alloc(0);
let extras: ArrayBuffer[] = [];
let records = new Int32Array(RECORD * 1024);
let count = 0;
let skippedLines = 0;
let blankLines = 0;
let names: string[] = [];

/**
 * Of a file this thread reads: while the lines to read are sparse, each is copied into `copies`,
 * the batch's own memory, and the chunk's memory is read into again. A fresh MiB for every read
 * cost more than the read itself (the kernel maps in and out every page: about 0.3 s of system
 * time a GB, against 0.1 s reading into the same memory). Dense chunks are handed over as they are.
 */
let copying = false;
let copies: Buffer | undefined;
let copied = 0;
/** Bytes of the lines to read in the chunk being split (what copying would copy). */
let toRead = 0;

/** The buffer index (0: the batch's own, 1…: extras) of a line to read, after copying it when copying. */
function place(buf: Buffer): number {
  if (buf === (copying ? copies : chunk)) return 0;
  // A line joined from two chunks (offset 0 in its own buffer): sent along, copied into memory of its own.
  const own = new ArrayBuffer(buf.length);
  buf.copy(new Uint8Array(own));
  extras.push(own);
  return extras.length;
}

function record(kind: number, lineNo: number, bufIndex: number, start: number, end: number): number {
  if ((count + 1) * RECORD > records.length) {
    const bigger = new Int32Array(records.length * 2);
    bigger.set(records);
    records = bigger;
  }
  const at = count++ * RECORD;
  records[at] = kind;
  records[at + 1] = lineNo;
  records[at + 2] = bufIndex;
  records[at + 3] = start;
  records[at + 4] = end;
  return at;
}

/** buf[start, end) copied to the end of `copies` (grown as needed: what was copied keeps its offsets). */
function copyLine(buf: Buffer, start: number, end: number): number {
  const n = end - start;
  if (!copies || copied + n > copies.length) {
    const bigger = Buffer.allocUnsafeSlow(Math.max(64 << 10, 2 * (copies?.length ?? 0), copied + n));
    copies?.copy(bigger, 0, 0, copied);
    copies = bigger;
  }
  buf.copy(copies, copied, start, end);
  copied += n;
  return copied - n;
}

const newSplitter = (): LineSplitter => new LineSplitter(
  options.maxLineBytes,
  (buf, start, end, lineNo) => {
    // Lines only counted are counted here: a record each cost as much as the prefilter.
    const counted = countedLine(prefilter, buf, start, end);
    if (counted === SKIPPED) return void skippedLines++;
    if (counted === BLANK) return void blankLines++;
    toRead += end - start;
    if (copying) {
      const at = copyLine(buf, start, end);
      [buf, start, end] = [copies!, at, at + end - start];
    }
    const scanned = readLine(prefilter, scanner, buf, start, end);
    if (typeof scanned === 'number') return void record(scanned, lineNo, place(buf), start, end);
    const at = record(SCANNED, lineNo, place(buf), start, end);
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
  (lineNo, bytes) => void record(OVERSIZED, lineNo, 0, bytes, bytes),
);
let splitter = newSplitter();

function answer(buffer: ArrayBuffer | undefined, lines: number, file?: Batch['file']): void {
  const batch: Batch = { chunk: buffer, extras, records: records.slice(0, count * RECORD), count, skippedLines, blankLines, lines, names, skipped: prefilter.takeSkipped(), file };
  parentPort!.postMessage(batch, [...(buffer ? [buffer] : []), ...extras, batch.records.buffer as ArrayBuffer]);
  extras = [];
  count = 0;
  skippedLines = 0;
  blankLines = 0;
  names = [];
}

/** Batches of the file being read that replay's thread has not taken yet, and who waits for it to take one. */
let untaken = 0;
let taken: (() => void) | undefined;

/** Chunks' memory to read into again (their lines were copied). */
const spare: ArrayBuffer[] = [];

/** The next chunk of a file, read on libuv's pool (as replay's own thread reads): n = 0 at its end. */
function readChunk(fd: number, position: number): Promise<{ memory: ArrayBuffer; n: number }> {
  const memory = spare.pop() ?? (Buffer.allocUnsafeSlow(CHUNK_BYTES).buffer as ArrayBuffer); // not zero-filled: the read fills it
  return new Promise((resolve, reject) => {
    fs.read(fd, new Uint8Array(memory), 0, CHUNK_BYTES, position, (e, n) => (e ? reject(e) : resolve({ memory, n })));
  });
}

/**
 * Reads a whole file here, chunk after chunk, so that this thread never waits for replay's
 * thread to hand it input (that thread hands on input only between the batches it dispatches,
 * and this one sat idle in the gaps). The next chunk is read (on libuv's pool) while this one is
 * split: with no selected line, reading synchronously here took 1.12-1.16 of the time of one
 * thread's replay, against 0.93 this way (paired whole processes). At most
 * MAX_AHEAD batches are ahead of what replay's thread has taken.
 */
async function readFile(file: string): Promise<void> {
  let bytesRead = 0;
  let readError: string | undefined;
  let fd: number | undefined;
  let next: Promise<{ memory: ArrayBuffer; n: number }> | undefined;
  toRead = 0; // (stdin or a pipe before may have counted some)
  try {
    try {
      fd = fs.openSync(file, 'r');
    } catch (e) {
      readError = ioReason(e);
    }
    if (fd !== undefined) next = readChunk(fd, 0);
    while (next) {
      let read: { memory: ArrayBuffer; n: number };
      try {
        read = await next;
      } catch (e) {
        readError = ioReason(e); // only reading: a fault of ours elsewhere fails the thread
        break;
      } finally {
        next = undefined;
      }
      if (read.n === 0) break;
      bytesRead += read.n;
      next = readChunk(fd!, bytesRead);
      chunk = Buffer.from(read.memory, 0, read.n);
      splitter.push(chunk);
      chunk = Buffer.alloc(0);
      if (copying) {
        spare.push(read.memory);
        answer(copied > 0 ? (copies!.buffer as ArrayBuffer) : undefined, splitter.lines, { bytesRead, done: false });
        copies = undefined;
        copied = 0;
      } else {
        answer(read.memory, splitter.lines, { bytesRead, done: false });
      }
      // Copy the next chunk's lines while those of this one took less than half of it.
      copying = toRead * 2 < read.n;
      toRead = 0;
      untaken++;
      while (untaken >= MAX_AHEAD) await new Promise<void>((resolve) => (taken = resolve));
    }
  } finally {
    // A read still under way must end before the file is closed (its descriptor could be reused).
    if (next) await next.catch(() => undefined);
    if (fd !== undefined) fs.closeSync(fd);
  }
  // The input's last line, as at the end of any input (also after a read error: the lines before it count).
  splitter.end();
  answer(copied > 0 ? (copies!.buffer as ArrayBuffer) : undefined, splitter.lines, { bytesRead, done: true, readError });
  splitter = newSplitter();
  copying = false;
  copies = undefined;
  copied = 0;
  toRead = 0;
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
