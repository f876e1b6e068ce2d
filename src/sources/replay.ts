// Replays recorded Tracee event files (either JSON shape, plain or gzip, or
// stdin) through the signature host. Streams: memory stays flat whatever the
// input size. A bad line is counted and reported with file:line and the input
// goes on; only unreadable input stops a file.
import { io } from '../streams.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decodeJsonLine } from '../decode/json.js';
import { DecodeError, decodeFailureKind } from '../decode/errors.js';
import { Prefilter } from '../decode/prefilter.js';
import { TraceeLineScanner } from '../decode/tracee-layout.js';
import type { SignatureHost } from '../host/host.js';
import type { Counters } from '../host/counters.js';
import type { Event } from '../model/event.js';
import { ioReason } from './io-errors.js';
import { LineSplitter } from './lines.js';
import { BLANK, isGzip, type LineActions, plainFile, ScanAhead, ScanAheadFailure, SKIPPED, sortLine } from './scan-ahead.js';

export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

export interface ReplayOptions {
  maxLineBytes?: number;
  /**
   * Called after each input chunk: lets the caller apply output backpressure.
   * If it throws (the output failed), the replay stops and rethrows that error.
   */
  afterChunk?: () => Promise<void>;
  /** Aborting stops reading where it is (an interrupt): the result says where. */
  signal?: AbortSignal;
  /** Where each input's report is added as its reading starts (to watch progress); the result's `inputs`. */
  inputs?: InputReport[];
  /**
   * Called each time a run of lines has been handled (an input chunk's, or a batch from the
   * scan-ahead thread): lets the caller write out what they made of them, so that a recording
   * piped in slowly gets its findings as it goes.
   */
  linesHandled?: () => void;
  /** Scan lines on a second thread, ahead of dispatch (scan-ahead.ts); the results are the same. */
  scanAhead?: boolean;
}

/** One input as read so far (kept current while reading, for progress and the summary). */
export interface InputReport {
  label: string;
  /** Bytes read from the file or stdin (compressed bytes for gzip). */
  bytes: number;
  lines: number;
  /** Lines that are not blank, and lines that held an event (decoded, or skipped unselected). */
  nonBlank: number;
  events: number;
}

export interface ReplayResult {
  /** Inputs that could not be read (whole or in part), with the reason. */
  readErrors: string[];
  shapes: { current: number; legacy: number };
  inputs: InputReport[];
  /** Set when `signal` stopped the replay: "file:line", the last line read whole. */
  stoppedAt?: string;
}

export function emptyResult(): ReplayResult {
  return { readErrors: [], shapes: { current: 0, legacy: 0 }, inputs: [] };
}

/** Fails fast, before any output, when an input cannot be opened: what, where, and what to do. */
export function checkInputs(inputs: string[]): string | undefined {
  for (const input of inputs) {
    if (input === '-') continue;
    try {
      const st = fs.statSync(input);
      if (st.isDirectory()) return `${input}: is a directory, expected a recording file; give the files in it (e.g. ${path.join(input, '*.json')})`;
      // Opening a file is the honest test; a pipe or FIFO would block on open, so only its mode is checked.
      if (st.isFile()) fs.closeSync(fs.openSync(input, 'r'));
      else fs.accessSync(input, fs.constants.R_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const todo = code === 'EACCES' || code === 'EPERM' ? 'run as a user who may read it, or change its permissions' : 'check the path';
      return `${input}: cannot read: ${ioReason(e)}; ${todo}`;
    }
  }
  return undefined;
}

/** Chunks of a stream, gunzipped when the first bytes are gzip's magic number. */
async function* chunksOf(source: Readable): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  if (first.done) return;
  const head = first.value;
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
  }
  if (isGzip(head)) {
    const gunzip = zlib.createGunzip();
    const feeding = pipeline(Readable.from(all()), gunzip);
    feeding.catch(() => undefined); // the same error surfaces through the iteration below
    for await (const c of gunzip) yield c as Buffer;
    await feeding;
  } else {
    yield* all();
  }
}

/** Where reading stopped: "file:line", the last line read whole. */
export function stoppedAt(inputs: InputReport[]): string {
  const last = inputs.at(-1);
  return last ? `${last.label}:${last.lines}` : 'before the first input';
}

/** Receives each decoded event with where it came from (label, line number). */
export type EventSink = (event: Event, label: string, lineNo: number) => void;

/**
 * Streams recordings into `sink`, decoding only lines that may hold an event
 * named in `selected` (undefined = all). Lines, skipped events and malformed
 * lines are counted in `counters`.
 */
