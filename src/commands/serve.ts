// `tracee-sig serve`: the signatures as a gRPC SignatureService.
import { io } from '../streams.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { openSignatures } from '../config/signatures.js';
import { logSummary } from '../log/summary.js';
import { hostSummary } from '../host/summary.js';
import type { Readiness } from '../metrics/metrics.js';
import { FindingWriter } from '../sources/finding-writer.js';
import { DEFAULT_LISTEN, formatAddress, isLoopback, parseAddress } from '../server/listen-address.js';
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_STREAMS, SHUTDOWN_GRACE_MS, ServerError, startServer, type StartFailure, type TlsFiles } from '../server/server.js';
import { TransportFailure } from '../server/transport.js';
import { ioReason } from '../sources/io-errors.js';
import { CONFIG_HELP, CONFIG_OPTIONS, configOrExit } from './config-option.js';
import { loggerFromOptions, metricsAddressFromOptions, OPERATE_OPTIONS, operateHelp, startMetrics } from './operate-options.js';
import { EXIT, oneOf, parseOptions, positiveInt, UsageError } from './usage.js';

export const SERVE_HELP = `Usage: tracee-sig serve [options]

Serves the signatures over gRPC as tracee.sig.v1.SignatureService
(proto/tracee/sig/v1/signature.proto), with the standard grpc.health.v1.Health
service answering SERVING once ready. One signature state is shared by every
stream: a host that reconnects keeps what the signatures learned.

Options:
      --listen ADDR            unix:///PATH or tcp://HOST:PORT (HOST defaults to
                               127.0.0.1; port 0 picks a free one)
                               (default ${DEFAULT_LISTEN})
      --findings-log FILE|-    also append every finding to FILE (or stdout) as a
                               JSON line (Tracee main's detection event)
      --max-message-bytes N    largest message taken or sent (default ${DEFAULT_MAX_MESSAGE_BYTES});
                               a larger one fails its stream with RESOURCE_EXHAUSTED
      --max-streams N          OnEvents streams open at once (default ${DEFAULT_MAX_STREAMS});
                               one more is refused with RESOURCE_EXHAUSTED
      --tls-cert FILE          serve TLS with this certificate (PEM) ...
      --tls-key FILE           ... and this private key (PEM)
      --tls-ca FILE            require client certificates signed by this CA (mutual TLS)
      --grpc-thread WHEN       run gRPC (grpc-js, HTTP/2) on a thread of its own,
                               so the next batch is read while one is processed:
                               auto (the default: on 2 CPUs or more), on, off;
                               answers, limits and shutdown are the same, but
                               a message over --max-message-bytes may cut off
                               the answers still being made on its stream
${CONFIG_HELP}
${operateHelp(31)}
  -h, --help                   this help

The unix socket is created with mode 0600; a stale socket at the path is
replaced, anything else there is refused. Bytes that are not an EventBatch fail
their stream alone with INVALID_ARGUMENT; events without a name, or that no
signature can read, are counted (FindingBatch.events_unusable), not fatal.

SIGTERM or SIGINT: stop accepting, answer every batch already received, end
the streams with UNAVAILABLE, log a summary and exit 0 (after at most
${SHUTDOWN_GRACE_MS / 1000} s waiting for hosts to read their last answers). With --metrics,
/readyz answers 200 while listening and 503 before and while stopping.

Exit status: 0 stopped by a signal; 2 bad option, configuration or TLS file
content; 3 the address (gRPC or --metrics) is in use or not this host's; 66 a
--config or TLS file cannot be read; 73 the socket (or a privileged port) or
--findings-log cannot be created; 74 writing --findings-log failed while
serving (findings were still answered to the hosts); 70 internal error (also
when the gRPC thread fails).
`;

