// `tracee-sig replay`: recorded Tracee events in, findings out.
import { io } from '../streams.js';
import * as fs from 'node:fs';
import type { Writable } from 'node:stream';
import { openSignatures } from '../config/signatures.js';
import { OUTPUT_SHAPES } from '../encode/findings.js';
import { SignatureHost } from '../host/host.js';
import { hostSummary, summaryLines, ENV_CAPTURE_HELP } from '../host/summary.js';
import { logSummary } from '../log/summary.js';
import type { Readiness } from '../metrics/metrics.js';
import { FindingWriter } from '../sources/finding-writer.js';
import { SCAN_AHEAD_MIN_BYTES, ScanAheadFailure, worthScanningAhead } from '../sources/scan-ahead.js';
import { ioReason } from '../sources/io-errors.js';
import { checkInputs, DEFAULT_MAX_LINE_BYTES, emptyResult, replay, type ReplayResult, stoppedAt } from '../sources/replay.js';
import { printable } from '../log/printable.js';
import { groupDigits, perSecond, progressLine, showProgress } from '../log/progress.js';
import { CONFIG_HELP, CONFIG_OPTIONS, configOrExit } from './config-option.js';
import { loggerFromOptions, metricsAddressFromOptions, OPERATE_OPTIONS, operateHelp, startMetrics } from './operate-options.js';
import { exitStatusHelp } from './exit-codes.js';
import { EXIT, oneOf, parseOptions, positiveInt, UsageError } from './usage.js';

export const REPLAY_HELP = `Usage: tracee-sig replay [options] FILE...

Replays recorded Tracee events through the signatures and prints findings as
JSON lines on stdout. FILE is a recording made by \`tracee --output json\`, in
either shape (Tracee main, or legacy trace.Event of Tracee <= v0.24.1; mixed
shapes are fine), plain or gzip-compressed; "-" reads stdin.

Options:
  -o, --output SHAPE      auto (default): each finding in the shape of its
                          triggering event's format; json: Tracee main
                          detection event; legacy: Tracee v0.24 detection
                          event; rules: tracee-rules rawjson finding
      --output-file FILE  write findings to FILE instead of stdout ("-": stdout);
                          refused when FILE is one of the inputs
      --max-line-bytes N  longest line read (default ${DEFAULT_MAX_LINE_BYTES}); longer lines
                          are skipped and reported
      --scan-thread WHEN  read lines on a second thread, ahead of the
                          signatures: auto (the default: for files, not gzip,
                          of ${SCAN_AHEAD_MIN_BYTES / (1 << 20)} MiB or more in all, on 2 CPUs or more),
                          on, off; the findings, counts and errors are the same
${CONFIG_HELP}
${operateHelp(26, ['text (the default; json: warnings, errors and the', 'summary as JSON records)'])}
      --progress          show progress on stderr even when it is not a terminal
      --no-progress       never show progress
  -q, --quiet             no summary (nor progress) on stderr
  -h, --help              this help

A summary goes to stderr at the end: lines, events by name, dispatched,
findings, malformed lines (the first ones as file:line: reason), the elapsed
time and events/s. Malformed lines are skipped and the replay goes on. An
input with lines but no Tracee event at all is named as not a Tracee JSON
recording (exit 65); an empty input is a warning. On SIGINT or SIGTERM the
findings made so far are written and the summary says where it stopped.
The summary is a report for a person, written whatever --log-level says;
with --log-format json it is one JSON record at level info instead ("msg":"summary: ...", counts as fields).

With --metrics, /metrics can be scraped while the replay runs (e.g. a
recording piped in slowly on stdin); /readyz answers 200 while reading.

TRC-1013 needs sched_process_exec events with their environment: ${ENV_CAPTURE_HELP}.

On a terminal a progress line (bytes and lines read, events/s, findings, time
left when the size is known) is shown on stderr about once a second and
erased at the end; --progress shows it anywhere, --no-progress never.

${exitStatusHelp('replay')}`;

