// `tracee-sig send`: a host-side client. Streams recordings to a
// SignatureService in EventBatches and prints the findings it answers, in the
// shapes `replay` prints them.
import { io } from '../streams.js';
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { Event } from '../model/event.js';
import type { SignatureMetadata } from '../model/signature.js';
import { Counters } from '../host/counters.js';
import { detectedFromId } from '../host/finding.js';
import { ENV_CAPTURE_HELP } from '../host/summary.js';
import { eventFromProtoObject } from '../wire/event-decoder.js';
import { OUTPUT_SHAPES } from '../encode/findings.js';
import { encodeProtoEvent } from '../wire/event-encoder.js';
import { FindingWriter } from '../sources/finding-writer.js';
import { ioReason } from '../sources/io-errors.js';
import { checkInputs, DEFAULT_MAX_LINE_BYTES, readRecordings } from '../sources/replay.js';
import { metadataFromMessage, selectedNamesOf, SignatureClient } from '../server/client.js';
import { DEFAULT_LISTEN, formatAddress, parseAddress, type ListenAddress } from '../server/listen-address.js';
import { decodeFindingBatch, encodeEventBatch } from '../wire/services.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../server/server.js';
import { EXIT, oneOf, parseOptions, positiveInt, UsageError } from './usage.js';
import { printable } from '../log/printable.js';

export const SEND_HELP = `Usage: tracee-sig send [options] FILE...

Streams recorded Tracee events to a tracee.sig.v1.SignatureService (such as
\`tracee-sig serve\`) and prints the findings it answers as JSON lines on
stdout, as \`tracee-sig replay\` prints them. FILE is a recording made by
\`tracee --output json\` in either shape, plain or gzip-compressed; "-" reads
stdin. Only the events the service selected are sent, in EventBatches.

Options:
      --to ADDR              the service: unix:///PATH or tcp://HOST:PORT
                             (default ${DEFAULT_LISTEN})
      --batch N              events per EventBatch (default 100)
  -o, --output SHAPE         auto (default), json, legacy or rules (see replay --help)
      --output-file FILE     write findings to FILE instead of stdout
      --max-line-bytes N     longest line read (default ${DEFAULT_MAX_LINE_BYTES})
      --max-message-bytes N  largest message sent or taken (default ${DEFAULT_MAX_MESSAGE_BYTES})
      --tls-ca FILE          use TLS, verifying the service against this CA
      --tls-cert FILE        client certificate for mutual TLS ...
      --tls-key FILE         ... and its private key
      --no-source-complete   do not signal source complete after the last batch
  -q, --quiet                no summary on stderr
  -h, --help                 this help

A summary goes to stderr: lines, events, events sent and batches, findings,
malformed lines and the events the service could not use.

TRC-1013 needs sched_process_exec events with their environment: ${ENV_CAPTURE_HELP}.

Exit status: 0 sent and answered; 1 the service failed the stream (it names
the batch and why); 2 bad option or TLS file content; 3 the service cannot be
reached, or went away part way; 66 a recording or TLS file cannot be read;
73 --output-file cannot be created; 74 reading a recording or writing findings
failed part way; 70 internal error.
`;

/** Batches sent and not yet answered, at most: bounds memory whatever the input size. */
const MAX_IN_FLIGHT = 16;
const CONNECT_TIMEOUT_MS = 10_000;

