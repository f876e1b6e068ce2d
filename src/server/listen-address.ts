// Listen / dial addresses: unix:///path (or unix:/path) and tcp://HOST:PORT.
// TCP without a host means 127.0.0.1: the service is local unless told otherwise.
import * as path from 'node:path';

export type ListenAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export const DEFAULT_LISTEN = 'unix:///var/run/tracee-sig.sock';

/** Parse an address; throws Error with a message saying what is wrong and what is accepted. */
export function parseAddress(text: string): ListenAddress {
  const accepted = 'expected unix:///PATH or tcp://HOST:PORT (HOST defaults to 127.0.0.1)';
  if (text.startsWith('unix:')) {
    let p = text.slice('unix:'.length);
    if (p.startsWith('//')) p = p.slice(2); // unix:///abs -> /abs ; unix://rel is not a URI form we accept
    if (p === '') throw new Error(`address "${text}" has no socket path; ${accepted}`);
    if (text.startsWith('unix://') && !p.startsWith('/')) throw new Error(`address "${text}": unix:// must be followed by an absolute path (unix:///run/x.sock); ${accepted}`);
    return { kind: 'unix', path: path.resolve(p) };
  }
  if (text.startsWith('tcp:')) {
    let rest = text.slice('tcp:'.length);
    if (rest.startsWith('//')) rest = rest.slice(2);
    let host = '127.0.0.1';
    let portText = rest;
    const v6 = /^\[([0-9a-fA-F:.]+)\]:(.*)$/.exec(rest);
    if (v6) {
      host = v6[1];
      portText = v6[2];
    } else if (rest.includes(':')) {
      const at = rest.lastIndexOf(':');
      if (at > 0) host = rest.slice(0, at);
      portText = rest.slice(at + 1);
    }
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new Error(`address "${text}": port "${portText}" is not a number from 0 to 65535; ${accepted}`);
    if (host.includes('/') || host.includes(' ')) throw new Error(`address "${text}": "${host}" is not a host name or IP address; ${accepted}`);
    return { kind: 'tcp', host, port: Number(portText) };
  }
  throw new Error(`address "${text}" is not understood; ${accepted}`);
}

/** The target grpc-js binds or dials. */
export function grpcTarget(a: ListenAddress): string {
  if (a.kind === 'unix') return `unix:${a.path}`;
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export function formatAddress(a: ListenAddress): string {
  if (a.kind === 'unix') return `unix://${a.path}`;
  return `tcp://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export function isLoopback(a: ListenAddress): boolean {
  return a.kind === 'unix' || LOOPBACK.test(a.host);
}