export async function replayCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    output: { type: 'string', short: 'o' },
    'output-file': { type: 'string' },
    'max-line-bytes': { type: 'string' },
    'scan-thread': { type: 'string' },
    progress: { type: 'boolean' },
    'no-progress': { type: 'boolean' },
    ...CONFIG_OPTIONS,
    ...OPERATE_OPTIONS,
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io().stdout.write(REPLAY_HELP);
    return EXIT.OK;
  }
  const shape = oneOf(values.output, OUTPUT_SHAPES, '--output', 'auto');
  const maxLineBytes = positiveInt(values['max-line-bytes'], '--max-line-bytes', DEFAULT_MAX_LINE_BYTES);
  const scanThread = oneOf(values['scan-thread'], ['auto', 'on', 'off'] as const, '--scan-thread', 'auto');
  if (positionals.length === 0) throw new UsageError('no recording given (use - for stdin)');
  if (values.progress && values['no-progress']) throw new UsageError('--progress and --no-progress contradict each other; give one');
  // Replay's stderr is a report for a person unless asked otherwise: text whatever stderr is.
  const log = loggerFromOptions(values, 'replay', 'text');
  const metricsAddress = metricsAddressFromOptions(values);
  const choice = configOrExit(values, 'replay', log);
  if (typeof choice === 'number') return choice;
  const { config, apiServers } = choice;
  const unreadable = checkInputs(positionals);
  if (unreadable) {
    log.error(unreadable);
    return EXIT.NO_INPUT;
  }

  // "-" is stdout. Any other path is refused when it is one of the inputs, before it is opened for writing.
  const outputFile = values['output-file'] === '-' ? undefined : values['output-file'];
  if (outputFile !== undefined) {
    const clash = outputIsAnInput(outputFile, positionals);
    if (clash) {
      log.error(`--output-file ${outputFile} is the input ${clash} (the same file); writing findings there would destroy the recording; choose another path`);
      return EXIT.USAGE;
    }
  }
  let out: Writable = io().stdout;
  if (outputFile !== undefined) {
    try {
      const file = fs.createWriteStream(outputFile, { flags: 'w' });
      await new Promise<void>((resolve, reject) => file.once('open', () => resolve()).once('error', reject));
      out = file;
    } catch (e) {
      log.error(`cannot write --output-file ${outputFile}: ${ioReason(e)}; choose a path in a writable directory`);
      return EXIT.CANT_CREATE;
    }
  }
  const endpoint = await startMetrics(metricsAddress, log);
  if (endpoint instanceof Error) {
    log.error(endpoint.message);
    return EXIT.UNAVAILABLE;
  }
  let readiness: Readiness = { ready: false, reason: 'starting' };
  endpoint?.metrics.setReadiness(() => readiness);
  const writer = new FindingWriter(out, shape);
  const runtime = openSignatures(config, { warn: (m) => log.warn(m), extraApiServers: apiServers, definitions: choice.definitions });
  const host = new SignatureHost(runtime.signatures, (finding, meta) => writer.write(finding, meta), undefined, runtime.dataSources);
  endpoint?.metrics.watchHost(host);
  runtime.start();

  // SIGINT/SIGTERM: stop reading, keep the findings made, report where it stopped. A second one ends at once.
  const interrupt = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) process.exit(signalExit(signalled));
    signalled = signal;
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const started = performance.now();
  let result: ReplayResult = emptyResult();
  const totalBytes = knownTotalBytes(positionals);
  const showing = (values.progress ?? (!values['no-progress'] && io().stderr.isTTY === true)) && !values.quiet;
  const progress = showing
    ? showProgress(io().stderr, 'tracee-sig replay: ', () => progressLine({ inputs: result.inputs, counters: host.counters, totalBytes, elapsedMs: performance.now() - started }))
    : undefined;
  let writeError: unknown;
  let threadFailure: ScanAheadFailure | undefined;
  try {
    readiness = { ready: true };
    const scanAhead = scanThread === 'on' || (scanThread === 'auto' && worthScanningAhead(positionals, host.selectedNames()));
    result = await replay(positionals, host, { maxLineBytes, afterChunk: () => writer.ready(), linesHandled: () => writer.flushBuffer(), signal: interrupt.signal, inputs: result.inputs, scanAhead });
    readiness = { ready: false, reason: 'replay finished' };
    host.sourceComplete();
    host.close();
    await runtime.stop();
    await writer.finish(out !== io().stdout);
  } catch (e) {
    if (e instanceof ScanAheadFailure && !writer.error) threadFailure = e;
    else if (!writer.error) throw e; // not an output failure: a bug, reported as internal
    else writeError = writer.error;
  } finally {
    progress?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (threadFailure) {
    // (The findings made before it were written as their lines were: see linesHandled.)
    await endpoint?.server.close();
    log.error(`${threadFailure.message}; this is a bug, please report it; --scan-thread off replays without that thread`);
    return EXIT.INTERNAL;
  }
  const elapsedMs = performance.now() - started;

  await endpoint?.server.close();
  const notRecordings = result.inputs.filter((i) => i.nonBlank > 0 && i.events === 0).map((i) => i.label);
  const empty = result.inputs.filter((i) => i.nonBlank === 0 && !(signalled && i === result.inputs.at(-1))).map((i) => i.label);
  // (An output failure ends the replay without its result: where it stopped comes from the inputs as read.)
  const where = result.stoppedAt ?? stoppedAt(result.inputs);
  const interrupted = signalled ? `interrupted by ${signalled} after ${where}: the findings up to there were written, the rest of the input was not read` : undefined;
  const rate = `elapsed ${(elapsedMs / 1000).toFixed(2)} s, ${groupDigits(perSecond(host.counters.events, elapsedMs))} events/s`;
  if (!values.quiet) {
    const summary = { ...hostSummary(host), signatureCounters: { ...host.signatureCounters(), ...runtime.counters() }, inputs: positionals.length, readErrors: result.readErrors };
    if (log.format === 'json') {
      logSummary(log, summary, { fields: { elapsedSeconds: Number((elapsedMs / 1000).toFixed(3)), eventsPerSecond: perSecond(host.counters.events, elapsedMs), ...(signalled ? { interrupted: signalled, stoppedAt: where } : {}) } });
    } else {
      const lines = summaryLines(summary);
      lines.splice(1, 0, `  ${rate}`);
      if (interrupted) lines.splice(1, 0, `  ${interrupted}`);
      io().stderr.write(lines.map((l) => `tracee-sig replay: ${printable(l)}`).join('\n') + '\n');
    }
  } else {
    for (const e of result.readErrors) log.error(`read error: ${e}`);
  }
  for (const label of empty) log.warn(`${label} is empty: no event in it`);
  for (const label of notRecordings) {
    log.error(`${label} does not look like a Tracee JSON recording: none of its lines is a Tracee event; ${RECORDING_LOOKS_LIKE}`);
  }
  if (writeError) {
    const dest = outputFile ?? 'stdout';
    const code = (writeError as NodeJS.ErrnoException).code;
    const todo = code === 'EPIPE' ? 'keep the reading end open until the replay ends' : code === 'ENOSPC' ? 'free space or choose another --output-file' : `check ${dest}`;
    log.error(`cannot write findings to ${dest}: ${ioReason(writeError)}; the replay stopped and later findings were not written; ${todo}, then run again`);
    return EXIT.IO_ERROR;
  }
  if (signalled) return signalExit(signalled);
  if (result.readErrors.length > 0) return EXIT.IO_ERROR;
  return notRecordings.length > 0 ? EXIT.NOT_A_RECORDING : EXIT.OK;
}

