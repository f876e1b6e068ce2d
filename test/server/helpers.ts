// Runs `bin/tracee-sig serve` as a child process for the tests, and builds
// EventBatches from JSON lines.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeJsonLine } from '../../src/decode/json.js';
import { encodeProtoEvent } from '../../src/wire/event-encoder.js';
import type { Event } from '../../src/model/event.js';
import { encodeEventBatch } from '../../src/wire/services.js';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const BIN = path.join(ROOT, 'bin', 'tracee-sig');

export function event(line: string): Event {
  return decodeJsonLine(line).event;
}

export function batchOf(lines: string[]): Buffer {
  return encodeEventBatch(lines.map((l) => encodeProtoEvent(event(l))));
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-sig-grpc-'));
}

export interface Served {
  proc: ChildProcess;
  socket: string;
  address: string; // unix:///...
  stderr(): string;
  /** Sends the signal and resolves with the exit code (null if killed). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Starts `serve` and resolves once it prints that it listens (or rejects with its stderr if it exits first). */
export function serve(dir: string, extra: string[] = [], socketName = 'sig.sock'): Promise<Served> {
  const socket = path.join(dir, socketName);
  // Text logs: these tests read serve's status lines as a person would (test/metrics reads the JSON ones).
  const args = ['serve', '--listen', `unix://${socket}`, '--log-format', 'text', ...extra];
  return run(args).then((r) => ({ ...r, socket, address: `unix://${socket}` }));
}

export function run(args: string[]): Promise<Omit<Served, 'socket' | 'address'>> {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (d: string) => (err += d));
  proc.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = () => {
      if (/: listening on (unix|tcp):/.test(err)) {
        proc.stderr!.off('data', onData);
        resolve({
          proc,
          stderr: () => err,
          exited,
          stop: (signal = 'SIGTERM') => {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
            return exited;
          },
        });
      }
    };
    proc.stderr!.on('data', onData);
    exited.then((code) => reject(new Error(`serve exited with ${code} before listening: ${err}`)));
  });
}

/** Runs a tracee-sig command to completion. */
export function runToEnd(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    proc.stdin.end(stdin ?? '');
    proc.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
