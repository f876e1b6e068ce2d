// Logs on stderr, through pino: one JSON object per line (level, time, msg,
// command, and fields) for log collectors, or the plain lines a person reads
// ("tracee-sig attach: warning: ..."). Findings never go here: they go to
// stdout or their files.
import type pinoModule from 'pino';
import { printable } from './printable.js';
import { io } from '../streams.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export type LogFields = Record<string, unknown>;

export interface Logger {
  readonly format: LogFormat;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  /** The command, as in "tracee-sig attach"; a field of every JSON record. */
  command: string;
  level: LogLevel;
  format: LogFormat;
  /** Where lines go; default stderr, written synchronously so nothing is lost at exit. */
  destination?: { write(line: string): void };
}

/** Text lines read as the commands always have: warnings say so, errors are plain sentences. */
const TEXT_PREFIX: Record<string, string> = { debug: 'debug: ', info: '', warn: 'warning: ', error: '' };

/** Reserved keys of a record: the rest are fields. */
const RECORD_KEYS = new Set(['level', 'time', 'msg', 'pid', 'command']);

export function createLogger(o: LoggerOptions): Logger {
  // pino is loaded at the first record: most runs log nothing (a small replay took 0.956 of the time so).
  let p: pinoModule.Logger | undefined;
  const own = io().stderr; // this command's stderr, as the logger is made
  const logger = (): pinoModule.Logger => (p ??= pinoLogger(o, own));
  const at =
    (level: LogLevel) =>
    (msg: string, fields?: LogFields): void => {
      if (fields) logger()[level](fields, msg);
      else logger()[level](msg);
    };
  return { format: o.format, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function pinoLogger(o: LoggerOptions, own: NodeJS.WritableStream): pinoModule.Logger {
  const pino = require('pino') as typeof pinoModule; // eslint-disable-line @typescript-eslint/no-require-imports
  const stderr = o.destination ?? (own === process.stderr ? pino.destination({ dest: 2, sync: true }) : { write: (line: string) => void own.write(line) });
  // Text: the record pino built, rendered as one line (logs are rare: the parse costs nothing that matters).
  const destination =
    o.format === 'json'
      ? stderr
      : {
          write(line: string): void {
            const r = JSON.parse(line) as LogFields;
            const level = String(r.level);
            const extra = Object.entries(r).filter(([k]) => !RECORD_KEYS.has(k));
            const fields = extra.length > 0 && level === 'debug' ? ` ${extra.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}` : '';
            stderr.write(`tracee-sig ${o.command}: ${TEXT_PREFIX[level] ?? `${level}: `}${printable(String(r.msg))}${printable(fields)}\n`);
          },
        };
  return pino(
    {
      level: o.level,
      base: { pid: process.pid, command: o.command },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
