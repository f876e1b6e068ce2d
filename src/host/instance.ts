// A signature definition made runnable by the host, per signature: its config
// section checked (defaults applied), its per-container state kept bounded and
// forgotten on container_remove, its findings passed through the allowlist and
// dedup interceptors, its counters joined with the host's, and its state
// exported and restored through a schema-checked snapshot.
import type { Event } from '../model/event.js';
import { CONTAINER_REMOVE, removedContainer } from '../model/lifecycle.js';
import type { DataSources, EventSelector, Signal, Signature, SignatureContext, SignatureMetadata, SignatureStats } from '../model/signature.js';
import type { AnyDefinition, Detector, Finding, JsonSchema } from '../sdk/signature.js';
import { Allowlist } from './allowlist.js';
import { ContainerStore } from './container-state.js';
import { Interner } from '../sdk/interner.js';
import { DedupWindow } from './dedup.js';
import { allowlistInterceptor, compose, dedupInterceptor, type Dispatch, type Interceptor } from './interceptors.js';
import { HOST_FORMATS } from './formats.js';
import { checkMetaSchema, schemaChecker, type SchemaChecker } from './schema.js';
import { sectionSchema, splitSection } from './signature-section.js';

const DEDUP_SCHEMA: JsonSchema = {
  type: 'array',
  items: {
    type: 'array',
    minItems: 2,
    maxItems: 2,
    items: [
      { type: 'string' },
      { type: 'array', items: { type: 'array', minItems: 3, maxItems: 3, items: [{ type: 'string' }, { type: 'number' }, { type: 'integer', minimum: 0 }] } },
    ],
  },
};

/** The snapshot's schema: version, containers as [id, state] pairs, dedup, and the signature's shared state. */
function snapshotSchema(definition: AnyDefinition): JsonSchema {
  const shared = (definition.state?.shared ?? {}) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return {
    type: 'object',
    required: ['version', 'containers', ...(shared.required ?? [])],
    properties: {
      ...shared.properties,
      version: { const: 1 },
      containers: { type: 'array', items: { type: 'array', minItems: 2, maxItems: 2, items: [{ type: 'string', minLength: 1 }, definition.state?.container ?? {}] } },
      dedup: DEDUP_SCHEMA,
    },
  };
}

interface Checkers {
  section: SchemaChecker;
  snapshot: SchemaChecker;
}
const checkers = new WeakMap<AnyDefinition, Checkers>();

function checkersOf(definition: AnyDefinition): Checkers {
  let c = checkers.get(definition);
  if (!c) {
    const formats = { ...definition.formats, ...HOST_FORMATS };
    c = { section: schemaChecker(sectionSchema(definition), formats, { useDefaults: true }), snapshot: schemaChecker(snapshotSchema(definition), formats) };
    checkers.set(definition, c);
  }
  return c;
}

/**
 * Checks the definition's schemas (its config section's and its state snapshot's) against JSON
 * Schema's meta-schema and compiles them now, throwing what ajv refuses: for a definition from a
 * user's module, when it is loaded.
 */
export function compileSchemas(definition: AnyDefinition): void {
  checkMetaSchema(sectionSchema(definition));
  checkMetaSchema(snapshotSchema(definition));
  const c = checkersOf(definition);
  c.section.compile();
  c.snapshot.compile();
}

export class HostedSignature implements Signature {
  readonly metadata: SignatureMetadata;
  readonly selectedEvents: EventSelector[];
  readonly requires?: string[];
  private readonly detector: Detector;
  private readonly containers?: ContainerStore<unknown>;
  private readonly allowlist?: Allowlist;
  private readonly dedup?: DedupWindow;
  private readonly selectedNames: Set<string>;
  private dispatch: Dispatch = () => undefined;
  /** Filled in by init: the detector holds this object from create on. */
  private readonly dataSources: DataSources = {};

  /** `section`: the signature's config section (its keys and the host's); throws naming what is wrong. */
  constructor(readonly definition: AnyDefinition, section: Record<string, unknown> = {}) {
    this.metadata = definition.metadata;
    this.requires = definition.requires;
    this.selectedNames = new Set(definition.selectedEvents.map((s) => s.name));
    // Per-container state is forgotten on container_remove: select it for the signature that keeps some.
    const forgets = definition.state?.container !== undefined && !this.selectedNames.has(CONTAINER_REMOVE);
    this.selectedEvents = forgets ? [...definition.selectedEvents, { source: 'tracee', name: CONTAINER_REMOVE, origin: '*' }] : definition.selectedEvents;
    const checked = structuredClone(section);
    const problems = checkersOf(definition).section(checked);
    if (problems.length > 0) throw new Error(`${definition.metadata.id}: ${problems.join('; ')}`);
    const { host, own } = splitSection(checked);
    if (definition.state?.container !== undefined) this.containers = new ContainerStore(host.maxContainers);
    if (host.allowlist.rules.length > 0) this.allowlist = new Allowlist(host.allowlist.rules, host.allowlist.mode);
    if (host.dedup.windowSeconds > 0) this.dedup = new DedupWindow(host.dedup.windowSeconds, host.maxContainers);
    this.detector = definition.create(own, { containers: this.containers ?? new ContainerStore(0), dataSources: this.dataSources });
  }

