// The unix socket's path: a stale socket left by a dead server is replaced;
// a live server's socket, or anything that is not a socket, is refused. The
// socket is created with mode 0600 (umask set around bind, then chmod).
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ioReason } from '../sources/io-errors.js';

export class SocketPathError extends Error {
  /** True when another server holds the socket; false when the path cannot be used at all. */
  constructor(message: string, readonly inUse = false) {
    super(message);
  }
}

/** Makes `socketPath` free to bind, or throws SocketPathError saying why it cannot. */
export async function prepareSocketPath(socketPath: string): Promise<void> {
  const dir = path.dirname(socketPath);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socketPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new SocketPathError(`cannot create the socket ${socketPath}: ${ioReason(e)}; run as a user who may use ${dir}, or choose another --listen path`);
    if (!fs.existsSync(dir)) throw new SocketPathError(`cannot create the socket ${socketPath}: directory ${dir} does not exist; create it or choose another --listen path`);
    try {
      fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    } catch (err) {
      throw new SocketPathError(`cannot create the socket ${socketPath}: ${ioReason(err)} on ${dir}; run as a user who may write to it, or choose another --listen path`);
    }
    return;
  }
  if (!st.isSocket()) {
    throw new SocketPathError(`cannot create the socket ${socketPath}: it exists and is ${kindOf(st)}, not a socket; refusing to replace it (remove it or choose another --listen path)`);
  }
  const probe = await probeSocket(socketPath);
  if (probe === 'live') throw new SocketPathError(`cannot listen on ${socketPath}: another server is listening on this socket; refusing to replace it (stop it, or choose another --listen path)`, true);
  if (probe !== 'stale') throw new SocketPathError(`cannot listen on ${socketPath}: cannot tell whether the socket is in use (${probe}); refusing to replace it (remove it if no server uses it, or choose another --listen path)`);
  try {
    fs.unlinkSync(socketPath); // stale: nobody listens
  } catch (e) {
    throw new SocketPathError(`cannot create the socket ${socketPath}: cannot remove the stale socket there: ${ioReason(e)}; remove it as its owner, or choose another --listen path`);
  }
}

function kindOf(st: fs.Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isFile()) return 'a regular file';
  if (st.isFIFO()) return 'a named pipe';
  return 'a device or other special file';
}

/** 'live' when something accepts connections on the socket, 'stale' when nothing does, else the error. */
function probeSocket(socketPath: string): Promise<string> {
  return new Promise((resolve) => {
    const c = net.createConnection(socketPath);
    c.once('connect', () => {
      c.destroy();
      resolve('live');
    });
    c.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' || e.code === 'ENOENT' ? 'stale' : e.message));
  });
}

/** Runs `bind` with a umask that makes the socket 0600 from its creation, then enforces 0600. */
export async function bindPrivately<T>(socketPath: string, bind: () => Promise<T>): Promise<T> {
  const old = process.umask(0o177);
  let result: T;
  try {
    result = await bind();
  } finally {
    process.umask(old);
  }
  fs.chmodSync(socketPath, 0o600);
  return result;
}

/** Removes the socket file if it is still the one we bound (same inode). */
export function removeSocket(socketPath: string, inode: number | undefined): void {
  try {
    const st = fs.lstatSync(socketPath);
    if (st.isSocket() && (inode === undefined || st.ino === inode)) fs.unlinkSync(socketPath);
  } catch {
    // already gone
  }
}
