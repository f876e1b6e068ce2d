// Replay on two threads: a worker (scan-worker.ts) reads (a plain file), splits,
// prefilters and scans the lines of the chunks ahead while this thread dispatches
// the lines of the chunk before and writes the findings. Scanning is about half
// of replay's CPU, and it needs no state from dispatch, so the two overlap. Each chunk comes back
// with one record per line to read (what to do with it and, for a scanned line, the
// scanner's notes) and the counts of the lines only counted (skipped, blank), and this
// thread does with them exactly what a one-thread replay does with the same lines, in
// the same order: same counts, findings and errors, with their line numbers.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Prefilter } from '../decode/prefilter.js';
import { NOTES, ScannedEvent, type TraceeLineScanner } from '../decode/tracee-layout.js';

/** A line's record: what it is, then its line number, buffer, [start, end), name and shape, notes. */
export const SKIPPED = 0;
export const BLANK = 1;
export const SCANNED = 2;
export const DECODE = 3;
export const OVERSIZED = 4; // start = the line's size
export const RECORD = 6 + NOTES;

/** Input handed to the worker at a time (fs reads are 1 MiB; gunzip's 16 KiB pieces are gathered), or read by it. */
export const CHUNK_BYTES = 1 << 20;
/** Chunks handed on (or read by the worker) before waiting for the oldest: enough to keep the worker busy, and memory bounded. */
export const MAX_AHEAD = 6;

/** auto: inputs this long in all, at least. A second thread costs its start (about 50 ms). */
export const SCAN_AHEAD_MIN_BYTES = 16 << 20;

/**
 * --scan-thread auto: on when there is a second CPU, some event is not selected (else nothing is
 * skipped or scanned: every line is the full decoder's, on replay's thread), and the inputs are
 * plain files (the thread reads them itself) of SCAN_AHEAD_MIN_BYTES or more in all. Whole
 * processes, on against off, bench recordings: 0.6 of the wall time with every line a selected
 * event, 0.88-0.90 with one in twenty, 0.93 with none. Not for gzip, where gunzip on replay's
 * thread is the work (1.04 all-selected, 1.14 one in twenty), nor stdin and pipes (unknown length).
 */
export function worthScanningAhead(inputs: string[], selected: Set<string> | undefined): boolean {
  if (os.availableParallelism() < 2 || selected === undefined) return false;
  let bytes = 0;
  for (const input of inputs) {
    if (!plainFile(input)) return false;
    bytes += fs.statSync(input, { throwIfNoEntry: false })?.size ?? 0;
  }
  return bytes >= SCAN_AHEAD_MIN_BYTES;
}

