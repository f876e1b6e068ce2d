// The signature programming interface, after Tracee's Go `detect.Signature`:
// metadata, selected events, init, onEvent, onSignal, close. A signature is pure:
// it sees only model events, keeps small bounded state and emits outputs.
import type { Event, EventValue, Origin } from './event.js';

export interface SignatureMetadata {
  id: string; // "TRC-1013"
  version: string; // "0.1.0"
  name: string; // human title, Tracee's SignatureMetadata.Name / threat.name
  eventName: string; // the produced event, e.g. "k8s_api_connection"
  description: string;
  tags: string[];
  severity: number; // Severity enum value
  category: string; // e.g. "discovery"
  mitre: { tactic: string; technique: { id: string; name: string } };
  /** Extra properties shown with findings (Tracee's Properties map). */
  properties: Record<string, string | number>;
}

/** Which events a signature wants: Tracee's SignatureEventSelector ("*" = any). */
export interface EventSelector {
  source: string; // always "tracee" for Tracee events
  name: string; // event name or "*"
  origin: Origin | '*';
}

/** What a signature says when it detects: the triggering event and the finding's data. */
export interface SignatureOutput {
  trigger: Event;
  data: EventValue[];
  /** Severity override for this finding (e.g. audit-mode allowed connections). */
  severity?: number;
}

/**
 * Hostname answers kept by the host (Tracee's "dns" data store, in spirit):
 * a signature asks synchronously and never waits. Undefined means no answer
 * yet; asking starts a lookup whose answer later calls will see.
 */
export interface HostnameSource {
  /** Canonical address keys (see address.ts) the name resolves to; undefined while unknown. */
  addresses(name: string): readonly string[] | undefined;
}

/** Read-only services a host may offer signatures; each is optional. */
export interface DataSources {
  hostnames?: HostnameSource;
}

export interface SignatureContext {
  emit(output: SignatureOutput): void;
  dataSources?: DataSources;
}

/** Lifecycle signal: the named source has no more events. */
export interface SourceComplete {
  kind: 'source-complete';
  source: string;
}
export type Signal = SourceComplete;

/** What the host itself did for one signature, for metrics (read, never matched by counter name). */
export interface SignatureStats {
  /** Findings allowed, by allowlist rule. */
  allowed: Record<string, number>;
  /** Undefined: dedup is off. */
  dedupSuppressed?: number;
  /** Containers whose state is kept (undefined: it keeps none). */
  containersTracked?: number;
  /** State evicted at its bound, by state name. */
  evictions: Record<string, number>;
}

/** A signature as the host runs it (see src/host/instance.ts for one made from an SDK definition). */
export interface Signature {
  readonly metadata: SignatureMetadata;
  readonly selectedEvents: EventSelector[];
  /** Enrichments the signature needs from Tracee (e.g. "environment"). */
  readonly requires?: string[];
  init(ctx: SignatureContext): void;
  onEvent(event: Event): void;
  onSignal(signal: Signal): void;
  close(): void;
  /** Counters worth showing a user (named, non-negative). */
  counters?(): Record<string, number>;
  /** Host-side counts for metrics. */
  stats?(): SignatureStats;
  /** Warnings for the summary: what a user should change. */
  advice?(): string[];
  /** The signature's state as plain JSON data, for a state file; pure. */
  snapshot?(): unknown;
  /** Replace the state with a snapshot's; throws (changing nothing) when it is not one. */
  restore?(snapshot: unknown): void;
}