/** What a recording is, for the one line that says an input is not one. */
const RECORDING_LOOKS_LIKE =
  'a recording is what `tracee --output json` (or `tracee-ebpf --output json`) writes: one JSON event per line, such as {"timestamp":...,"name":"sched_process_exec",...}';

function signalExit(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? EXIT.INTERRUPTED : EXIT.TERMINATED;
}

/** The input (as given) that is the same file as `output`, however spelled (device and inode); stdin included. */
function outputIsAnInput(output: string, inputs: string[]): string | undefined {
  let target: fs.Stats;
  try {
    target = fs.statSync(output);
  } catch {
    return undefined; // not there yet: cannot be an input
  }
  for (const input of inputs) {
    let st: fs.Stats;
    try {
      const stdinFd = io().stdin.fd;
      if (input === '-' && stdinFd === undefined) continue; // a stream of the caller's, not a file
      st = input === '-' ? fs.fstatSync(stdinFd!) : fs.statSync(input);
    } catch {
      continue;
    }
    if (st.dev === target.dev && st.ino === target.ino) return input === '-' ? 'stdin (-)' : input;
  }
  return undefined;
}

/** The inputs' total size, when every one is a regular file (for a time-left estimate). */
function knownTotalBytes(inputs: string[]): number | undefined {
  let total = 0;
  for (const input of inputs) {
    if (input === '-') return undefined;
    const st = fs.statSync(input, { throwIfNoEntry: false });
    if (!st?.isFile()) return undefined;
    total += st.size;
  }
  return total;
}
