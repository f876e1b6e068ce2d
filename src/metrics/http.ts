// The --metrics HTTP endpoint: /metrics (Prometheus text format), /healthz
// (the process is alive) and /readyz (the command is doing its job).
import * as http from 'node:http';
import * as net from 'node:net';
import type { Metrics } from './metrics.js';

export interface MetricsAddress {
  host: string;
  port: number;
}

/** When --metrics gives only ":PORT": local unless told otherwise. */
export const DEFAULT_METRICS_HOST = '127.0.0.1';

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (host 127.0.0.1); port 0 picks a free
 * one. Throws an Error saying what is wrong and what is accepted.
 */
export function parseMetricsAddress(text: string): MetricsAddress {
  const accepted = 'expected HOST:PORT, [IPv6]:PORT or :PORT (e.g. 127.0.0.1:9464, 0.0.0.0:9464, :9464)';
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([^:]*)$/.exec(text);
  if (!m) return fail(`"${text}" is not an address; ${accepted}`);
  const [, v6, name, portText] = m;
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return fail(`"${text}": port "${portText}" is not a number from 0 to 65535; ${accepted}`);
  let host: string;
  if (v6 !== undefined) {
    if (!net.isIPv6(v6)) return fail(`"${text}": "${v6}" is not an IPv6 address; ${accepted}`);
    host = v6;
  } else if (name === '') {
    host = DEFAULT_METRICS_HOST;
  } else {
    if (!net.isIPv4(name) && (!HOSTNAME.test(name) || /^[\d.]+$/.test(name))) return fail(`"${text}": "${name}" is not an IPv4 address or host name; ${accepted}`);
    host = name;
  }
  return { host, port: Number(portText) };
}

function fail(message: string): never {
  throw new Error(message);
}

export function formatMetricsAddress(a: MetricsAddress): string {
  return `http://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

export class MetricsServerError extends Error {}

export interface MetricsServer {
  /** The address bound (with the real port when 0 was asked). */
  address: MetricsAddress;
  close(): Promise<void>;
}

const PATHS = 'try /metrics, /healthz or /readyz';

/** Listens on `address`; rejects with a MetricsServerError (one line) when it cannot. */
export async function startMetricsServer(address: MetricsAddress, metrics: Metrics): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, contentType = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return reply(405, `method ${req.method} not allowed; use GET\n`);
    }
    if (path === '/healthz') return reply(200, 'ok\n');
    if (path === '/readyz') {
      const r = metrics.ready();
      return r.ready ? reply(200, 'ready\n') : reply(503, `not ready: ${r.reason.replace(/\s*\n\s*/g, ' ')}\n`);
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => reply(200, text, metrics.registry.contentType),
        (e: Error) => reply(500, `cannot collect metrics: ${e.message}\n`),
      );
      return;
    }
    reply(404, `no ${path} here; ${PATHS}\n`);
  });
  // Scrapers and probes send small requests: bound what a slow client can hold.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'the port is in use' : e.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : e.code === 'EADDRNOTAVAIL' ? 'no such local address' : e.message;
      reject(new MetricsServerError(`cannot serve --metrics on ${formatMetricsAddress(address)}: ${why}`));
    });
    server.listen(address.port, address.host, () => resolve());
  });
  // The endpoint never keeps the process alive by itself: the command's own work does.
  server.unref();
  const bound = server.address() as net.AddressInfo;
  return {
    address: { host: address.host, port: bound.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // keep-alive scrapers must not hold the process
      }),
  };
}
