// Findings out as JSON lines, in large writes, honouring the stream's backpressure.
// A write error (disk full, closed pipe) is kept and surfaces from ready()/flush(),
// so the caller can stop and say so instead of losing findings silently.
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Event } from '../model/event.js';
import type { SignatureMetadata } from '../model/signature.js';
import { formatFinding, OutputShape } from '../encode/findings.js';

const FLUSH_AT = 64 * 1024;

export class FindingWriter {
  private buffered: string[] = [];
  private bufferedChars = 0;
  private blocked = false;
  private waiting: (() => void)[] = [];
  written = 0;
  /** The destination's first write error: findings from then on are lost. */
  error: Error | undefined;

  constructor(private readonly out: Writable, private readonly shape: OutputShape) {
    out.on('drain', () => this.unblock());
    // Without a listener a write error would crash the process with a stack trace.
    out.on('error', (e: Error) => {
      this.error ??= e;
      this.unblock();
    });
  }

  private unblock(): void {
    this.blocked = false;
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  write(finding: Event, meta: SignatureMetadata): void {
    const line = formatFinding(finding, meta, this.shape) + '\n';
    this.buffered.push(line);
    this.bufferedChars += line.length;
    this.written++;
    if (this.bufferedChars >= FLUSH_AT) this.flushBuffer();
  }

  /** Writes what is buffered now (backpressure is for ready() to wait on). */
  flushBuffer(): void {
    if (this.buffered.length === 0 || this.error) return;
    const text = this.buffered.join('');
    this.buffered = [];
    this.bufferedChars = 0;
    if (!this.out.write(text)) this.blocked = true;
  }

  /** Resolves once the destination can take more: call between input chunks. Throws once a write failed. */
  async ready(): Promise<void> {
    if (this.blocked && !this.error) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.error) throw this.error;
  }

  async flush(): Promise<void> {
    this.flushBuffer();
    await this.ready();
  }

  /**
   * Flush, then wait until the destination has taken everything (ending it when
   * `end`, e.g. an output file; stdout is left open). Throws the write error, if any.
   */
  async finish(end: boolean): Promise<void> {
    await this.flush();
    if (end) {
      this.out.end();
      await finished(this.out).catch((e: Error) => (this.error ??= e));
    } else {
      await new Promise<void>((resolve) => this.out.write('', () => resolve()));
    }
    if (this.error) throw this.error;
  }
}
