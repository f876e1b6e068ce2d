// The gRPC server: SignatureService and Health on one listen address (unix
// socket 0600, or TCP; optional TLS / mutual TLS), and an orderly stop.
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { DataSources, Signature } from '../model/signature.js';
import type { FindingWriter } from '../sources/finding-writer.js';
import { HealthService } from './health.js';
import { formatAddress, grpcTarget, type ListenAddress } from './listen-address.js';
import { healthServiceDefinition, signatureServiceDefinition } from './protocol.js';
import { SignatureService } from './service.js';
import { bindPrivately, prepareSocketPath, removeSocket } from './unix-socket.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** How long a stop waits for hosts to take their last answers before cutting streams. */
export const SHUTDOWN_GRACE_MS = 10_000;

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
  tls?: TlsFiles;
  findingsLog?: FindingWriter;
}

export class ServerError extends Error {}

export interface RunningServer {
  /** The address bound (with the real port when 0 was asked). */
  address: ListenAddress;
  service: SignatureService;
  health: HealthService;
  /** Stop accepting, answer what was received, close. Resolves when done; `forced` if the grace ran out. */
  stop(): Promise<{ forced: boolean }>;
}

function credentials(tls: TlsFiles | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const read = (file: string, what: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new ServerError(`cannot read ${what} ${file}: ${(e as Error).message}`);
    }
  };
  const ca = tls.ca ? read(tls.ca, '--tls-ca') : null;
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: read(tls.cert, '--tls-cert'), private_key: read(tls.key, '--tls-key') }], ca !== null);
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const maxBytes = o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const creds = credentials(o.tls);
  const server = new grpc.Server({
    'grpc.max_receive_message_length': maxBytes,
    'grpc.max_send_message_length': maxBytes,
  });
  const service = new SignatureService(o.signatures, o.findingsLog, o.dataSources);
  const health = new HealthService();
  server.addService(signatureServiceDefinition(), service.handlers());
  server.addService(healthServiceDefinition(), health.handlers());

  const bind = () =>
    new Promise<number>((resolve, reject) =>
      server.bindAsync(grpcTarget(o.listen), creds, (err, port) => (err ? reject(new ServerError(`cannot listen on ${formatAddress(o.listen)}: ${err.message}`)) : resolve(port))),
    );
  let address = o.listen;
  let socketInode: number | undefined;
  if (o.listen.kind === 'unix') {
    const socketPath = o.listen.path;
    try {
      await prepareSocketPath(socketPath);
    } catch (e) {
      throw new ServerError((e as Error).message);
    }
    await bindPrivately(socketPath, bind);
    socketInode = fs.statSync(socketPath).ino;
  } else {
    const port = await bind();
    address = { ...o.listen, port };
  }
  health.setStatus('SERVING');

  let stopping: Promise<{ forced: boolean }> | undefined;
  const stop = () =>
    (stopping ??= new Promise((resolve) => {
      health.setStatus('NOT_SERVING');
      health.endWatches();
      let forced = false;
      const grace = setTimeout(() => {
        forced = true;
        server.forceShutdown();
      }, SHUTDOWN_GRACE_MS);
      // Stop accepting first, then answer and end the open streams.
      server.tryShutdown(() => {
        clearTimeout(grace);
        service.host.close();
        if (address.kind === 'unix') removeSocket(address.path, socketInode);
        resolve({ forced });
      });
      service.shutdown();
    }));
  return { address, service, health, stop };
}
