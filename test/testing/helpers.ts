// Temp folders of case files for tests, removed afterwards.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const BIN = path.join(REPO, 'bin', 'tracee-sig');
export const CASES = path.join(REPO, 'fixtures', 'cases');

export class TempDir {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-sig-cases-'));

  write(name: string, text: string | Buffer): string {
    const file = path.join(this.dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/tracee-sig as a child process (bounded by a timeout, so never left behind). */
export function tracee(args: string[], cwd = REPO): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Two events in a started container: an exec that shows the API server, then a connect to it. */
export const KUBECTL_EVENTS = `
    - name: sched_process_exec
      timestamp: "2026-03-02T10:16:02.401Z"
      workload: &pod
        process: {thread: {name: kubectl}}
        container: {id: "0907ef86d7be", started: true}
      data: [{name: env, str_array: {value: [KUBERNETES_SERVICE_HOST=10.96.0.1]}}]
    - name: security_socket_connect
      timestamp: "2026-03-02T10:16:02.5Z"
      workload: *pod
      data: [{name: remote_addr, sockaddr: {sa_family: AF_INET, sin_addr: 10.96.0.1, sin_port: 443}}]`;
