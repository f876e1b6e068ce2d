// `tracee-sig attach`: a live Tracee's own gRPC event stream in, findings out.
import { io } from '../streams.js';
import * as fs from 'node:fs';
import type { Writable } from 'node:stream';
import { openSignatures } from '../config/signatures.js';
import { OUTPUT_SHAPES, type OutputShape } from '../encode/findings.js';
import { SignatureHost } from '../host/host.js';
import { logSummary } from '../log/summary.js';
import { hostSummary } from '../host/summary.js';
import type { Event } from '../model/event.js';
import type { SignatureMetadata } from '../model/signature.js';
import { DEFAULT_RETRY, DEFAULT_TRACEE_ADDRESS, parseTraceeAddress, TraceeAttachment, type RetryPolicy } from '../sources/attach.js';
import { FindingWriter } from '../sources/finding-writer.js';
import { ioReason } from '../sources/io-errors.js';
import { CONFIG_HELP, CONFIG_OPTIONS, configOrExit } from './config-option.js';
import { loggerFromOptions, metricsAddressFromOptions, OPERATE_OPTIONS, operateHelp, startMetrics } from './operate-options.js';
import { EXIT, oneOf, parseOptions, positiveInt, UsageError } from './usage.js';

export const ATTACH_HELP = `Usage: tracee-sig attach [options]

Attaches to a running Tracee through Tracee's own gRPC service
(tracee.v1beta1.TraceeService/StreamEvents), runs the signatures on every
event it streams and prints findings as JSON lines on stdout. Nothing changes
on Tracee's side beyond turning its gRPC server on.

Options:
      --tracee ADDR         Tracee's gRPC address (default ${DEFAULT_TRACEE_ADDRESS}):
                            unix:///PATH, or tcp://HOST:PORT; Tracee's own
                            spellings unix:PATH and tcp:PORT work too
      --policy NAME         stream only events matched by Tracee policy NAME
                            (repeatable; default: every policy). A name Tracee
                            does not know stops attach with exit status 2
  -o, --output SHAPE        auto (default): json, as the stream is Tracee's
                            protobuf Event; json: Tracee main detection event;
                            legacy: Tracee v0.24 detection event; rules:
                            tracee-rules rawjson finding
      --output-file FILE    write findings to FILE instead of stdout
      --retry-initial-ms N  first wait before reconnecting (default ${DEFAULT_RETRY.initialMs})
      --retry-max-ms N      longest wait between attempts (default ${DEFAULT_RETRY.maxMs})
      --max-retries N       give up after N retries in a row (default: never)
${CONFIG_HELP}
${operateHelp(28)}
  -h, --help                this help

Tracee must stream the events TRC-1013 reads (sched_process_exec,
security_socket_connect, container_remove), with the environment of each exec,
and have its gRPC server on. Run Tracee as:

  Tracee v0.24.x:
    tracee --events sched_process_exec,security_socket_connect,container_remove \\
      --output option:exec-env --server grpc-address=unix:/var/run/tracee.sock
  Tracee v0.20 - v0.23.x:
    tracee --events sched_process_exec,security_socket_connect,container_remove \\
      --output option:exec-env --grpc-listen-addr unix:/var/run/tracee.sock
  Tracee main (builds from 2026-01-14 on):
    tracee --events sched_process_exec,security_socket_connect,container_remove \\
      --enrichment environment --server grpc-address=unix:/var/run/tracee.sock

then, as root (Tracee v0.24+ makes the socket accessible to its own user only):

  tracee-sig attach --tracee unix:///var/run/tracee.sock

With policies (tracee --policy FILE), the policies attach names must select
those three events. Without environment capture (--output option:exec-env up
to Tracee v0.24.x, --enrichment environment on main) TRC-1013 cannot learn the
API server address; attach says so at run time.

Reconnecting: when Tracee is not up yet or restarts, attach retries with
exponential backoff and jitter (each wait between half and all of
min(retry-max-ms, retry-initial-ms x 2^(n-1))), one log line per attempt;
what TRC-1013 learned is kept across reconnects. With --metrics, /readyz
answers 200 while Tracee's event stream is open and 503 (with the reason)
while connecting or reconnecting.

On SIGTERM or SIGINT attach stops, writes the findings it holds, logs a
summary, and exits 0. Exit status: 0 stopped; 2 bad option, configuration,
or a policy Tracee does not know; 3 Tracee unreachable after --max-retries
retries, or --metrics cannot listen; 66 --config cannot be read; 73
--output-file cannot be created; 74 findings could not be written (attach
stops); 76 the server is not Tracee (StreamEvents answers UNIMPLEMENTED;
attach stops at once); 70 internal error.
`;

/** Findings pending in memory before the stream pauses (and Tracee blocks). */
const OUTPUT_BOUND_BYTES = 8 * 1024 * 1024;


/**
 * Findings written as they come (a burst is coalesced into one write), with a
 * bound on what waits for a slow destination.
 */
class LiveFindings {
  private readonly writer: FindingWriter;
  private scheduled = false;
  private flushing: Promise<void> | undefined;
  private again = false;

  constructor(private readonly out: Writable, shape: OutputShape) {
    this.writer = new FindingWriter(out, shape);
  }

  write(finding: Event, meta: SignatureMetadata): void {
    this.writer.write(finding, meta);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flushSoon();
    });
  }

  private flushSoon(): void {
    if (this.flushing) {
      this.again = true;
      return;
    }
    this.flushing = this.writer.flush().finally(() => {
      this.flushing = undefined;
      if (this.again) {
        this.again = false;
        this.flushSoon();
      }
    });
  }

  /** A promise while more than the bound waits for the destination. */
  backpressure(): Promise<void> | undefined {
    if (this.out.writableLength <= OUTPUT_BOUND_BYTES) return undefined;
    return new Promise((resolve) => this.out.once('drain', resolve));
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.writer.flush();
  }
}

