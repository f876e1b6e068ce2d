// Shared CLI plumbing: option parsing with clear errors, and exit codes.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * Exit codes; which command returns which is listed in exit-codes.ts (and
 * README's tables). The input/output ones are sysexits.h's, as INTERNAL
 * (EX_SOFTWARE) is.
 */
export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  UNAVAILABLE: 3,
  /** No input held a usable Tracee event: not a Tracee JSON recording (EX_DATAERR). */
  NOT_A_RECORDING: 65,
  /** An input cannot be opened: missing, a directory, permission denied (EX_NOINPUT). */
  NO_INPUT: 66,
  INTERNAL: 70,
  /** An output file cannot be created (EX_CANTCREAT). */
  CANT_CREATE: 73,
  /** Reading an input or writing the output failed part way (EX_IOERR). */
  IO_ERROR: 74,
  /** The peer speaks gRPC but not the service asked for (UNIMPLEMENTED) (EX_PROTOCOL). */
  PROTOCOL: 76,
  /** Stopped by SIGINT / SIGTERM part way: 128 + the signal number, as a shell reports it. */
  INTERRUPTED: 130,
  TERMINATED: 143,
} as const;

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** What parseArgs returns for these options (spelled out so that declarations can name it). */
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

export function parseOptions<O extends Options>(args: string[], options: O): Parsed<O> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    // One line: node's messages add advice on further lines ("To specify ..."), ours says where to look.
    const message = (e as Error).message.replace(/\.?\s*To specify (a positional|an option) argument.*$/s, '').replace(/\s*\n\s*/g, ' ');
    throw new UsageError(message.replace(/\.$/, ''));
  }
}

export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], option: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${option} must be one of ${allowed.join(', ')}; got "${value}"`);
  return value as T;
}

export function positiveInt(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) <= 0) throw new UsageError(`${option} must be a positive whole number; got "${value}"`);
  return Number(value);
}
