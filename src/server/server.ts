// The gRPC server: SignatureService and Health on one listen address (unix
// socket 0600, or TCP; optional TLS / mutual TLS), and an orderly stop.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { DataSources, Signature } from '../model/signature.js';
import type { FindingWriter } from '../sources/finding-writer.js';
import { HealthService } from './health.js';
import { formatAddress, grpcTarget, type ListenAddress } from './listen-address.js';
import { SignatureService } from './service.js';
import { localTransport, threadTransport, TransportFailure, type TlsMaterial } from './transport.js';
import { ioReason } from '../sources/io-errors.js';
import { bindPrivately, prepareSocketPath, removeSocket, SocketPathError } from './unix-socket.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** How long a stop waits for hosts to take their last answers before cutting streams. */
export const SHUTDOWN_GRACE_MS = 10_000;
/** OnEvents streams served at once; each may hold up to 17 received batches (see README). */
export const DEFAULT_MAX_STREAMS = 256;

export interface TlsFiles {
  cert: string;
  key: string;
  ca?: string; // set: clients must present a certificate signed by it (mutual TLS)
}

export interface ServerOptions {
  listen: ListenAddress;
  signatures: Signature[];
  /** Data sources the host hands signatures (e.g. the hostname resolver). */
  dataSources?: DataSources;
  maxMessageBytes?: number;
  /** OnEvents streams open at once; a stream past it is refused with RESOURCE_EXHAUSTED. */
  maxStreams?: number;
  tls?: TlsFiles;
  findingsLog?: FindingWriter;
  /** Run grpc-js on a thread of its own, so reading batches overlaps with processing them (transport.ts). */
  grpcThread?: boolean;
  /** Where grpc-js's log lines from that thread go (on this thread, grpc.setLogger's logger has them). */
  grpcLog?: (line: string) => void;
}

/**
 * Why the server could not start, for the exit code: a TLS file that cannot be
 * read, or that is not what it should be; an address another server holds (or
 * that is not this host's); a socket path or port this user may not create.
 */
export type StartFailure = 'tls-unreadable' | 'tls-invalid' | 'address-unavailable' | 'cannot-create';

export class ServerError extends Error {
  constructor(message: string, readonly failure: StartFailure = 'address-unavailable') {
    super(message);
  }
}

export interface RunningServer {
  /** The address bound (with the real port when 0 was asked). */
  address: ListenAddress;
  service: SignatureService;
  health: HealthService;
  /** Stop accepting, answer what was received, close. Resolves when done; `forced` if the grace ran out. */
  stop(): Promise<{ forced: boolean }>;
  /** Rejects if serving fails by itself (the gRPC thread died); never resolves. */
  failed: Promise<never>;
}

/** The TLS files read and checked, with what is wrong said in the user's terms. */
function readTls(files: TlsFiles | undefined): TlsMaterial | undefined {
  if (!files) return undefined;
  const read = (file: string, option: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new ServerError(`cannot read ${option} ${file}: ${ioReason(e)}; check the path and that this user may read it`, 'tls-unreadable');
    }
  };
  const cert = read(files.cert, '--tls-cert');
  const key = read(files.key, '--tls-key');
  const ca = files.ca ? read(files.ca, '--tls-ca') : null;
  // Node's TLS says precisely what is wrong (not PEM, key not matching the certificate) before grpc-js would at bind.
  try {
    tls.createSecureContext({ cert, key, ca: ca ?? undefined });
  } catch (e) {
    throw new ServerError(
      `TLS files unusable (--tls-cert ${files.cert}, --tls-key ${files.key}${files.ca ? `, --tls-ca ${files.ca}` : ''}): ${(e as Error).message}; give a PEM certificate, its PEM private key${files.ca ? ' and a PEM CA certificate' : ''}`,
      'tls-invalid',
    );
  }
  return { cert, key, ca };
}