function nonNegativeInt(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${option} must be a whole number (0 or more); got "${value}"`);
  return Number(value);
}

function retryPolicy(values: Record<string, unknown>): RetryPolicy {
  const initialMs = positiveInt(values['retry-initial-ms'] as string | undefined, '--retry-initial-ms', DEFAULT_RETRY.initialMs);
  const maxMs = positiveInt(values['retry-max-ms'] as string | undefined, '--retry-max-ms', Math.max(DEFAULT_RETRY.maxMs, initialMs));
  // A floor keeps a typo from turning the reconnect loop into a busy loop.
  if (initialMs < 10) throw new UsageError(`--retry-initial-ms must be at least 10; got ${initialMs}`);
  if (maxMs < initialMs) throw new UsageError(`--retry-max-ms (${maxMs}) must not be less than --retry-initial-ms (${initialMs})`);
  return { initialMs, maxMs, maxRetries: nonNegativeInt(values['max-retries'] as string | undefined, '--max-retries') };
}

async function openOutput(file: string | undefined): Promise<Writable | string> {
  if (!file) return io().stdout;
  const out = fs.createWriteStream(file, { flags: 'w' });
  try {
    await new Promise<void>((resolve, reject) => out.once('open', () => resolve()).once('error', reject));
    return out;
  } catch (e) {
    return `cannot write --output-file ${file}: ${ioReason(e)}; choose a path in a writable directory`;
  }
}

export async function attachCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    tracee: { type: 'string' },
    policy: { type: 'string', multiple: true },
    output: { type: 'string', short: 'o' },
    'output-file': { type: 'string' },
    'retry-initial-ms': { type: 'string' },
    'retry-max-ms': { type: 'string' },
    'max-retries': { type: 'string' },
    ...CONFIG_OPTIONS,
    ...OPERATE_OPTIONS,
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io().stdout.write(ATTACH_HELP);
    return EXIT.OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (attach reads from Tracee, not from files; see replay)`);
  const shape = oneOf(values.output, OUTPUT_SHAPES, '--output', 'auto');
  let address;
  try {
    address = parseTraceeAddress(values.tracee ?? DEFAULT_TRACEE_ADDRESS);
  } catch (e) {
    throw new UsageError(`--tracee ${(e as Error).message}`);
  }
  const policies = values.policy ?? [];
  const empty = policies.find((p) => p.trim() === '');
  if (empty !== undefined) throw new UsageError('--policy needs a policy name; got an empty one');
  const retry = retryPolicy(values);
  const log = loggerFromOptions(values, 'attach');
  const metricsAddress = metricsAddressFromOptions(values);
  const choice = configOrExit(values, 'attach', log);
  if (typeof choice === 'number') return choice;

  const out = await openOutput(values['output-file']);
  if (typeof out === 'string') {
    log.error(out);
    return EXIT.CANT_CREATE;
  }
  const endpoint = await startMetrics(metricsAddress, log);
  if (endpoint instanceof Error) {
    log.error(endpoint.message);
    return EXIT.UNAVAILABLE;
  }
  const findings = new LiveFindings(out, shape);
  const runtime = openSignatures(choice.config, { warn: (m) => log.warn(m), extraApiServers: choice.apiServers, definitions: choice.definitions });
  const host = new SignatureHost(runtime.signatures, (finding, meta) => findings.write(finding, meta), undefined, runtime.dataSources);
  runtime.start();
  const attachment = new TraceeAttachment(host, {
    address,
    policies,
    retry,
    log: (line, level = 'info') => log[level](line),
    outputBackpressure: () => findings.backpressure(),
  });
  if (endpoint) {
    endpoint.metrics.watchHost(host);
    endpoint.metrics.watchTracee(attachment);
    endpoint.metrics.setReadiness(() => (attachment.streaming ? { ready: true } : { ready: false, reason: attachment.notStreamingBecause }));
  }

  let outputError: string | undefined;
  out.on('error', (e: Error) => {
    if (outputError) return;
    outputError = e.message;
    log.error(`cannot write findings to ${values['output-file'] ?? 'stdout'}: ${ioReason(e)}; stopping (later findings would be lost); fix the destination and attach again`);
    attachment.stop();
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info(`${signal}: stopping`, { signal });
    attachment.stop();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  const result = await attachment.run();
  process.removeListener('SIGTERM', onSignal);
  process.removeListener('SIGINT', onSignal);
  if (result.kind === 'rejected') log.error(result.reason);
  if (result.kind === 'not-tracee') log.error(`stopping: ${result.reason}`);

  host.sourceComplete();
  host.close();
  await runtime.stop();
  if (!outputError) {
    await findings.close();
    if (out !== io().stdout) await new Promise<void>((resolve) => (out as fs.WriteStream).end(resolve));
  }
  logSummary(
    log,
    { ...hostSummary(host), signatureCounters: { ...host.signatureCounters(), ...runtime.counters() }, inputUnit: 'stream messages' },
    {
      suffix: `, ${attachment.connections} connection(s)${attachment.version !== undefined ? `, Tracee ${attachment.version || '(no version)'}` : ''}`,
      fields: { connections: attachment.connections, reconnects: attachment.reconnects, ...(attachment.version !== undefined ? { traceeVersion: attachment.version } : {}) },
    },
  );
  await endpoint?.server.close();

  if (outputError) return EXIT.IO_ERROR;
  if (result.kind === 'rejected') return EXIT.USAGE;
  if (result.kind === 'gave-up') return EXIT.UNAVAILABLE;
  if (result.kind === 'not-tracee') return EXIT.PROTOCOL;
  return EXIT.OK;
}
