// The processes the gRPC benchmarks measure: `tracee-sig serve` (grpc-js on a
// thread of its own, the default on 2 CPUs or more), `serve --grpc-thread off`
// and the transport floor, each on its own unix socket in a temporary directory.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Node options that widen the servers' HTTP/2 receive windows (see http2-window.ts). */
export const WIDE_WINDOW = ['--require', path.join(__dirname, 'http2-window.js')];

function startServer(args: string[], ready: RegExp): Promise<ChildProcess> {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    proc.stderr!.on('data', (d) => {
      err += d;
      if (ready.test(err)) resolve(proc);
    });
    proc.once('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
}

export interface BenchServers {
  floorSocket: string;
  serveSocket: string;
  /** `serve --grpc-thread off`: grpc-js and the signatures on one thread. */
  oneThreadSocket: string;
  stop(): void;
}

/** Starts the floor and both `serve`s (with `nodeOptions`, e.g. WIDE_WINDOW); `stop()` kills them and removes the directory. */
export async function startBenchServers(nodeOptions: string[] = []): Promise<BenchServers> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-sig-bench-'));
  const floorSocket = path.join(dir, 'floor.sock');
  const serveSocket = path.join(dir, 'serve.sock');
  const oneThreadSocket = path.join(dir, 'one-thread.sock');
  const started: ChildProcess[] = [];
  const stop = () => {
    for (const p of started) p.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    started.push(await startServer([...nodeOptions, path.join(__dirname, 'floor-server.js'), floorSocket], /listening/));
    const serve = [...nodeOptions, path.join(ROOT, 'bin', 'tracee-sig'), 'serve'];
    started.push(await startServer([...serve, '--grpc-thread', 'on', '--listen', `unix://${serveSocket}`], /listening on/));
    started.push(await startServer([...serve, '--grpc-thread', 'off', '--listen', `unix://${oneThreadSocket}`], /listening on/));
  } catch (e) {
    stop();
    throw e;
  }
  return { floorSocket, serveSocket, oneThreadSocket, stop };
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function machine(): { cpus: number; model: string | undefined; node: string } {
  return { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version };
}

export const loadText = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