export async function readRecordings(
  inputs: string[],
  sink: EventSink,
  counters: Counters,
  selected: Set<string> | undefined,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  const prefilter = new Prefilter(selected);
  const scanner = new TraceeLineScanner();
  const result = emptyResult();
  if (options.inputs) result.inputs = options.inputs;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  // Skipped lines are counted in the prefilter (an integer add per line) and
  // moved into `counters` after each chunk, so metrics see them during the replay.

  // What is done with each line, whichever thread split and scanned it; `label` and `report` are the current input's.
  let label = '';
  let report: InputReport = { label, bytes: 0, lines: 0, nonBlank: 0, events: 0 };
  const actions: LineActions = {
    skipped: (count) => {
      counters.lines += count;
      report.nonBlank += count;
      report.events += count;
    },
    blank: (count) => {
      counters.lines += count;
    },
    scanned: (event, lineNo) => {
      counters.lines++;
      report.nonBlank++;
      result.shapes[event.shape]++;
      report.events++;
      sink(event, label, lineNo);
    },
    decode: (buf, start, end, lineNo) => {
      counters.lines++;
      report.nonBlank++;
      let decoded;
      try {
        decoded = decodeJsonLine(buf.toString('utf8', start, end));
      } catch (e) {
        counters.countMalformed(`${label}:${lineNo}`, e instanceof DecodeError ? e.message : `cannot decode: ${(e as Error).message}`, decodeFailureKind(e, 'json'));
        return;
      }
      result.shapes[decoded.shape]++;
      report.events++;
      sink(decoded.event, label, lineNo);
    },
    handled: () => {
      // After each chunk's lines, and each batch from the scan-ahead thread (those also come
      // while the reader waits for input: a slow pipe).
      report.lines = linesRead();
      countSkipped();
      options.linesHandled?.();
    },
    oversized: (lineNo, bytes) => {
      counters.lines++;
      report.nonBlank++;
      counters.countMalformed(`${label}:${lineNo}`, `line of ${bytes} bytes exceeds the maximum of ${maxLineBytes} bytes; skipped`, 'oversized');
    },
  };
  const ahead = options.scanAhead ? new ScanAhead(selected, maxLineBytes, actions) : undefined;
  let splitter: LineSplitter | undefined; // the current input's, when this thread splits
  const linesRead = (): number => (ahead ? ahead.lines : (splitter?.lines ?? 0));
  const countSkipped = (): void => {
    for (const [name, n] of ahead ? ahead.takeSkipped() : prefilter.takeSkipped()) counters.countEvent(name, n);
  };

  const readFailed = (reason: string): void => {
    result.readErrors.push(`${label}: read failed after line ${linesRead()}: ${reason}; the lines before it were replayed, the rest of this input was not`);
  };

  try {
    for (const input of inputs) {
      if (options.signal?.aborted) break;
      label = input === '-' ? '<stdin>' : input;
      report = { label, bytes: 0, lines: 0, nonBlank: 0, events: 0 };
      result.inputs.push(report);
      if (ahead && plainFile(input)) {
        // The thread reads the file itself, and this one waits for its lines.
        const read = await ahead.readFile(input, (bytesRead) => {
          report.bytes = bytesRead;
          return options.afterChunk?.() ?? Promise.resolve();
        }, options.signal);
        report.lines = linesRead();
        if (options.signal?.aborted) break;
        if (read.readError !== undefined) readFailed(read.readError);
        report.bytes = read.bytesRead;
        continue;
      }
      const lines = new LineSplitter(
        maxLineBytes,
        (buf, start, end, lineNo) => {
          const sorted = sortLine(prefilter, scanner, buf, start, end);
          if (typeof sorted !== 'number') actions.scanned(sorted, lineNo);
          else if (sorted === SKIPPED) actions.skipped(1);
          else if (sorted === BLANK) actions.blank(1);
          else actions.decode(buf, start, end, lineNo);
        },
        actions.oversized,
      );
      splitter = lines;
      const endOfInput = async (): Promise<void> => {
        if (ahead) return ahead.end();
        lines.end();
        actions.handled();
      };
      const source = input === '-' ? io().stdin : fs.createReadStream(input, { highWaterMark: 1 << 20 });
      let outputFailure: { error: unknown } | undefined;
      // An interrupt ends the read at once, even while waiting on an idle stdin.
      const stop = (): void => {
        source.destroy();
      };
      options.signal?.addEventListener('abort', stop);
      try {
        for await (const chunk of chunksOf(source)) {
          const length = chunk.length; // before the scan-ahead thread may take the chunk
          if (ahead) await ahead.push(chunk);
          else {
            lines.push(chunk);
            actions.handled();
          }
          report.bytes = input === '-' ? report.bytes + length : (source as fs.ReadStream).bytesRead;
          if (!options.afterChunk) continue;
          try {
            await options.afterChunk();
          } catch (error) {
            outputFailure = { error };
            break;
          }
        }
        if (!outputFailure) await endOfInput();
      } catch (e) {
        if (options.signal?.aborted) break;
        if (e instanceof ScanAheadFailure) throw e;
        await endOfInput();
        readFailed(ioReason(e));
      } finally {
        options.signal?.removeEventListener('abort', stop);
        report.lines = linesRead();
        if (input !== '-') (source as fs.ReadStream).destroy();
      }
      if (outputFailure) throw outputFailure.error;
    }
  } finally {
    ahead?.close();
  }
  countSkipped();
  if (options.signal?.aborted) result.stoppedAt = stoppedAt(result.inputs);
  return result;
}

export async function replay(inputs: string[], host: SignatureHost, options: ReplayOptions = {}): Promise<ReplayResult> {
  const counters = host.counters;
  const sink: EventSink = (event, label, lineNo) => {
    try {
      host.dispatch(event);
    } catch (e) {
      // A signature bug must not stop the input; Tracee logs OnEvent errors too.
      counters.countMalformed(`${label}:${lineNo}`, `signature error: ${(e as Error).message}`, 'signature_error');
    }
  };
  return readRecordings(inputs, sink, counters, host.selectedNames(), options);
}