export async function serveCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    listen: { type: 'string' },
    'findings-log': { type: 'string' },
    'max-message-bytes': { type: 'string' },
    'max-streams': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-ca': { type: 'string' },
    'grpc-thread': { type: 'string' },
    ...CONFIG_OPTIONS,
    ...OPERATE_OPTIONS,
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io().stdout.write(SERVE_HELP);
    return EXIT.OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  let listen;
  try {
    listen = parseAddress(values.listen ?? DEFAULT_LISTEN);
  } catch (e) {
    throw new UsageError(`--listen: ${(e as Error).message}`);
  }
  const maxMessageBytes = positiveInt(values['max-message-bytes'], '--max-message-bytes', DEFAULT_MAX_MESSAGE_BYTES);
  const maxStreams = positiveInt(values['max-streams'], '--max-streams', DEFAULT_MAX_STREAMS);
  const tls = tlsFiles(values['tls-cert'], values['tls-key'], values['tls-ca']);
  const grpcThread = oneOf(values['grpc-thread'], ['auto', 'on', 'off'] as const, '--grpc-thread', 'auto');
  const log = loggerFromOptions(values, 'serve');
  const metricsAddress = metricsAddressFromOptions(values);
  const choice = configOrExit(values, 'serve', log);
  if (typeof choice === 'number') return choice;

  let logStream: NodeJS.WritableStream | undefined;
  const logPath = values['findings-log'];
  if (logPath === '-') logStream = io().stdout;
  else if (logPath !== undefined) {
    try {
      const fd = fs.openSync(logPath, 'a', 0o600);
      logStream = fs.createWriteStream('', { fd });
    } catch (e) {
      log.error(`cannot open --findings-log ${logPath}: ${ioReason(e)}; choose a path in a writable directory`);
      return EXIT.CANT_CREATE;
    }
  }
  const findingsLog = logStream ? new FindingWriter(logStream as fs.WriteStream, 'json') : undefined;
  // The log is a copy: when it fails (disk full, reader gone) findings still go to the hosts; say so once, exit 74 at the end.
  let logError: Error | undefined;
  logStream?.on('error', (e: Error) => {
    if (logError) return;
    logError = e;
    io().stderr.write(
      `tracee-sig serve: cannot write --findings-log ${logPath === '-' ? 'stdout' : logPath}: ${ioReason(e)}; findings are still answered to the hosts but no longer logged; fix the destination and restart\n`,
    );
  });

  const endpoint = await startMetrics(metricsAddress, log);
  if (endpoint instanceof Error) {
    log.error(endpoint.message);
    return EXIT.UNAVAILABLE;
  }
  let readiness: Readiness = { ready: false, reason: 'starting the gRPC server' };
  endpoint?.metrics.setReadiness(() => readiness);

  const runtime = openSignatures(choice.config, { warn: (m) => log.warn(m), extraApiServers: choice.apiServers, definitions: choice.definitions });
  const signatures = runtime.signatures;
  runtime.start();
  // grpc-js logs on stderr itself: its lines get our prefix, and the bind failure it logs is said once, below, in full.
  const grpcLine = (m: unknown) => void (String(m).startsWith('No address added') || io().stderr.write(`tracee-sig serve: grpc: ${String(m)}\n`));
  grpc.setLogger({ error: grpcLine, info: grpcLine, debug: grpcLine });
  const ownThread = grpcThread === 'on' || (grpcThread === 'auto' && os.availableParallelism() >= 2);
  let server;
  try {
    server = await startServer({
      listen,
      signatures,
      maxMessageBytes,
      maxStreams,
      tls,
      findingsLog,
      dataSources: runtime.dataSources,
      grpcThread: ownThread,
      grpcLog: grpcLine,
    });
  } catch (e) {
    if (!(e instanceof ServerError || e instanceof TransportFailure)) throw e;
    await runtime.stop();
    log.error(e instanceof ServerError ? e.message : `${e.message}; ${THREAD_FAILED}`);
    await endpoint?.server.close();
    return e instanceof ServerError ? START_FAILURE_EXIT[e.failure] : EXIT.INTERNAL;
  }
  // No event can arrive between startServer resolving and these lines (no I/O
  // runs in between), so the latency histogram sees every dispatch.
  endpoint?.metrics.watchHost(server.service.host);
  endpoint?.metrics.watchStreams(server.service.stats);
  // Before saying it listens: a signal sent as soon as that line is read must stop it in order.
  const signalled = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const where = formatAddress(server.address);
  if (!isLoopback(server.address) && !tls) {
    log.warn(`listening on ${where} without TLS: anyone who can reach it can send events and read findings`);
  }
  const ids = signatures.map((s) => `${s.metadata.id} ${s.metadata.eventName}`);
  log.info(`listening on ${where} (${ids.join(', ')}${tls ? (tls.ca ? ', mutual TLS' : ', TLS') : ''}; gRPC on ${ownThread ? 'a thread of its own' : 'the signatures\' thread'})`, {
    address: where,
    signatures: ids,
    tls: tls ? (tls.ca ? 'mutual' : 'server') : 'off',
    grpcThread: ownThread,
  });
  readiness = { ready: true };

  let failure: Error | undefined;
  const signal = await Promise.race([signalled, server.failed.catch((e: Error) => ((failure = e), 'failure'))]);
  readiness = { ready: false, reason: `stopping (${signal})` };
  if (failure) log.error(`${failure.message}; stopping (hosts must reconnect to another instance); ${THREAD_FAILED}`);
  else log.info(`${signal}: stopping; answering the batches already received`, { signal });
  const { forced } = await server.stop();
  await runtime.stop();
  if (findingsLog && !logError) await findingsLog.flush().catch(() => undefined); // a failure is reported by the 'error' listener
  if (logStream && logStream !== io().stdout && !logError) await new Promise<void>((resolve) => (logStream as fs.WriteStream).end(resolve));

  const st = server.service.stats;
  const host = server.service.host;
  log.info(`stopped: ${st.streamsOpened} stream(s), ${st.batchesAnswered} batch(es) answered, ${st.eventsReceived} events received, ${st.eventsUnusable} unusable`, {
    streams: st.streamsOpened,
    batchesAnswered: st.batchesAnswered,
    eventsReceived: st.eventsReceived,
    eventsUnusable: st.eventsUnusable,
  });
  if (forced) log.warn(`hosts did not read their last answers within ${SHUTDOWN_GRACE_MS / 1000} s; their streams were cut`);
  logSummary(log, { ...hostSummary(host), signatureCounters: { ...host.signatureCounters(), ...runtime.counters() } });
  await endpoint?.server.close();
  if (failure) return EXIT.INTERNAL;
  return logError ? EXIT.IO_ERROR : EXIT.OK;
}

const THREAD_FAILED = 'this is a bug, please report it; --grpc-thread off serves without that thread';

const START_FAILURE_EXIT: Record<StartFailure, number> = {
  'tls-unreadable': EXIT.NO_INPUT,
  'tls-invalid': EXIT.USAGE,
  'address-unavailable': EXIT.UNAVAILABLE,
  'cannot-create': EXIT.CANT_CREATE,
};

function tlsFiles(cert: string | undefined, key: string | undefined, ca: string | undefined): TlsFiles | undefined {
  if (!cert && !key && !ca) return undefined;
  if (!cert || !key) throw new UsageError('TLS needs both --tls-cert and --tls-key (--tls-ca adds client certificate checks)');
  return { cert, key, ca };
}
