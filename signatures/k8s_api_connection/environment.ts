// What TRC-1013 reads from an exec's environment: the API server address
// (KUBERNETES_SERVICE_HOST) and whether Tracee cut the environment short.
import type { Event, StringArraySummary } from '../../src/model/event.js';
import { stringArraySummary, summarizeStrings } from '../../src/model/accessors.js';

const VARIABLE = 'KUBERNETES_SERVICE_HOST';
/** Tracee reads at most 8191 bytes of environment and pads the rest with "?" entries. */
const TRACEE_ENV_CAP_BYTES = 8191;

/**
 * The exec's environment, summarized: only the KUBERNETES_SERVICE_HOST entries
 * become strings (events read from bytes never build the rest); undefined when
 * Tracee captured none. The one place TRC-1013 reads `env`.
 */
export function execEnvironment(event: Event): StringArraySummary | undefined {
  const env = stringArraySummary(event, 'env', `${VARIABLE}=`);
  return env && env.length > 0 ? env : undefined;
}

/** Every value of variables named exactly KUBERNETES_SERVICE_HOST, trimmed, non-empty. */
export function apiServerValues(env: string[]): string[] {
  const values: string[] = [];
  for (const entry of env) {
    if (typeof entry !== 'string' || !entry.startsWith(VARIABLE) || entry.charCodeAt(VARIABLE.length) !== 0x3d /* = */) continue;
    const value = entry.slice(VARIABLE.length + 1).trim();
    if (value !== '') values.push(value);
  }
  return values;
}

/** True when Tracee's 8 KiB environment cap was reached (it pads with "?"). */
export function looksTruncated(env: string[]): boolean {
  return summaryLooksTruncated(summarizeStrings(env));
}

export function summaryLooksTruncated(env: StringArraySummary): boolean {
  return env.length > 0 && (env.last === '?' || env.nulTerminatedBytes >= TRACEE_ENV_CAP_BYTES);
}
