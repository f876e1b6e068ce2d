// Runs bin/tracee-sig as a child process for tests: collects its output, waits
// (with a bound) for what it prints, and is always killed at cleanup.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export const BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'tracee-sig');

/** How long a test waits for a child to print something before failing (a bound, not a measurement). */
const WAIT_MS = 15_000;

export class TraceeSig {
  readonly proc: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private running = true;
  private readonly listeners = new Set<() => void>();

  /** `stdin: 'pipe'` gives the test the child's stdin (this.proc.stdin) to write to. */
  constructor(args: string[], options: { stdin?: 'ignore' | 'pipe' } = {}) {
    this.proc = spawn(process.execPath, [BIN, ...args], { stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      this.changed();
    });
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      this.changed();
    });
    this.exited = new Promise((resolve) =>
      this.proc.on('close', (code, signal) => {
        this.running = false;
        this.changed();
        resolve({ code, signal });
      }),
    );
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }

  stdoutLines(): string[] {
    return this.stdout.split('\n').filter((l) => l !== '');
  }

  /** Resolves when `ready()` holds; fails if the child exits first or nothing happens within the bound. */
  waitFor(what: string, ready: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (ready()) return done();
        if (!this.running) done(new Error(`tracee-sig exited before ${what}\nstderr:\n${this.stderr}`));
      };
      const timer = setTimeout(() => done(new Error(`no ${what} within ${WAIT_MS} ms\nstderr:\n${this.stderr}`)), WAIT_MS);
      const done = (e?: Error): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (e) reject(e);
        else resolve();
      };
      this.listeners.add(check);
      check();
    });
  }

  waitForStderr(pattern: RegExp): Promise<void> {
    return this.waitFor(`stderr matching ${pattern}`, () => pattern.test(this.stderr));
  }

  waitForFindings(n: number): Promise<void> {
    return this.waitFor(`${n} finding line(s) on stdout`, () => this.stdoutLines().length >= n);
  }

  /** Sends a signal and waits (bounded) for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.proc.kill(signal);
    return this.exitWithin();
  }

  async exitWithin(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`tracee-sig did not exit within ${WAIT_MS} ms\nstderr:\n${this.stderr}`)), WAIT_MS);
    });
    try {
      return await Promise.race([this.exited, bound]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Cleanup: kill if still running. */
  kill(): void {
    if (this.running) this.proc.kill('SIGKILL');
  }
}

/** Runs tracee-sig to completion (for commands that end by themselves, like replay). */
export function runTraceeSig(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: WAIT_MS });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
