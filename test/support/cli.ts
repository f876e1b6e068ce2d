// Runs bin/tracee-sig as a child process, as a user would.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..', '..');
export const BIN = path.join(ROOT, 'bin', 'tracee-sig');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

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
