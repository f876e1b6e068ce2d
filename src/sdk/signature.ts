// What a signature author writes: one definition per file, after Tracee main's
// detectors (`GetDefinition()`, an `OnEvent` returning outputs, per-detector
// config). The definition says what the signature is (metadata), what it reads
// (selected events with origin), what it keeps (per-container state, shared
// state, each with a JSON Schema) and how it is configured (its config
// section's JSON Schema). `create` builds the detection; its `onEvent` returns
// findings. What every signature needs — bounded per-container state with
// container_remove and snapshot/restore, allowlist, dedup, counters, metrics,
// its config section — the host provides; a signature holds only its detection.
import type { Event, EventValue } from '../model/event.js';
import type { DataSources, EventSelector, Signal, SignatureMetadata } from '../model/signature.js';

/** A JSON Schema (draft-07) object, checked with ajv in strict mode. */
export type JsonSchema = Record<string, unknown>;

/** What `onEvent` returns for each detection. */
export interface Finding {
  /** The finding's data fields, as Tracee detectors set them. */
  data: EventValue[];
  /** The event it was detected from; default: the event `onEvent` was given. */
  trigger?: Event;
  /** Overrides the metadata's severity for this finding. */
  severity?: number;
  /**
   * What makes two findings of one container repeats of each other, for the
   * host's dedup; default: the data fields' values.
   */
  key?: string;
}

/**
 * Per-container state the host keeps for a signature: bounded (least recently
 * used container evicted past the configured `maxContainers`), forgotten on
 * container_remove, written to and restored from the state file.
 */
export interface ContainerState<S> {
  /** A container's state, without marking it used. */
  get(container: string): S | undefined;
  /** A container's state, marking it most recently used. */
  touch(container: string): S | undefined;
  /** Set a container's state (most recently used); may evict the least recently used container. */
  set(container: string, state: S): void;
  readonly size: number;
}

/** What the host hands `create`. */
export interface SignatureServices<S> {
  containers: ContainerState<S>;
  dataSources: DataSources;
}

/** The running detection `create` returns. Pure: no I/O, no clocks but the events'. */
export interface Detector<Shared = unknown> {
  onEvent(event: Event): readonly Finding[] | undefined | void;
  onSignal?(signal: Signal): readonly Finding[] | undefined | void;
  close?(): void;
  /** Counters about its own detection (named, non-negative); the host adds its own. */
  counters?(): Record<string, number>;
  /** State the detection itself evicted at its bounds, by state name (a metrics label). */
  evictions?(): Record<string, number>;
  /** What a user should change, judged from its counters; shown with the run's summary. */
  advice?(context: AdviceContext): string[];
  /** State beyond the per-container state, as JSON data (checked by `state.shared`). */
  snapshot?(): Shared;
  /** Replace that state with a snapshot's, already checked against `state.shared`. */
  restore?(shared: Shared): void;
}

/** What the host knows when asking for advice. */
export interface AdviceContext {
  /** Data sources the host runs (e.g. "hostnames"). */
  dataSources: string[];
}

/** A string format a signature's schemas use (`format: name`), with what a valid value looks like. */
export interface SchemaFormat {
  validate(value: string): boolean;
  expected: string;
}

export interface SignatureDefinition<Config = Record<string, unknown>, ContainerS = unknown, Shared = unknown> {
  readonly metadata: SignatureMetadata;
  readonly selectedEvents: EventSelector[];
  /** Tracee enrichments it needs (e.g. "environment"); the host warns when the input lacks them. */
  readonly requires?: string[];
  /** Its config section (an object schema; `default`s are applied). Host keys (allowlist, dedup, maxContainers) are added by the host. */
  readonly config?: JsonSchema;
  /** The state it keeps, for snapshot/restore: one container's, and the shared rest (an object schema). */
  readonly state?: { container?: JsonSchema; shared?: JsonSchema };
  /** Custom string formats its schemas use. */
  readonly formats?: Record<string, SchemaFormat>;
  /** Build the detection from its checked config section. Throws on config the schema cannot judge. */
  create(config: Config, services: SignatureServices<ContainerS>): Detector<Shared>;
}

/** Identity, with types: `export default defineSignature({...})` checks the definition as you write it. */
export function defineSignature<Config, ContainerS = never, Shared = never>(
  definition: SignatureDefinition<Config, ContainerS, Shared>,
): SignatureDefinition<Config, ContainerS, Shared> {
  return definition;
}

/** Any signature definition, whatever its config and state types (what registries and loaders hold). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDefinition = SignatureDefinition<any, any, any>;