export async function sendCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    to: { type: 'string' },
    batch: { type: 'string' },
    output: { type: 'string', short: 'o' },
    'output-file': { type: 'string' },
    'max-line-bytes': { type: 'string' },
    'max-message-bytes': { type: 'string' },
    'tls-ca': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'no-source-complete': { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io().stdout.write(SEND_HELP);
    return EXIT.OK;
  }
  let to;
  try {
    to = parseAddress(values.to ?? DEFAULT_LISTEN);
  } catch (e) {
    throw new UsageError(`--to: ${(e as Error).message}`);
  }
  const batchSize = positiveInt(values.batch, '--batch', 100);
  const shape = oneOf(values.output, OUTPUT_SHAPES, '--output', 'auto');
  const maxLineBytes = positiveInt(values['max-line-bytes'], '--max-line-bytes', DEFAULT_MAX_LINE_BYTES);
  const maxMessageBytes = positiveInt(values['max-message-bytes'], '--max-message-bytes', DEFAULT_MAX_MESSAGE_BYTES);
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new UsageError('a client certificate needs both --tls-cert and --tls-key');
  if (positionals.length === 0) throw new UsageError('no recording given (use - for stdin)');
  const unreadable = checkInputs(positionals);
  if (unreadable) {
    io().stderr.write(`tracee-sig send: ${unreadable}\n`);
    return EXIT.NO_INPUT;
  }
  for (const f of ['tls-ca', 'tls-cert', 'tls-key'] as const) {
    const file = values[f];
    if (file !== undefined && checkInputs([file])) {
      io().stderr.write(`tracee-sig send: --${f} ${checkInputs([file])}\n`);
      return EXIT.NO_INPUT;
    }
  }
  const badTls = tlsProblem(values['tls-ca'], values['tls-cert'], values['tls-key']);
  if (badTls) {
    io().stderr.write(`tracee-sig send: ${badTls}\n`);
    return EXIT.USAGE;
  }

  const where = formatAddress(to);
  if (to.kind === 'unix' && !fs.existsSync(to.path)) {
    io().stderr.write(`tracee-sig send: cannot reach the signature service at ${where}: no socket at ${to.path}; is \`tracee-sig serve\` running with --listen ${where}?\n`);
    return EXIT.UNAVAILABLE;
  }
  // grpc-js gives an IP target to TLS as its server name, which Node flags on stderr (DEP0123): nothing the user can act on.
  if (values['tls-ca'] !== undefined) process.noDeprecation = true;
  const client = new SignatureClient(to, { tls: { ca: values['tls-ca'], cert: values['tls-cert'], key: values['tls-key'] }, maxMessageBytes });
  try {
    let selected: Set<string> | undefined;
    const metaByEvent = new Map<string, SignatureMetadata>();
    try {
      // A call that fails fast says why (refused, permission denied, TLS); waitForReady would only time out.
      selected = selectedNamesOf(await client.getSelectedEvents(CONNECT_TIMEOUT_MS));
      for (const m of (await client.getMetadata()).signatures ?? []) {
        const meta = metadataFromMessage(m);
        metaByEvent.set(meta.eventName, meta);
      }
    } catch (e) {
      io().stderr.write(`tracee-sig send: cannot reach the signature service at ${where}: ${unreachable(e as grpc.ServiceError, to, values['tls-ca'] !== undefined)}\n`);
      return EXIT.UNAVAILABLE;
    }

    let out: NodeJS.WritableStream = io().stdout;
    if (values['output-file']) {
      try {
        out = fs.createWriteStream(values['output-file'], { flags: 'w' });
        await new Promise<void>((resolve, reject) => (out as fs.WriteStream).once('open', () => resolve()).once('error', reject));
      } catch (e) {
        io().stderr.write(`tracee-sig send: cannot write --output-file ${values['output-file']}: ${ioReason(e)}; choose a path in a writable directory\n`);
        return EXIT.CANT_CREATE;
      }
    }
    const writer = new FindingWriter(out as fs.WriteStream, shape);
    const print = (finding: Event) => writer.write(finding, metaByEvent.get(finding.name) ?? metadataFromFinding(finding));
    const sourceComplete = async (): Promise<void> => {
      if (values['no-source-complete']) return;
      try {
        const r = await client.onSignal({ source_complete: { source: 'tracee' } });
        for (const f of r.findings ?? []) print(eventFromProtoObject(f));
      } catch (e) {
        io().stderr.write(`tracee-sig send: source-complete signal failed: ${(e as Error).message}\n`);
      }
    };

    const counters = new Counters();
    const sent = { events: 0, batches: 0, unusable: 0 };
    let result: Awaited<ReturnType<typeof streamRecordings>>;
    try {
      result = await streamRecordings(client, positionals, { batchSize, maxLineBytes, selected, counters, sent, print, writer });
      if (!result.error) await sourceComplete();
      await writer.finish(out !== io().stdout);
    } catch (e) {
      if (!writer.error) throw e; // not an output failure: a bug, reported as internal
      const dest = values['output-file'] ?? 'stdout';
      io().stderr.write(`tracee-sig send: cannot write findings to ${dest}: ${ioReason(writer.error)}; sending stopped and later findings were not written; check ${dest}, then run again\n`);
      return EXIT.IO_ERROR;
    }
    if (result.error) {
      io().stderr.write(`tracee-sig send: ${result.error}\n`);
      return result.unavailable ? EXIT.UNAVAILABLE : EXIT.FAILED;
    }

    if (!values.quiet) {
      const lines = [
        `summary: ${positionals.length} input(s), ${counters.lines} lines, ${counters.events} events, ${sent.events} sent to ${where} in ${sent.batches} batch(es), ${writer.written} findings, ${counters.malformed} malformed, ${sent.unusable} unusable by the service`,
        ...counters.malformedSamples.map((m) => `  malformed: ${m.where}: ${m.reason}`),
        ...(counters.malformed > counters.malformedSamples.length ? [`  malformed: ${counters.malformed - counters.malformedSamples.length} more not shown`] : []),
      ];
      for (const e of result.readErrors) lines.push(`  read error: ${e}`);
      io().stderr.write(lines.map((l) => `tracee-sig send: ${printable(l)}`).join('\n') + '\n');
    } else {
      for (const e of result.readErrors) io().stderr.write(`tracee-sig send: read error: ${printable(e)}\n`);
    }
    return result.readErrors.length > 0 ? EXIT.IO_ERROR : EXIT.OK;
  } finally {
    client.close();
  }
}

