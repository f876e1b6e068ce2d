// Keeps signature state across restarts of the service: loaded once at start,
// written every few seconds and at shutdown. Writes are atomic (a temporary
// file in the same directory, flushed, then renamed over the old one), so a
// crash leaves the previous file or the new one, never half of one. A file
// that is not ours or cannot be read back is moved aside with a warning and
// the service starts empty: state is an optimisation, never a reason to stop.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Signature } from '../model/signature.js';

export const STATE_FORMAT = 'tracee-sig-state';
export const STATE_VERSION = 1;

export interface StateFileOptions {
  intervalSeconds?: number;
  warn?: (message: string) => void;
}

export type LoadOutcome = 'restored' | 'absent' | 'moved-aside' | 'unreadable';

export class StateFile {
  private timer?: NodeJS.Timeout;
  private writing?: Promise<void>;
  private failing = false;
  readonly counts = { saves: 0, saveFailures: 0, restoredSignatures: 0 };
  private readonly warn: (message: string) => void;

  constructor(readonly file: string, readonly signatures: Signature[], readonly options: StateFileOptions = {}) {
    this.warn = options.warn ?? (() => undefined);
  }

  /** Restore every signature that has state in the file. Never throws. */
  load(): LoadOutcome {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
      this.warn(`state file ${this.file}: cannot read (${(e as Error).message}); starting with empty state`);
      return 'unreadable';
    }
    let problem: string | undefined;
    try {
      const doc = JSON.parse(text) as Record<string, unknown>;
      if (doc === null || typeof doc !== 'object' || doc.format !== STATE_FORMAT) problem = `not a ${STATE_FORMAT} file`;
      else if (doc.version !== STATE_VERSION) problem = `state version ${JSON.stringify(doc.version)}, expected ${STATE_VERSION}`;
      else {
        const states = doc.signatures as Record<string, unknown> | undefined;
        if (states === null || typeof states !== 'object') problem = 'no "signatures" object';
        else {
          for (const s of this.signatures) {
            const state = states[s.metadata.eventName];
            if (state === undefined || !s.restore) continue;
            try {
              s.restore(state);
              this.counts.restoredSignatures++;
            } catch (e) {
              problem = `${s.metadata.eventName}: ${(e as Error).message}`;
              break;
            }
          }
        }
      }
    } catch (e) {
      problem = `not JSON (${(e as Error).message})`;
    }
    if (problem === undefined) return 'restored';
    const aside = `${this.file}.bad-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      fs.renameSync(this.file, aside);
      this.warn(`state file ${this.file}: ${problem}; moved aside to ${aside}, starting with empty state`);
    } catch (e) {
      this.warn(`state file ${this.file}: ${problem}; could not move it aside (${(e as Error).message}), starting with empty state; it will be overwritten`);
    }
    return 'moved-aside';
  }

  /** Write periodically until stop(). The timer does not keep the process alive. */
  start(): void {
    if (this.timer) return;
    const ms = (this.options.intervalSeconds ?? 5) * 1000;
    this.timer = setInterval(() => void this.save(), ms);
    this.timer.unref();
  }

  /** Write now (after any write in progress). Never throws; failures are warned about once per streak. */
  async save(): Promise<void> {
    while (this.writing) await this.writing;
    this.writing = this.write().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  /** Stop the timer and write one last time. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.save();
  }

  private async write(): Promise<void> {
    const states: Record<string, unknown> = {};
    for (const s of this.signatures) if (s.snapshot) states[s.metadata.eventName] = s.snapshot();
    const text = JSON.stringify({ format: STATE_FORMAT, version: STATE_VERSION, savedAt: new Date().toISOString(), signatures: states });
    const tmp = path.join(path.dirname(this.file), `.${path.basename(this.file)}.tmp-${process.pid}`);
    try {
      const handle = await fs.promises.open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.promises.rename(tmp, this.file);
      this.counts.saves++;
      if (this.failing) this.warn(`state file ${this.file}: writing works again`);
      this.failing = false;
    } catch (e) {
      this.counts.saveFailures++;
      await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
      if (!this.failing) this.warn(`state file ${this.file}: cannot write (${(e as Error).message}); will retry, state is kept in memory`);
      this.failing = true;
    }
  }
}
