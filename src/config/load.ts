// Loads a configuration file (YAML or JSON), validates it against the schema
// with ajv (every error at once), applies defaults and returns a typed Config.
// Errors read `FILE: key.path: bad value: what was expected`, one per line.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { addressKey } from '../model/address.js';
import { expiryInstant, MATCH_KEYS, type AllowlistMode, type AllowRule } from '../host/allowlist.js';
import { HOST_FORMATS } from '../host/formats.js';
import { schemaChecker, show } from '../host/schema.js';
import type { SchemaFormat } from '../sdk/signature.js';
import { BUILTIN_SIGNATURES } from '../../signatures/index.js';
import type { AnyDefinition } from '../sdk/signature.js';
import { configSchema } from './schema.js';

export interface ResolverConfig {
  enabled: boolean;
  /** DNS servers, IP or IP:port; empty = the system's. */
  servers: string[];
  ttlSeconds: number;
  timeoutMs: number;
  maxNames: number;
}

export interface Config {
  /** The file it came from, if any. */
  source?: string;
  apiServer: { addresses: string[]; learnAfterContainers: number; resolveHostnames: ResolverConfig };
  allowlist: { mode: AllowlistMode; rules: AllowRule[] };
  dedup: { windowSeconds: number };
  limits: { maxContainers: number; maxAddressesPerContainer: number; maxLearnCandidates: number; maxLearnedAddresses: number };
  state: { file?: string; intervalSeconds: number };
  /** Signature sections as written under `signatures:`, by id (checked; the legacy keys above fill in what they leave out). */
  signatures: Record<string, Record<string, unknown>>;
  /** Things worth saying at start (e.g. rules already expired by the wall clock). */
  warnings: string[];
}

export class ConfigError extends Error {
  /** `unreadable`: the file could not be opened at all (missing, a directory, permission denied). */
  constructor(readonly problems: string[], readonly unreadable = false) {
    super(problems.join('\n'));
  }
}

/** The configuration in force without a file. */
export function defaultConfig(): Config {
  return {
    apiServer: {
      addresses: [],
      learnAfterContainers: 0,
      resolveHostnames: { enabled: false, servers: [], ttlSeconds: 60, timeoutMs: 2000, maxNames: 1024 },
    },
    allowlist: { mode: 'suppress', rules: [] },
    dedup: { windowSeconds: 0 },
    limits: { maxContainers: 65536, maxAddressesPerContainer: 8, maxLearnCandidates: 4096, maxLearnedAddresses: 256 },
    state: { intervalSeconds: 5 },
    signatures: {},
    warnings: [],
  };
}

/** A DNS server as node's resolver takes it: IP, IPv4:port or [IPv6]:port. */
function isHostPort(text: string): boolean {
  if (addressKey(text) !== undefined && !text.startsWith('[')) return true;
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([0-9.]+):(\d{1,5})$/.exec(text);
  return !!m && addressKey(m[1]) !== undefined && Number(m[2]) >= 1 && Number(m[2]) <= 65535;
}

/** The configuration's formats (with each signature's own). */
export const CONFIG_FORMATS: Record<string, SchemaFormat> = {
  'ip-address': { validate: (s) => addressKey(s) !== undefined, expected: 'an IPv4 or IPv6 address (host names go in KUBERNETES_SERVICE_HOST resolution, not here)' },
  'host-port': { validate: isHostPort, expected: 'a DNS server as IP, IPv4:port or [IPv6]:port' },
  ...HOST_FORMATS,
};

const validators = new WeakMap<readonly AnyDefinition[], (data: unknown) => string[]>();
function validate(data: unknown, definitions: readonly AnyDefinition[]): string[] {
  let validator = validators.get(definitions);
  if (!validator) {
    const formats = Object.assign({}, ...definitions.map((d) => d.formats ?? {}), CONFIG_FORMATS);
    validators.set(definitions, (validator = schemaChecker(configSchema(definitions), formats)));
  }
  return validator(data);
}

/** The keys from before signature sections, each with the key that replaces it (a deprecation warning names it). */
const LEGACY_KEYS: [string, string][] = [
  ['apiServer.addresses', 'signatures.TRC-1013.addresses'],
  ['apiServer.learnAfterContainers', 'signatures.TRC-1013.learnAfterContainers'],
  ['apiServer.resolveHostnames', 'hostnames'],
  ['allowlist', 'signatures.TRC-1013.allowlist'],
  ['dedup', 'signatures.TRC-1013.dedup'],
  ['limits.maxContainers', 'signatures.TRC-1013.maxContainers'],
  ['limits.maxAddressesPerContainer', 'signatures.TRC-1013.maxAddressesPerContainer'],
  ['limits.maxLearnCandidates', 'signatures.TRC-1013.maxLearnCandidates'],
  ['limits.maxLearnedAddresses', 'signatures.TRC-1013.maxLearnedAddresses'],
];

function deprecations(data: Record<string, unknown>, where: string): string[] {
  return LEGACY_KEYS.filter(([key]) => valueAtPath(data, key) !== undefined).map(([key, replacement]) => `${where}: ${key} is deprecated; use ${replacement}`);
}

