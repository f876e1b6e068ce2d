// Splits a byte stream into lines without decoding them, and never holds more
// than `maxLineBytes` of one line: a longer line is dropped as it streams past
// and reported with its line number and size.
/** A line is buf[start, end): no per-line Buffer is made on the hot path. */
export type LineHandler = (buf: Buffer, start: number, end: number, lineNo: number) => void;
export type OversizedHandler = (lineNo: number, bytes: number) => void;

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skippingBytes = -1; // >= 0 while dropping an oversized line
  private lineNo = 0;

  constructor(private readonly maxLineBytes: number, private readonly onLine: LineHandler, private readonly onOversized: OversizedHandler) {}

  get lines(): number {
    return this.lineNo;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      this.finishLine(chunk, start, nl);
      start = nl + 1;
    }
    if (start < chunk.length) this.keep(chunk, start, chunk.length);
  }

  /** End of input: a last line without a newline still counts. */
  end(): void {
    if (this.pendingBytes > 0 || this.skippingBytes >= 0) this.finishLine(Buffer.alloc(0), 0, 0);
  }

  private keep(chunk: Buffer, from: number, to: number): void {
    const n = to - from;
    if (this.skippingBytes >= 0) {
      this.skippingBytes += n;
      return;
    }
    if (this.pendingBytes + n > this.maxLineBytes) {
      this.skippingBytes = this.pendingBytes + n;
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    // Copy: the caller may reuse the chunk's memory.
    this.pending.push(Buffer.from(chunk.subarray(from, to)));
    this.pendingBytes += n;
  }

  private finishLine(chunk: Buffer, from: number, to: number): void {
    this.lineNo++;
    if (this.skippingBytes >= 0) {
      const size = this.skippingBytes + (to - from);
      this.skippingBytes = -1;
      this.onOversized(this.lineNo, size);
      return;
    }
    let line = chunk;
    if (this.pendingBytes > 0) {
      if (this.pendingBytes + (to - from) > this.maxLineBytes) {
        const size = this.pendingBytes + (to - from);
        this.pending = [];
        this.pendingBytes = 0;
        this.onOversized(this.lineNo, size);
        return;
      }
      this.pending.push(chunk.subarray(from, to));
      line = Buffer.concat(this.pending);
      this.pending = [];
      this.pendingBytes = 0;
      from = 0;
      to = line.length;
    }
    if (to - from > this.maxLineBytes) {
      this.onOversized(this.lineNo, to - from);
      return;
    }
    if (to > from && line[to - 1] === 13) to--;
    this.onLine(line, from, to, this.lineNo);
  }
}
