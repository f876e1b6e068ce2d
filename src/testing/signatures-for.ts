// The one place a test case's `config` becomes signatures. Today it takes the
// options `builtinSignatures` already accepts; when the config module lands it
// will route through it instead (same input: the `config` object of a case).
import type { Signature } from '../model/signature.js';
import { builtinSignatures, type SignatureOptions } from '../../signatures/index.js';

/** A config key or value that cannot be used; `path` is dotted from the config's root. */
export class ConfigError extends Error {
  constructor(readonly path: string, readonly problem: string) {
    super(path ? `${path}: ${problem}` : problem);
    this.name = 'ConfigError';
  }
}

const K8S_OPTIONS = ['maxAddressesPerContainer', 'maxContainers'] as const;

/** Signatures configured as `config` says; throws ConfigError naming the key and problem. */
export function signaturesFor(config: Record<string, unknown> | undefined): Signature[] {
  return builtinSignatures(signatureOptions(config ?? {}));
}

function signatureOptions(config: Record<string, unknown>): SignatureOptions {
  const options: SignatureOptions = {};
  for (const [key, value] of Object.entries(config)) {
    if (key !== 'k8s_api_connection') {
      throw new ConfigError(key, 'unknown key; known: k8s_api_connection');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ConfigError(key, 'must be an object');
    }
    const k8s: Record<string, number> = {};
    for (const [name, v] of Object.entries(value)) {
      if (!(K8S_OPTIONS as readonly string[]).includes(name)) {
        throw new ConfigError(`${key}.${name}`, `unknown key; known: ${K8S_OPTIONS.join(', ')}`);
      }
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
        throw new ConfigError(`${key}.${name}`, `must be a positive whole number, got ${JSON.stringify(v)}`);
      }
      k8s[name] = v;
    }
    options.k8s_api_connection = k8s;
  }
  return options;
}
