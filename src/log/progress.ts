// A progress line for a person watching a long replay: on stderr, redrawn in
// place about once a second and erased at the end, so that nothing of it is
// left between the findings (stdout) and the summary.
import type { Counters } from '../host/counters.js';
import type { InputReport } from '../sources/replay.js';

export const PROGRESS_INTERVAL_MS = 1000;

export interface ProgressState {
  inputs: InputReport[];
  counters: Counters;
  /** Total bytes of the inputs when every one is a file of known size. */
  totalBytes?: number;
  elapsedMs: number;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** 1234567 -> "1,234,567". By hand: the first toLocaleString() loads ICU's data, some 18 ms of every replay. */
export function groupDigits(n: number): string {
  const digits = String(Math.abs(Math.round(n)));
  const head = digits.length % 3 || 3;
  let out = digits.slice(0, head);
  for (let i = head; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return n < 0 && out !== '0' ? `-${out}` : out;
}

export function perSecond(n: number, elapsedMs: number): number {
  return elapsedMs > 0 ? Math.round((n * 1000) / elapsedMs) : 0;
}

/** One line: bytes (of the total), lines, events/s, findings, and the time left when the size is known. */
export function progressLine(p: ProgressState): string {
  const bytes = p.inputs.reduce((sum, i) => sum + i.bytes, 0);
  const lines = p.inputs.reduce((sum, i) => sum + i.lines, 0);
  const parts = [
    p.totalBytes !== undefined ? `${formatBytes(bytes)} of ${formatBytes(p.totalBytes)}` : `${formatBytes(bytes)} read`,
    `${groupDigits(lines)} lines`,
    `${groupDigits(perSecond(p.counters.events, p.elapsedMs))} events/s`,
    `${p.counters.findings} findings`,
  ];
  if (p.totalBytes !== undefined && bytes > 0 && p.elapsedMs > 0) {
    parts.push(`about ${formatDuration(((p.totalBytes - bytes) * p.elapsedMs) / bytes)} left`);
  }
  return parts.join(', ');
}

/** Draws `line()` on `out` every interval until `stop()`, which erases it. */
export function showProgress(out: { write(s: string): unknown }, prefix: string, line: () => string): { stop(): void } {
  let drawn = false;
  const timer = setInterval(() => {
    out.write(`\r\x1b[K${prefix}${line()}`);
    drawn = true;
  }, PROGRESS_INTERVAL_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (drawn) out.write('\r\x1b[K');
    },
  };
}
