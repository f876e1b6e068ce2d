// Shared CLI plumbing: option parsing with clear errors, and exit codes.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit codes, documented in README ("Limits and failure behaviour"). */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, UNAVAILABLE: 3, INTERNAL: 70 } as const;

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseOptions<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
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
