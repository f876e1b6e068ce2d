// What TRC-1013 reads from an exec's environment: the API server address
// (KUBERNETES_SERVICE_HOST) and whether Tracee cut the environment short.
import type { Event } from '../../src/model/event.js';
import { stringArrayArg } from '../../src/model/accessors.js';

const VARIABLE = 'KUBERNETES_SERVICE_HOST';
/** Tracee reads at most 8191 bytes of environment and pads the rest with "?" entries. */
const TRACEE_ENV_CAP_BYTES = 8191;

/** The exec's environment entries; undefined when Tracee captured none (the one place TRC-1013 reads `env`). */
export function execEnvironment(event: Event): string[] | undefined {
  const env = stringArrayArg(event, 'env');
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
  if (env.length === 0) return false;
  if (env[env.length - 1] === '?') return true;
  let bytes = 0;
  for (const entry of env) bytes += Buffer.byteLength(String(entry)) + 1;
  return bytes >= TRACEE_ENV_CAP_BYTES;
}
