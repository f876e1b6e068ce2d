// Findings out as JSON lines, in large writes, honouring the stream's backpressure.
import type { Writable } from 'node:stream';
import type { Event } from '../model/event.js';
import type { SignatureMetadata } from '../model/signature.js';
import { formatFinding, OutputShape } from '../encode/findings.js';

const FLUSH_AT = 64 * 1024;

export class FindingWriter {
  private buffered: string[] = [];
  private bufferedChars = 0;
  private blocked = false;
  written = 0;

  constructor(private readonly out: Writable, private readonly shape: OutputShape) {
    out.on('drain', () => (this.blocked = false));
  }

  write(finding: Event, meta: SignatureMetadata): void {
    const line = formatFinding(finding, meta, this.shape) + '\n';
    this.buffered.push(line);
    this.bufferedChars += line.length;
    this.written++;
    if (this.bufferedChars >= FLUSH_AT) this.flushBuffer();
  }

  private flushBuffer(): void {
    if (this.buffered.length === 0) return;
    const text = this.buffered.join('');
    this.buffered = [];
    this.bufferedChars = 0;
    if (!this.out.write(text)) this.blocked = true;
  }

  /** Resolves once the destination can take more: call between input chunks. */
  async ready(): Promise<void> {
    if (!this.blocked) return;
    await new Promise<void>((resolve) => this.out.once('drain', resolve));
  }

  async flush(): Promise<void> {
    this.flushBuffer();
    await this.ready();
  }
}
