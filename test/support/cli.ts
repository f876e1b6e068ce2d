// Runs tracee-sig command lines for tests: in-process through the CLI's own
// main(argv, streams) (what bin/tracee-sig runs, without a process start per
// test), or as a child process where a test needs one (signals, exit, fds).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { main } from '../../src/cli.js';

export const ROOT = path.join(__dirname, '..', '..', '..');
export const BIN = path.join(ROOT, 'bin', 'tracee-sig');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A stream that keeps what is written to it. */
class Collected extends Writable {
  private readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    done();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Runs a command line in this process, `input` as its stdin; resolves when the command returns. */
export async function runCli(args: string[], input?: string | Buffer): Promise<Run> {
  const stdout = new Collected();
  const stderr = new Collected();
  const stdin = Readable.from(input === undefined ? [] : [Buffer.from(input)]);
  const status = await main(args, { stdin, stdout, stderr });
  return { status, stdout: stdout.text(), stderr: stderr.text() };
}

/**
 * Running as root, permission checks are made as this unprivileged user (root
 * may open anything) — when that user can run this checkout at all: a clone
 * inside a private directory (mktemp's 0700, a home directory) cannot be.
 */
export const OTHER_USER: { uid: number; gid: number } | undefined = (() => {
  if (process.getuid?.() !== 0) return undefined;
  const user = { uid: 65534, gid: 65534 };
  const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(BIN)}, require('fs').constants.R_OK)`], { ...user, timeout: 10_000 });
  return probe.status === 0 ? user : undefined;
})();
/** Root, but no other user can run this checkout: checks that need one cannot be made here. */
export const NO_OTHER_USER_AS_ROOT = process.getuid?.() === 0 && OTHER_USER === undefined;

/** Runs bin/tracee-sig as a child process, as a user would (for what needs a process of its own). */
export function tracee(args: string[], input?: string | Buffer): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', cwd: ROOT, maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(): { dir: string; file(name: string, content: string | Buffer): string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-sig-test-'));
  return {
    dir,
    file(name, content) {
      const p = path.join(dir, name);
      fs.writeFileSync(p, content);
      return p;
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const REFERENCE_EXAMPLES = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'reference-examples.jsonl'), 'utf8').trim().split('\n');
/** A real recording made by tracee-ebpf in 2022 (see fixtures/README.md). */
export const UPSTREAM_RECORDING = path.join(ROOT, 'fixtures', 'tracee-2022-host-recording.legacy.jsonl.gz');