/** A bind error in the user's terms, with what to do. */
function bindError(listen: ListenAddress, err: Error): ServerError {
  const where = formatAddress(listen);
  const code = /\b(E[A-Z]+)\b/.exec(err.message)?.[1];
  switch (code) {
    case 'EADDRINUSE':
      return new ServerError(`cannot listen on ${where}: another process already listens there; stop it or choose another --listen address`);
    case 'EADDRNOTAVAIL':
      return new ServerError(`cannot listen on ${where}: ${listen.kind === 'tcp' ? listen.host : 'the address'} is not an address of this host; choose one it has (e.g. tcp://127.0.0.1:PORT)`);
    case 'EACCES':
    case 'EPERM':
      return new ServerError(
        listen.kind === 'unix'
          ? `cannot create the socket ${listen.path}: permission denied; run as a user who may write to ${path.dirname(listen.path)}, or choose another --listen path`
          : `cannot listen on ${where}: permission denied (ports below 1024 need privileges); choose a port from 1024 up`,
        'cannot-create',
      );
    default:
      return new ServerError(`cannot listen on ${where}: ${err.message}`);
  }
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const transportOptions = { maxBytes: o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, tls: readTls(o.tls) };
  const service = new SignatureService(o.signatures, o.findingsLog, o.dataSources);
  const health = new HealthService();
  const services = { signature: limitStreams(service, o.maxStreams ?? DEFAULT_MAX_STREAMS), health: health.handlers() };
  const transport = o.grpcThread ? threadTransport(transportOptions, services, o.grpcLog ?? (() => undefined)) : localTransport(transportOptions, services);
  const bind = () => transport.bind(grpcTarget(o.listen)).catch((err: Error) => Promise.reject(err instanceof TransportFailure ? err : bindError(o.listen, err)));
  let address = o.listen;
  let socketInode: number | undefined;
  try {
    if (o.listen.kind === 'unix') {
      const socketPath = o.listen.path;
      try {
        await prepareSocketPath(socketPath);
      } catch (e) {
        if (e instanceof SocketPathError) throw new ServerError(e.message, e.inUse ? 'address-unavailable' : 'cannot-create');
        throw e;
      }
      await bindPrivately(socketPath, bind);
      socketInode = fs.statSync(socketPath).ino;
    } else {
      const port = await bind();
      address = { ...o.listen, port };
    }
  } catch (e) {
    await transport.close();
    throw e;
  }
  health.setStatus('SERVING');

  // Waits for `step`, or not at all once the transport has failed (nothing would answer).
  const unlessFailed = (step: Promise<unknown>) => Promise.race([step, transport.failed]).catch(() => undefined);
  let stopping: Promise<{ forced: boolean }> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      health.setStatus('NOT_SERVING');
      health.endWatches();
      let forced = false;
      const grace = setTimeout(() => {
        forced = true;
        transport.forceShutdown();
      }, SHUTDOWN_GRACE_MS);
      // Stop accepting first, then answer everything received and end the open streams.
      const ended = new Promise<void>((resolve) => transport.tryShutdown(resolve));
      await unlessFailed(transport.drain());
      service.shutdown();
      await unlessFailed(ended);
      clearTimeout(grace);
      service.host.close();
      await transport.close();
      if (address.kind === 'unix') removeSocket(address.path, socketInode);
      return { forced };
    })());
  return { address, service, health, stop, failed: transport.failed };
}

/**
 * The service's handlers with OnEvents refusing a stream past `maxStreams`
 * (RESOURCE_EXHAUSTED): each open stream may hold buffered batches, so their
 * number is what bounds the server's memory.
 */
function limitStreams(service: SignatureService, maxStreams: number): grpc.UntypedServiceImplementation {
  const handlers = service.handlers();
  const onEvents = handlers.OnEvents as (call: grpc.ServerDuplexStream<Buffer, Buffer>) => void;
  handlers.OnEvents = (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
    if (service.stats.streamsActive >= maxStreams) {
      call.emit('error', {
        code: grpc.status.RESOURCE_EXHAUSTED,
        details: `tracee-sig serves at most ${maxStreams} OnEvents streams at once (--max-streams) and all are open; retry when one ends`,
      });
      return;
    }
    onEvents(call);
  };
  return handlers;
}
