// The one place a test case's `config` becomes signatures: the same
// configuration schema and loader as `--config`, so a case's config is exactly
// what a user would put in their config file.
import type { Signature } from '../model/signature.js';
import { configFromData, ConfigError as ConfigFileError } from '../config/load.js';
import { allDefinitions, signaturesFromConfig } from '../config/signatures.js';
import type { AnyDefinition } from '../sdk/signature.js';

/** A config key or value that cannot be used; `path` is dotted from the config's root. */
export class ConfigError extends Error {
  constructor(readonly path: string, readonly problem: string) {
    super(path ? `${path}: ${problem}` : problem);
    this.name = 'ConfigError';
  }
}

/** Several problems at once, each with its key path. */
export class ConfigErrors extends Error {
  constructor(readonly errors: ConfigError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'ConfigErrors';
  }
}

const SOURCE = 'config';

/** "config: allowlist.rules[0].image: …" -> ConfigError('allowlist.rules.0.image', '…'). */
function issue(problem: string): ConfigError {
  const text = problem.startsWith(`${SOURCE}: `) ? problem.slice(SOURCE.length + 2) : problem;
  const m = /^([A-Za-z_$][\w$]*(?:\.[\w$-]+|\[\d+\])*): (.*)$/s.exec(text);
  if (!m) return new ConfigError('', text);
  return new ConfigError(m[1].replace(/\[(\d+)\]/g, '.$1'), m[2]);
}

/** Signatures (built-in and `extra`) configured as `config` says; throws ConfigErrors naming each key and problem. */
export function signaturesFor(config: Record<string, unknown> | undefined, extra: readonly AnyDefinition[] = []): Signature[] {
  const definitions = allDefinitions(extra);
  try {
    return signaturesFromConfig(configFromData(config ?? {}, SOURCE, new Date(), definitions), [], definitions);
  } catch (e) {
    if (e instanceof ConfigFileError) throw new ConfigErrors(e.problems.map(issue));
    throw e;
  }
}
