// `tracee-sig replay`: recorded Tracee events in, findings out.
import * as fs from 'node:fs';
import { openSignatures } from '../config/signatures.js';
import { OUTPUT_SHAPES } from '../encode/findings.js';
import { SignatureHost } from '../host/host.js';
import { hostSummary, summaryLines, ENV_CAPTURE_HELP } from '../host/summary.js';
import { logSummary } from '../log/summary.js';
import type { Readiness } from '../metrics/metrics.js';
import { FindingWriter } from '../sources/finding-writer.js';
import { ioReason } from '../sources/io-errors.js';
import { checkInputs, DEFAULT_MAX_LINE_BYTES, replay, type ReplayResult } from '../sources/replay.js';
import { CONFIG_HELP, CONFIG_OPTIONS, configOrExit } from './config-option.js';
import { loggerFromOptions, metricsAddressFromOptions, OPERATE_OPTIONS, operateHelp, startMetrics } from './operate-options.js';
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
      --output-file FILE  write findings to FILE instead of stdout
      --max-line-bytes N  longest line read (default ${DEFAULT_MAX_LINE_BYTES}); longer lines
                          are skipped and reported
${CONFIG_HELP}
${operateHelp(26, ['text (the default; json: warnings, errors and the', 'summary as JSON records)'])}
  -q, --quiet             no summary on stderr
  -h, --help              this help

A summary goes to stderr at the end: lines, events by name, dispatched,
findings and malformed lines (the first ones as file:line: reason). Malformed
lines are skipped and the replay goes on. The summary is a report for a
person, written whatever --log-level says; with --log-format json it is one
JSON record at level info instead ("msg":"summary: ...", counts as fields).

With --metrics, /metrics can be scraped while the replay runs (e.g. a
recording piped in slowly on stdin); /readyz answers 200 while reading.

TRC-1013 needs sched_process_exec events with their environment: ${ENV_CAPTURE_HELP}.

Exit status: 0 replayed (even with malformed lines, which are reported);
2 bad option, option value or configuration; 3 --metrics cannot listen;
66 an input or the --config file cannot be opened (missing, a directory,
permission denied); 73 --output-file cannot be created;
74 reading an input or writing findings failed part way (corrupt or truncated
gzip, disk full, closed pipe); 70 internal error.
`;

export async function replayCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    output: { type: 'string', short: 'o' },
    'output-file': { type: 'string' },
    'max-line-bytes': { type: 'string' },
    ...CONFIG_OPTIONS,
    ...OPERATE_OPTIONS,
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(REPLAY_HELP);
    return EXIT.OK;
  }
  const shape = oneOf(values.output, OUTPUT_SHAPES, '--output', 'auto');
  const maxLineBytes = positiveInt(values['max-line-bytes'], '--max-line-bytes', DEFAULT_MAX_LINE_BYTES);
  if (positionals.length === 0) throw new UsageError('no recording given (use - for stdin)');
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

  const outputFile = values['output-file'];
  let out: fs.WriteStream | NodeJS.WriteStream = process.stdout;
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
  let result: ReplayResult = { readErrors: [], shapes: { current: 0, legacy: 0 } };
  let writeError: unknown;
  try {
    readiness = { ready: true };
    result = await replay(positionals, host, { maxLineBytes, afterChunk: () => writer.ready() });
    readiness = { ready: false, reason: 'replay finished' };
    host.sourceComplete();
    host.close();
    await runtime.stop();
    await writer.finish(out !== process.stdout);
  } catch (e) {
    if (!writer.error) throw e; // not an output failure: a bug, reported as internal
    writeError = writer.error;
  }

  await endpoint?.server.close();
  if (!values.quiet) {
    const summary = { ...hostSummary(host), signatureCounters: { ...host.signatureCounters(), ...runtime.counters() }, inputs: positionals.length, readErrors: result.readErrors };
    if (log.format === 'json') logSummary(log, summary);
    else process.stderr.write(summaryLines(summary).map((l) => `tracee-sig replay: ${l}`).join('\n') + '\n');
  } else {
    for (const e of result.readErrors) log.error(`read error: ${e}`);
  }
  if (writeError) {
    const dest = outputFile ?? 'stdout';
    const code = (writeError as NodeJS.ErrnoException).code;
    const todo = code === 'EPIPE' ? 'keep the reading end open until the replay ends' : code === 'ENOSPC' ? 'free space or choose another --output-file' : `check ${dest}`;
    log.error(`cannot write findings to ${dest}: ${ioReason(writeError)}; the replay stopped and later findings were not written; ${todo}, then run again`);
    return EXIT.IO_ERROR;
  }
  return result.readErrors.length > 0 ? EXIT.IO_ERROR : EXIT.OK;
}
