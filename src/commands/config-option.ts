// `--config FILE` and `--api-server ADDR`, read the same way by every command
// that runs signatures (replay, attach, serve).
import { io } from '../streams.js';
import { addressKey } from '../model/address.js';
import { ConfigError, defaultConfig, loadConfig, type Config } from '../config/load.js';
import { allDefinitions } from '../config/signatures.js';
import { loadSignatureDirs, SignatureModuleError } from '../host/signature-modules.js';
import type { AnyDefinition } from '../sdk/signature.js';
import type { Logger } from '../log/logger.js';
import { EXIT, UsageError } from './usage.js';

export const CONFIG_OPTIONS = {
  config: { type: 'string', short: 'c' },
  'api-server': { type: 'string', multiple: true },
  'signatures-dir': { type: 'string', multiple: true },
} as const;

export const CONFIG_HELP = `  -c, --config FILE       configuration (YAML or JSON): a section per signature
                          (allowlist, dedup, TRC-1013's API server addresses and
                          limits), hostname resolution, state file; see
                          \`tracee-sig config schema\` and docs/config.example.yaml
      --api-server ADDR   an API server address that applies to every container
                          (repeatable; added to signatures.TRC-1013.addresses)
      --signatures-dir DIR
                          also run the signatures in DIR: compiled JavaScript
                          modules, each default-exporting a definition made
                          with tracee-sig/sdk (repeatable; README "Writing a
                          signature")`;

export interface ConfigChoice {
  config: Config;
  apiServers: string[];
  /** Every signature to run: the built-in ones and those of --signatures-dir. */
  definitions: readonly AnyDefinition[];
}

type ConfigValues = { config?: string; 'api-server'?: string[]; 'signatures-dir'?: string[] };

/** The --signatures-dir signatures, or the one-line problem with the first bad module. */
export function userSignatures(dirs: string[] | undefined): AnyDefinition[] | SignatureModuleError {
  try {
    return loadSignatureDirs(dirs ?? [], allDefinitions());
  } catch (e) {
    if (e instanceof SignatureModuleError) return e;
    throw e;
  }
}

/**
 * The configuration the options name; undefined after printing every problem
 * (one line each, prefixed with the command; through `log` when given) when
 * the file is unusable.
 */
export function configFromOptions(values: ConfigValues, command: string, log?: Logger): ConfigChoice | undefined {
  const choice = configOrExit(values, command, log);
  return typeof choice === 'number' ? undefined : choice;
}

/**
 * As configFromOptions, but says how to exit when the file is unusable:
 * EXIT.NO_INPUT when it cannot be opened, EXIT.USAGE when its content is wrong.
 */
export function configOrExit(values: ConfigValues, command: string, log?: Logger): ConfigChoice | number {
  const apiServers = values['api-server'] ?? [];
  for (const a of apiServers) if (addressKey(a) === undefined) throw new UsageError(`--api-server must be an IPv4 or IPv6 address; got "${a}"`);
  const user = userSignatures(values['signatures-dir']);
  if (user instanceof SignatureModuleError) {
    const line = `--signatures-dir: ${user.message}`;
    if (log) log.error(line);
    else io().stderr.write(`tracee-sig ${command}: ${line}\n`);
    return EXIT.USAGE;
  }
  const definitions = allDefinitions(user);
  let config: Config;
  try {
    config = values.config !== undefined ? loadConfig(values.config, new Date(), definitions) : defaultConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (log) for (const p of e.problems) log.error(p);
    else io().stderr.write(e.problems.map((p) => `tracee-sig ${command}: ${p}\n`).join(''));
    return e.unreadable ? EXIT.NO_INPUT : EXIT.USAGE;
  }
  for (const w of config.warnings) {
    if (log) log.warn(w);
    else io().stderr.write(`tracee-sig ${command}: warning: ${w}\n`);
  }
  return { config, apiServers, definitions };
}