  init(ctx: SignatureContext): void {
    const interceptors: Interceptor[] = [];
    if (this.allowlist) interceptors.push(allowlistInterceptor(this.allowlist));
    if (this.dedup) interceptors.push(dedupInterceptor(this.dedup, new Interner()));
    this.dispatch = compose(interceptors, (d) => ctx.emit({ trigger: d.trigger, data: d.last ? [...d.data, ...d.last] : d.data, severity: d.severity }));
    Object.assign(this.dataSources, ctx.dataSources);
  }

  onEvent(event: Event): void {
    const gone = removedContainer(event);
    if (gone !== undefined) {
      this.containers?.forget(gone);
      this.dedup?.forget(gone);
    }
    if (this.selectedNames.has(event.name) || this.selectedNames.has('*')) this.emit(event, this.detector.onEvent(event));
  }

  onSignal(signal: Signal): void {
    this.emit(undefined, this.detector.onSignal?.(signal));
  }

  close(): void {
    this.detector.close?.();
  }

  private emit(event: Event | undefined, findings: readonly Finding[] | undefined | void): void {
    if (!findings) return;
    for (const f of findings) {
      const trigger = f.trigger ?? event;
      if (!trigger) throw new Error(`${this.metadata.id}: a finding from a signal must name its trigger event`);
      this.dispatch({ trigger, data: f.data, severity: f.severity, key: f.key });
    }
  }

  counters(): Record<string, number> {
    const out: Record<string, number> = { ...this.detector.counters?.() };
    if (this.containers) {
      out.containersTracked = this.containers.size;
      out.containersEvicted = this.containers.evicted;
      out.containersRemoved = this.containers.removed;
    }
    if (this.allowlist) {
      let total = 0;
      for (const [rule, n] of this.allowlist.allowed) {
        out[`allowed[${rule}]`] = n;
        total += n;
      }
      out.allowed = total;
      out.allowlistExpiredMatches = this.allowlist.expiredMatches;
    }
    if (this.dedup) {
      out.duplicatesSuppressed = this.dedup.suppressedTotal;
      out.duplicatesPending = this.dedup.pending();
      out.duplicatesUnreported = this.dedup.unreported;
      out.dedupEvictions = this.dedup.evictions;
    }
    return out;
  }

  stats(): SignatureStats {
    const evictions: Record<string, number> = { ...this.detector.evictions?.() };
    if (this.containers) evictions.containers = this.containers.evicted;
    if (this.dedup) evictions.dedup_keys = this.dedup.evictions;
    return {
      allowed: Object.fromEntries(this.allowlist?.allowed ?? []),
      dedupSuppressed: this.dedup?.suppressedTotal,
      containersTracked: this.containers?.size,
      evictions,
    };
  }

  advice(): string[] {
    const out = this.detector.advice?.({ dataSources: Object.keys(this.dataSources).filter((k) => this.dataSources[k as keyof typeof this.dataSources]) }) ?? [];
    if (this.allowlist?.expiredMatches) {
      out.push(`${this.metadata.id}: ${this.allowlist.expiredMatches} finding(s) matched only expired allowlist rules and were reported; renew or remove those rules`);
    }
    return out;
  }

  snapshot(): Record<string, unknown> {
    return { version: 1, containers: this.containers?.entries() ?? [], ...(this.detector.snapshot?.() as object | undefined), dedup: this.dedup?.snapshot() ?? [] };
  }

  /** Replace the state with a snapshot's; throws naming every problem, changing nothing, when it is not one. */
  restore(snapshot: unknown): void {
    const problems = checkersOf(this.definition).snapshot(snapshot);
    if (problems.length > 0) throw new Error(problems.join('; '));
    const { version: _v, containers, dedup, ...shared } = snapshot as { version: 1; containers: [string, unknown][]; dedup?: [string, [string, number, number][]][] };
    this.containers?.restore(containers);
    this.detector.restore?.(shared);
    this.dedup?.restore(dedup ?? []);
  }
}