interface StreamOptions {
  batchSize: number;
  maxLineBytes: number;
  selected: Set<string> | undefined;
  counters: Counters;
  sent: { events: number; batches: number; unusable: number };
  print: (finding: Event) => void;
  writer: FindingWriter;
}

/** Reads the recordings into one OnEvents stream; every batch must be answered, in order. */
async function streamRecordings(
  client: SignatureClient,
  inputs: string[],
  o: StreamOptions,
): Promise<{ readErrors: string[]; error?: string; unavailable?: boolean }> {
  const call = client.onEvents();
  const pending: Event[][] = [];
  let batch: Event[] = [];
  let encoded: Uint8Array[] = [];
  let failure: string | undefined;
  let unavailable = false;
  let wake: (() => void) | undefined;
  const progress = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const done = new Promise<void>((resolve) => {
    call.on('status', (s: grpc.StatusObject) => {
      if (s.code !== grpc.status.OK && !failure) {
        failure = `the service ended the stream: ${grpc.status[s.code]} (${s.code}): ${s.details}`;
        unavailable = s.code === grpc.status.UNAVAILABLE;
      }
      resolve();
      progress();
    });
  });
  call.on('error', () => undefined); // reported through 'status'
  call.on('data', (bytes: Buffer) => {
    const answered = pending.shift();
    if (!answered) {
      failure ??= 'the service sent an answer for no batch';
      return;
    }
    let fb;
    try {
      fb = decodeFindingBatch(bytes);
    } catch (e) {
      failure ??= `undecodable FindingBatch for batch ${o.sent.batches - pending.length}: ${(e as Error).message}`;
      return;
    }
    if (fb.events_processed !== answered.length) {
      failure ??= `the service answered a batch of ${answered.length} events with events_processed ${fb.events_processed}`;
    }
    o.sent.unusable += fb.events_unusable;
    fb.findings.forEach((finding, k) => {
      const trigger = answered[fb.trigger_indexes[k]];
      // A legacy recording's finding echoes its trigger's own legacy context, as replay does.
      if (trigger?.source) {
        finding.source = trigger.source;
        if (finding.detected_from) finding.detected_from.id = detectedFromId(trigger);
      }
      o.print(finding);
    });
    progress();
  });

  let writeBlocked = false;
  call.on('drain', () => {
    writeBlocked = false;
    progress();
  });
  const flush = () => {
    if (batch.length === 0) return;
    pending.push(batch);
    o.sent.batches++;
    o.sent.events += batch.length;
    if (!call.write(encodeEventBatch(encoded))) writeBlocked = true;
    batch = [];
    encoded = [];
  };
  const sink = (event: Event, label: string, lineNo: number) => {
    o.counters.countEvent(event.name);
    if (o.selected && !o.selected.has(event.name)) return; // the service did not select it
    let bytes: Uint8Array;
    try {
      bytes = encodeProtoEvent(event);
    } catch (e) {
      o.counters.countMalformed(`${label}:${lineNo}`, `cannot encode as tracee.v1beta1.Event: ${(e as Error).message}`);
      return;
    }
    batch.push(event);
    encoded.push(bytes);
    if (batch.length >= o.batchSize) flush();
  };
  const afterChunk = async () => {
    while (!failure && (writeBlocked || pending.length > MAX_IN_FLIGHT)) await new Promise<void>((resolve) => (wake = resolve));
    await o.writer.ready();
  };

  const result = await readRecordings(inputs, sink, o.counters, o.selected, { maxLineBytes: o.maxLineBytes, afterChunk });
  if (!failure) flush();
  call.end();
  await done;
  if (!failure && pending.length > 0) failure = `${pending.length} batch(es) were never answered`;
  else if (failure && pending.length > 0) failure += `; ${pending.length} batch(es) sent were not answered, so findings for them may be missing: send the recordings again`;
  return { readErrors: result.readErrors, error: failure, unavailable };
}

