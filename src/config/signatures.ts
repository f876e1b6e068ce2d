// From a Config to running signatures: the one place every command (replay,
// serve, attach) builds them, with the services they need around them — the
// hostname resolver (a data source the host hands signatures) and the state
// file (loaded at start, written periodically and at stop).
import { BUILTIN_SIGNATURES } from '../../signatures/index.js';
import type { DataSources, Signature } from '../model/signature.js';
import type { AnyDefinition } from '../sdk/signature.js';
import { HostnameResolver } from '../host/hostname-resolver.js';
import { HostedSignature } from '../host/instance.js';
import { StateFile } from '../host/state-file.js';
import type { Config } from './load.js';

/**
 * Config sections by signature id: `signatures.<id>` as written, over what the
 * legacy top-level keys mean for TRC-1013 (a key in the section wins), plus
 * extra cluster-wide addresses (--api-server).
 */
export function signatureSections(config: Config, extraApiServers: string[] = []): Record<string, Record<string, unknown>> {
  const sections: Record<string, Record<string, unknown>> = { ...config.signatures, 'TRC-1013': { ...legacyTrc1013(config), ...config.signatures['TRC-1013'] } };
  const trc1013 = sections['TRC-1013'];
  trc1013.addresses = [...(trc1013.addresses as string[]), ...extraApiServers];
  return sections;
}

/** TRC-1013's section as the top-level keys from before sections say it. */
function legacyTrc1013(config: Config): Record<string, unknown> {
  return {
    maxContainers: config.limits.maxContainers,
    maxAddressesPerContainer: config.limits.maxAddressesPerContainer,
    maxLearnCandidates: config.limits.maxLearnCandidates,
    maxLearnedAddresses: config.limits.maxLearnedAddresses,
    addresses: [...config.apiServer.addresses],
    learnAfterContainers: config.apiServer.learnAfterContainers,
    resolveHostnames: config.apiServer.resolveHostnames.enabled,
    allowlist: { mode: config.allowlist.mode, rules: config.allowlist.rules },
    dedup: { windowSeconds: config.dedup.windowSeconds },
  };
}

const withExtra = new WeakMap<readonly AnyDefinition[], readonly AnyDefinition[]>();

/** The built-in signatures and these (e.g. loaded with --signatures-dir); the same array for the same extras. */
export function allDefinitions(extra: readonly AnyDefinition[] = []): readonly AnyDefinition[] {
  if (extra.length === 0) return BUILTIN_SIGNATURES;
  let all = withExtra.get(extra);
  if (!all) withExtra.set(extra, (all = [...BUILTIN_SIGNATURES, ...extra]));
  return all;
}

/** Just the signatures (no services): for hosts that need neither names nor a state file. */
export function signaturesFromConfig(config: Config, extraApiServers: string[] = [], definitions: readonly AnyDefinition[] = BUILTIN_SIGNATURES): Signature[] {
  const sections = signatureSections(config, extraApiServers);
  return definitions.map((d) => new HostedSignature(d, sections[d.metadata.id]));
}

export interface SignatureRuntime {
  signatures: Signature[];
  /** Pass to `new SignatureHost(signatures, onFinding, counters, dataSources)`. */
  dataSources: DataSources;
  /** Load the state file into the signatures and start writing it. Call once, before events. */
  start(): void;
  /** Write the state file one last time and stop the resolver. Call once, after the last event. */
  stop(): Promise<void>;
  /** Resolver and state file counters, for the summary (keyed like signature counters). */
  counters(): Record<string, Record<string, number>>;
}

/**
 * Signatures and their services from a configuration. Usage, in any command:
 *   const rt = openSignatures(config, { warn });
 *   const host = new SignatureHost(rt.signatures, onFinding, undefined, rt.dataSources);
 *   rt.start(); ... events ...; host.close(); await rt.stop();
 */
export function openSignatures(config: Config, options: { warn?: (message: string) => void; extraApiServers?: string[]; definitions?: readonly AnyDefinition[] } = {}): SignatureRuntime {
  const signatures = signaturesFromConfig(config, options.extraApiServers, options.definitions);
  const r = config.apiServer.resolveHostnames;
  const resolver = r.enabled ? new HostnameResolver({ servers: r.servers, ttlSeconds: r.ttlSeconds, timeoutMs: r.timeoutMs, maxNames: r.maxNames }) : undefined;
  const stateFile = config.state.file ? new StateFile(config.state.file, signatures, { intervalSeconds: config.state.intervalSeconds, warn: options.warn }) : undefined;
  let started = false;
  return {
    signatures,
    dataSources: resolver ? { hostnames: resolver } : {},
    start() {
      if (started) return;
      started = true;
      stateFile?.load();
      stateFile?.start();
    },
    async stop() {
      resolver?.close();
      if (started) await stateFile?.stop();
    },
    counters() {
      const out: Record<string, Record<string, number>> = {};
      if (resolver) out['hostname resolver'] = { ...resolver.counts, namesCached: resolver.size };
      if (stateFile) out['state file'] = { ...stateFile.counts };
      return out;
    },
  };
}