/** Whether bytes start with gzip's magic number. */
export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** A regular file that is not gzip: the worker reads it itself (ScanAhead.readFile). */
export function plainFile(input: string): boolean {
  if (input === '-' || !fs.statSync(input, { throwIfNoEntry: false })?.isFile()) return false;
  const head = Buffer.alloc(2);
  try {
    const fd = fs.openSync(input, 'r');
    try {
      return !isGzip(head.subarray(0, fs.readSync(fd, head, 0, 2, 0)));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false; // read the usual way, which says what is wrong
  }
}

export interface WorkerOptions {
  selected: string[] | undefined;
  maxLineBytes: number;
}

/** A chunk of input, or (no chunk) the end of one input; or a plain file for the worker to read; or a batch of it taken. */
export interface ToWorker {
  chunk?: ArrayBuffer;
  length?: number;
  file?: string;
  taken?: true;
}

/** The worker's answer to a ToWorker. */
export interface Batch {
  chunk: ArrayBuffer | undefined;
  /** Lines joined from two chunks, each in memory of its own (buffer index 1, 2, …). */
  extras: ArrayBuffer[];
  /** One record per line that is scanned, decoded or oversized, in line order. */
  records: Int32Array;
  count: number;
  /** Lines of the batch only counted: events the prefilter skipped, and blank lines. */
  skippedLines: number;
  blankLines: number;
  /** Lines of the current input split so far. */
  lines: number;
  /** Event names first seen in this batch (a record's name is an index into all names so far). */
  names: string[];
  /** Lines skipped by the prefilter in this batch, by event name. */
  skipped: [string, number][];
  /** Of a file the worker reads: bytes read so far; done on its last batch, with the reason when a read failed. */
  file?: { bytesRead: number; done: boolean; readError?: string };
}

/** How a file read by the worker ended: its bytes, and the reason when a read failed part way. */
export interface FileRead {
  bytesRead: number;
  readError?: string;
}

/** What replay does with each line; called in line order. */
export interface LineActions {
  /** `count` lines only counted: events the prefilter skipped, blank lines (where among the others does not matter). */
  skipped(count: number): void;
  blank(count: number): void;
  scanned(event: ScannedEvent, lineNo: number): void;
  decode(buf: Buffer, start: number, end: number, lineNo: number): void;
  oversized(lineNo: number, bytes: number): void;
  /** After each batch of lines. */
  handled(): void;
}

/**
 * What replay does with the line buf[start, end), whichever thread sorts it: SKIPPED (the prefilter
 * counted it), BLANK, DECODE (the full decoder's), or the event the scanner read from it.
 */
export function sortLine(prefilter: Prefilter, scanner: TraceeLineScanner, buf: Buffer, start: number, end: number): ScannedEvent | number {
  return countedLine(prefilter, buf, start, end) ?? readLine(prefilter, scanner, buf, start, end);
}

/** SKIPPED (the prefilter counted it) or BLANK: a line only counted; undefined: a line to read (readLine). */
export function countedLine(prefilter: Prefilter, buf: Buffer, start: number, end: number): number | undefined {
  if (prefilter.skip(buf, start, end)) return SKIPPED;
  if (isBlank(buf, start, end)) return BLANK;
  return undefined;
}

/** A line countedLine left to read (the same prefilter, straight after): the event the scanner read, or DECODE. */
export function readLine(prefilter: Prefilter, scanner: TraceeLineScanner, buf: Buffer, start: number, end: number): ScannedEvent | number {
  // Lines in Tracee's layout are read straight from their bytes; any other goes to the full decoder.
  const name = prefilter.layoutName;
  return (name !== undefined && scanner.scan(buf, start, end, name, prefilter.layoutShape)) || DECODE;
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

const NO_BYTES = Buffer.alloc(0);

function ownsItsMemory(b: Buffer): b is Buffer & { buffer: ArrayBuffer } {
  return b.byteOffset === 0 && b.buffer instanceof ArrayBuffer && b.buffer.byteLength === b.length;
}

/** The worker failed (a bug, not the input's fault): the replay stops with it. */
export class ScanAheadFailure extends Error {}

export class ScanAhead {
  private readonly worker: Worker;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private closed = false;
  /** Messages handed to the worker and not answered yet. */
  private ahead = 0;
  private gathering: Buffer | undefined;
  private gathered = 0;
  private readonly names: string[] = [];
  /** The file the worker reads, while it does. */
  private reading: { afterBatch: (bytesRead: number) => Promise<void>; end: (read: FileRead | Error) => void } | undefined;
  /** Lines of the current input delivered so far. */
  lines = 0;
  /** Lines the worker's prefilter skipped, by event name, in the batches delivered since the last takeSkipped(). */
  private readonly skipped = new Map<string, number>();

  constructor(selected: Set<string> | undefined, maxLineBytes: number, private readonly actions: LineActions) {
    const options: WorkerOptions = { selected: selected && [...selected], maxLineBytes };
    this.worker = new Worker(path.join(__dirname, 'scan-worker.js'), { workerData: options });
    // Lines are delivered as soon as their batch is back, also while the reader waits for input
    // (a recording piped in slowly gets its findings without waiting for more of it).
    this.worker.on('message', (b: Batch) => {
      if (this.closed || this.failure) return;
      if (b.file) return this.fileBatch(b, b.file);
      this.ahead--;
      if (!this.delivered(b)) return;
      if (this.ahead === 0 && this.gathered > 0) this.handOn(); // the worker is idle: give it what has come in
      this.wakeUp();
    });
    this.worker.on('error', (e) => this.fail(new ScanAheadFailure(`the scan-ahead thread failed: ${e.message}`, { cause: e })));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new ScanAheadFailure(`the scan-ahead thread stopped (exit code ${code})`));
    });
  }

  /**
   * Hands input on: at once when the worker is idle, else gathered up to CHUNK_BYTES.
   * Waits while MAX_AHEAD messages are unanswered. A chunk with memory of its own may be
   * handed on as it is: the caller must not read it afterwards.
   */
  async push(chunk: Buffer): Promise<void> {
    this.throwIfFailed();
    if (this.gathered === 0 && chunk.length >= CHUNK_BYTES / 2 && ownsItsMemory(chunk)) {
      // A file's chunk (fs reads each into memory of its own): moved to the worker, not copied.
      this.post({ chunk: chunk.buffer, length: chunk.length }, [chunk.buffer]);
    } else {
      for (let from = 0; from < chunk.length; ) {
        this.gathering ??= Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, chunk.length - from));
        const n = chunk.copy(this.gathering, this.gathered, from);
        this.gathered += n;
        from += n;
        if (this.gathered === this.gathering.length) this.handOn();
      }
    }
    if (this.ahead === 0 && this.gathered > 0) this.handOn();
    while (this.ahead >= MAX_AHEAD) await this.answer();
  }

  /**
   * Replays a plain file (not gzip) that the worker reads itself. `afterBatch` is called with the
   * bytes read after each batch is delivered (the output's backpressure: the worker reads on when
   * it resolves; when it throws, that error ends the read). Resolves after the file's last line
   * was delivered, or at once when `signal` aborts.
   */
  readFile(file: string, afterBatch: (bytesRead: number) => Promise<void>, signal?: AbortSignal): Promise<FileRead> {
    this.throwIfFailed();
    return new Promise<FileRead>((resolve, reject) => {
      const stop = (): void => {
        this.reading = undefined;
        resolve({ bytesRead: 0 });
      };
      if (signal?.aborted) return stop();
      signal?.addEventListener('abort', stop, { once: true });
      this.reading = {
        afterBatch,
        end: (read) => {
          signal?.removeEventListener('abort', stop);
          this.reading = undefined;
          if (read instanceof Error) reject(read);
          else resolve(read);
        },
      };
      this.worker.postMessage({ file } satisfies ToWorker);
    });
  }

  /** A batch of the file the worker reads: delivered, then taken (after the caller's afterBatch). */
  private fileBatch(b: Batch, file: NonNullable<Batch['file']>): void {
    const reading = this.reading;
    if (!reading) return; // the read was stopped: the rest is not delivered
    if (!this.delivered(b)) return;
    if (file.done) return reading.end({ bytesRead: file.bytesRead, readError: file.readError });
    reading.afterBatch(file.bytesRead).then(
      () => this.worker.postMessage({ taken: true } satisfies ToWorker),
      (e: unknown) => reading.end(e instanceof Error ? e : new Error(String(e))),
    );
  }

  /** End of one input: its last line, and every line of it delivered. */
  async end(): Promise<void> {
    this.throwIfFailed();
    if (this.gathered > 0) this.handOn();
    this.post({});
    while (this.ahead > 0) await this.answer();
  }

  /** Skipped events by name delivered since the last call, to add to the counters. */
  takeSkipped(): [string, number][] {
    const out = [...this.skipped];
    this.skipped.clear();
    return out;
  }

  close(): void {
    this.closed = true;
    void this.worker.terminate();
  }

  /**
   * Hands what was gathered on: the gathering memory itself when mostly full, else a copy of it
   * (the worker is idle: gunzip's pieces of 16 KiB went on one by one, and a fresh MiB for each
   * cost more CPU than the replay).
   */
  private handOn(): void {
    const gathering = this.gathering!;
    let buffer = gathering.buffer as ArrayBuffer;
    if (this.gathered * 2 < gathering.length) {
      const copy = Buffer.allocUnsafeSlow(this.gathered);
      gathering.copy(copy, 0, 0, this.gathered);
      buffer = copy.buffer as ArrayBuffer;
    } else {
      this.gathering = undefined;
    }
    this.post({ chunk: buffer, length: this.gathered }, [buffer]);
    this.gathered = 0;
  }

  private post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
    this.ahead++;
  }

  /** Until the next answer (or failure). */
  private async answer(): Promise<void> {
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.throwIfFailed();
  }

  /** Delivers a batch's lines; false when that failed (a bug: the replay stops with it). */
  private delivered(b: Batch): boolean {
    try {
      this.deliver(b);
      return true;
    } catch (e) {
      this.fail(new ScanAheadFailure(`replay failed on a line the scan-ahead thread handed back: ${(e as Error).message}`, { cause: e }));
      return false;
    }
  }

  /** The first failure stops everything: whoever waits gets it. */
  private fail(e: Error): void {
    this.failure ??= e;
    this.reading?.end(this.failure);
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private deliver(b: Batch): void {
    for (const name of b.names) this.names.push(name);
    const bufs = [b.chunk ? Buffer.from(b.chunk) : NO_BYTES, ...b.extras.map((x) => Buffer.from(x))];
    const r = b.records;
    const a = this.actions;
    for (let i = 0; i < b.count; i++) {
      const at = i * RECORD;
      const lineNo = r[at + 1];
      switch (r[at]) {
        case SCANNED: {
          const nameAndShape = r[at + 5];
          const shape = nameAndShape & 1 ? 'legacy' : 'current';
          const buf = bufs[r[at + 2]];
          const event = ScannedEvent.fromNotes(this.names[nameAndShape >> 1], shape, buf, r[at + 3], r[at + 4], r, at + 6);
          // The items the worker left to decode here: one that does not decode sends the line to the full decoder.
          if (event.decodeNotedItems()) a.scanned(event, lineNo);
          else a.decode(buf, r[at + 3], r[at + 4], lineNo);
          break;
        }
        case DECODE:
          a.decode(bufs[r[at + 2]], r[at + 3], r[at + 4], lineNo);
          break;
        default:
          a.oversized(lineNo, r[at + 3]);
      }
    }
    if (b.skippedLines > 0) a.skipped(b.skippedLines);
    if (b.blankLines > 0) a.blank(b.blankLines);
    for (const [name, n] of b.skipped) this.skipped.set(name, (this.skipped.get(name) ?? 0) + n);
    this.lines = b.lines;
    a.handled();
  }
}