/** Metadata for a finding whose signature the service did not list: from the finding's threat. */
function metadataFromFinding(f: Event): SignatureMetadata {
  const t = f.threat;
  return {
    id: t?.properties?.signatureID ?? '',
    version: '',
    name: t?.name ?? '',
    eventName: f.name,
    description: t?.description ?? '',
    tags: [],
    severity: t?.severity ?? 0,
    category: t?.properties?.Category ?? '',
    mitre: { tactic: t?.mitre?.tactic?.name ?? '', technique: { id: t?.mitre?.technique?.id ?? '', name: t?.mitre?.technique?.name ?? '' } },
    properties: {},
  };
}

/** TLS files that are not what they should be (not PEM, key not matching), as one line; undefined when fine. */
function tlsProblem(ca: string | undefined, cert: string | undefined, key: string | undefined): string | undefined {
  if (!ca && !cert) return undefined;
  try {
    tls.createSecureContext({ ca: ca ? fs.readFileSync(ca) : undefined, cert: cert ? fs.readFileSync(cert) : undefined, key: key ? fs.readFileSync(key) : undefined });
    return undefined;
  } catch (e) {
    const files = [ca && `--tls-ca ${ca}`, cert && `--tls-cert ${cert}`, key && `--tls-key ${key}`].filter(Boolean).join(', ');
    return `TLS files unusable (${files}): ${(e as Error).message}; give PEM files (a CA certificate; a client certificate and its private key)`;
  }
}

/** The cause grpc-js buried in "No connection established. Last error: X (time). Resolution note: ...", on one line. */
function lastError(details: string): string {
  const m = /Last error: ([\s\S]*?)\.?\s*(?:\(\d{4}-\d\d-\d\dT[^)]*\)\.?\s*)?(?:Resolution note:[\s\S]*)?$/.exec(details);
  return (m ? m[1] : details).replace(/^Error: /, '').replace(/\s+/g, ' ').trim();
}

/** Why the first call failed, in the user's terms, with what to do. */
function unreachable(e: grpc.ServiceError, to: ListenAddress, usingTls: boolean): string {
  const d = lastError(e.details ?? e.message);
  const socket = to.kind === 'unix' ? to.path : undefined;
  if (e.code === grpc.status.DEADLINE_EXCEEDED) return `no answer within ${CONNECT_TIMEOUT_MS / 1000} s; is the service overloaded or stopped?`;
  if (e.code === grpc.status.UNIMPLEMENTED) return `it does not serve tracee.sig.v1.SignatureService (${d}); is --to the address of \`tracee-sig serve\`?`;
  if (/EACCES|EPERM/.test(d)) return `permission denied on ${socket ?? formatAddress(to)}; the socket is private (mode 0600) to the user serve runs as: run send as that user`;
  if (/ECONNREFUSED/.test(d)) return socket ? `nothing listens on ${socket} (a socket left by a server that stopped); start \`tracee-sig serve\`` : `connection refused; is \`tracee-sig serve\` listening on ${formatAddress(to)}?`;
  if (/alert certificate required/.test(d)) return 'the service requires a client certificate (mutual TLS): give --tls-cert and --tls-key, signed by the CA the service trusts';
  if (/alert (unknown ca|bad certificate|certificate unknown|decrypt error)/.test(d)) return 'the service refused the client certificate (--tls-cert): it is not signed by the CA the service trusts (its --tls-ca)';
  if (/self.signed|unable to (get local issuer|verify)|certificate verify failed|does not match|not in the cert/i.test(d)) {
    return `the service's certificate is not trusted (${d}): give as --tls-ca the CA that signed it, and make sure it names ${to.kind === 'tcp' ? to.host : 'the host'}`;
  }
  if (/wrong version number|packet length too long|unknown protocol/i.test(d)) return 'the service does not speak TLS: drop --tls-ca, --tls-cert and --tls-key';
  // TLS 1.3 clients finish their side first, so a refused client certificate may
  // surface as a plain reset rather than an alert.
  if (usingTls && /Failed to connect|ECONNRESET|EPIPE|socket disconnected/.test(d)) {
    return 'the service closed the connection during the TLS handshake: it does not trust --tls-cert (not signed by its --tls-ca), or wants a client certificate; give --tls-cert and --tls-key signed by the CA the service trusts';
  }
  if (usingTls) return `${d}; check that the service uses TLS and that --tls-ca signed its certificate`;
  if (to.kind === 'tcp' && /Failed to connect/.test(d)) return 'the connection closed before gRPC could start; the service may require TLS: give --tls-ca (and --tls-cert/--tls-key for mutual TLS)';
  return `${d}; is \`tracee-sig serve\` listening there?`;
}