function valueAtPath(data: unknown, dotted: string): unknown {
  let v = data;
  for (const k of dotted.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

const list = (v: unknown): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? (v as string[]) : [v as string]);

/** Checks the schema cannot express; only on values the schema accepted. */
function semanticProblems(data: Record<string, unknown>, configDir: string): string[] {
  const problems = allowlistProblems(data.allowlist, 'allowlist');
  for (const [id, section] of Object.entries((data.signatures ?? {}) as Record<string, Record<string, unknown>>)) {
    problems.push(...allowlistProblems(section?.allowlist, `signatures.${id}.allowlist`));
  }
  const file = (data.state as Record<string, unknown> | undefined)?.file;
  if (typeof file === 'string' && file !== '') {
    const dir = path.dirname(path.resolve(configDir, file));
    let ok = false;
    try {
      ok = fs.statSync(dir).isDirectory();
    } catch {
      ok = false;
    }
    if (!ok) problems.push(`state.file: ${show(file)}: expected a path in an existing directory (${dir} does not exist)`);
  }
  return problems;
}

/** Rules without a match key, and rule names used twice. */
function allowlistProblems(allowlist: unknown, at: string): string[] {
  const problems: string[] = [];
  const rules = (allowlist as Record<string, unknown> | undefined)?.rules;
  if (Array.isArray(rules)) {
    const seen = new Map<string, number>();
    rules.forEach((r, i) => {
      if (r === null || typeof r !== 'object' || Array.isArray(r)) return;
      const rule = r as Record<string, unknown>;
      if (!MATCH_KEYS.some((k) => rule[k] !== undefined)) {
        problems.push(`${at}.rules[${i}]: ${show(rule)}: expected at least one of ${MATCH_KEYS.join(', ')} (a rule without one would allow everything)`);
      }
      if (typeof rule.name === 'string') {
        const first = seen.get(rule.name);
        if (first !== undefined) problems.push(`${at}.rules[${i}].name: ${show(rule.name)}: expected a name not already used by ${at}.rules[${first}]`);
        else seen.set(rule.name, i);
      }
    });
  }
  return problems;
}

/** A checked object -> Config with defaults (the data has passed validation). */
function build(data: Record<string, unknown>, source: string | undefined, configDir: string, now: Date): Config {
  const c = defaultConfig();
  c.source = source;
  const api = (data.apiServer ?? {}) as Record<string, unknown>;
  if (api.addresses) c.apiServer.addresses = [...(api.addresses as string[])];
  if (api.learnAfterContainers !== undefined) c.apiServer.learnAfterContainers = api.learnAfterContainers as number;
  Object.assign(c.apiServer.resolveHostnames, api.resolveHostnames ?? {}, data.hostnames ?? {});
  c.signatures = structuredClone((data.signatures ?? {}) as Record<string, Record<string, unknown>>);
  const allow = (data.allowlist ?? {}) as Record<string, unknown>;
  if (allow.mode) c.allowlist.mode = allow.mode as AllowlistMode;
  c.allowlist.rules = ((allow.rules ?? []) as Record<string, unknown>[]).map((r) => {
    const rule: AllowRule = { name: r.name as string };
    for (const k of ['namespace', 'podName', 'containerName', 'image', 'comm', 'executable'] as const) if (r[k] !== undefined) rule[k] = list(r[k]);
    if (r.podLabels) rule.podLabels = { ...(r.podLabels as Record<string, string>) };
    if (r.reason !== undefined) rule.reason = r.reason as string;
    if (r.expires !== undefined) rule.expires = r.expires as string;
    return rule;
  });
  Object.assign(c.dedup, data.dedup ?? {});
  Object.assign(c.limits, data.limits ?? {});
  const state = (data.state ?? {}) as Record<string, unknown>;
  if (state.file) c.state.file = path.resolve(configDir, state.file as string);
  if (state.intervalSeconds) c.state.intervalSeconds = state.intervalSeconds as number;
  const where = source ?? 'config';
  c.warnings.push(...deprecations(data, where));
  const expired = (rules: AllowRule[], at: string) =>
    rules.forEach((r, i) => {
      if (r.expires !== undefined && expiryInstant(r.expires) * 1000 <= now.getTime()) {
        c.warnings.push(
          `${where}: ${at}.rules[${i}] "${r.name}" expired ${r.expires}: it no longer allows live events ` +
            '(it still allows recorded events older than that; renew or remove it)',
        );
      }
    });
  expired(c.allowlist.rules, 'allowlist');
  for (const [id, section] of Object.entries(c.signatures)) expired(((section.allowlist as { rules?: AllowRule[] }) ?? {}).rules ?? [], `signatures.${id}.allowlist`);
  return c;
}

/** Validate already-parsed data; throws ConfigError listing every problem. */
export function configFromData(data: unknown, source?: string, now = new Date(), definitions: readonly AnyDefinition[] = BUILTIN_SIGNATURES): Config {
  const where = source ?? 'config';
  const configDir = source ? path.dirname(path.resolve(source)) : process.cwd();
  if (data === null || data === undefined) data = {}; // an empty file is the default configuration
  const problems = validate(data, definitions).map((p) => `${where}: ${p}`);
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    problems.push(...semanticProblems(data as Record<string, unknown>, configDir).map((p) => `${where}: ${p}`));
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  return build(data as Record<string, unknown>, source, configDir, now);
}

/** Read, parse and validate a YAML or JSON configuration file. */
export function loadConfig(file: string, now = new Date(), definitions: readonly AnyDefinition[] = BUILTIN_SIGNATURES): Config {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    const todo = code === 'EACCES' || code === 'EPERM' ? 'run as a user who may read it, or change its permissions' : 'check the path';
    throw new ConfigError([`${file}: cannot read: ${why}; ${todo}`], true);
  }
  // yaml is required here, not at the top: its 72 files cost some 35 ms at every start without --config.
  const { parseDocument } = require('yaml') as typeof import('yaml');
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((err) => {
        const first = err.message.split('\n')[0].replace(/:$/, '');
        const m = / at line (\d+), column (\d+)$/.exec(first);
        return m ? `${file}: line ${m[1]}, column ${m[2]}: cannot parse: ${first.slice(0, m.index)}` : `${file}: cannot parse: ${first}`;
      }),
    );
  }
  return configFromData(doc.toJS(), file, now, definitions);
}
