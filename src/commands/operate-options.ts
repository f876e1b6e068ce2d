// `--metrics`, `--log-level` and `--log-format`, read the same way by the
// commands that run for a while (replay, serve, attach).
import { io } from '../streams.js';
import { createLogger, LOG_FORMATS, LOG_LEVELS, type LogFormat, type Logger } from '../log/logger.js';
import { formatMetricsAddress, MetricsServerError, parseMetricsAddress, startMetricsServer, type MetricsAddress, type MetricsServer } from '../metrics/http.js';
import type { Metrics } from '../metrics/metrics.js';
import { oneOf, UsageError } from './usage.js';

export const OPERATE_OPTIONS = {
  metrics: { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
} as const;

/** The options' help, its descriptions starting at column `width` (as the command's other options). */
export function operateHelp(width: number, formatDefault = ['text; default: text when stderr is a terminal,', 'else json']): string {
  const rows: [string, string[]][] = [
    ['--metrics ADDR', ['serve /metrics (Prometheus), /healthz and /readyz over', 'HTTP on ADDR: HOST:PORT, [IPv6]:PORT or :PORT (host', '127.0.0.1); port 0 picks one (logged). Default: off']],
    ['--log-level LEVEL', ['debug, info (default), warn or error']],
    ['--log-format FMT', ['json (one object per line: level, time, msg, ...) or', ...formatDefault]],
  ];
  return rows.map(([option, lines]) => lines.map((l, i) => `${(i === 0 ? `      ${option}` : '').padEnd(width)}${l}`).join('\n')).join('\n');
}

type Values = { metrics?: string; 'log-level'?: string; 'log-format'?: string };

/** The logger the options ask for. `defaultFormat` overrides the terminal rule (replay: text). */
export function loggerFromOptions(values: Values, command: string, defaultFormat?: LogFormat): Logger {
  const level = oneOf(values['log-level'], LOG_LEVELS, '--log-level', 'info');
  const format = oneOf(values['log-format'], LOG_FORMATS, '--log-format', defaultFormat ?? (io().stderr.isTTY ? 'text' : 'json'));
  return createLogger({ command, level, format });
}

/** The --metrics address, or undefined when metrics are off; a UsageError when unparsable. */
export function metricsAddressFromOptions(values: Values): MetricsAddress | undefined {
  if (values.metrics === undefined) return undefined;
  try {
    return parseMetricsAddress(values.metrics);
  } catch (e) {
    throw new UsageError(`--metrics: ${(e as Error).message}`);
  }
}

export interface MetricsEndpoint {
  metrics: Metrics;
  server: MetricsServer;
}

/**
 * Metrics and their HTTP endpoint, when --metrics was given: undefined when
 * off, a one-line error when it cannot listen (the caller exits 3).
 */
export async function startMetrics(address: MetricsAddress | undefined, log: Logger): Promise<MetricsEndpoint | undefined | MetricsServerError> {
  if (!address) return undefined;
  // Loaded only when asked for: prom-client and its dependencies are about 90 files,
  // some 45 ms of every start that has no --metrics.
  const { Metrics } = await import('../metrics/metrics.js');
  const metrics = new Metrics();
  try {
    const server = await startMetricsServer(address, metrics);
    const url = formatMetricsAddress(server.address);
    log.info(`metrics on ${url}/metrics, health on ${url}/healthz and ${url}/readyz`, { url });
    return { metrics, server };
  } catch (e) {
    if (e instanceof MetricsServerError) return e;
    throw e;
  }
}
