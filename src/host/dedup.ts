// Repeat suppression for findings, by event time: per container, per key
// (comm, ip, port), the first occurrence passes; repeats within `windowSeconds`
// of it are counted instead, and the count rides on the next occurrence that
// passes. Bounded: containers least-recently-used, keys per container oldest
// first; counts lost to eviction or container removal are tallied as unreported.
//
// Memory: a container's entries are one flat array [key, start, suppressed, ...]
// (most containers have one or two keys; a Map per container costs ~3x more),
// and callers should pass flat, shared key strings (see src/sdk/interner.ts).

export interface DedupDecision {
  pass: boolean;
  /** Repeats suppressed since the previous occurrence that passed (when pass). */
  suppressed: number;
}

/** What a snapshot holds per container: [key, start, suppressed][]. */
export type DedupSnapshot = [string, [string, number, number][]][];

type Entries = (string | number)[]; // triples: key, start (event seconds), suppressed

export class DedupWindow {
  private readonly containers = new Map<string, Entries>();
  suppressedTotal = 0;
  /** Suppressed repeats whose count was dropped with an evicted or removed entry. */
  unreported = 0;
  evictions = 0;

  constructor(
    readonly windowSeconds: number,
    readonly maxContainers: number,
    readonly maxKeysPerContainer = 64,
  ) {}

  /** Decide for one occurrence at event time `at` (seconds); undefined time always passes. */
  check(container: string, key: string, at: number | undefined): DedupDecision {
    if (at === undefined) return { pass: true, suppressed: 0 };
    const entries = this.containers.get(container);
    if (!entries) {
      if (this.containers.size >= this.maxContainers) this.evictOldestContainer();
      this.containers.set(container, [key, at, 0]); // a literal: exactly sized (push would reserve 17 slots)
      return { pass: true, suppressed: 0 };
    }
    this.containers.delete(container); // most recently used last
    this.containers.set(container, entries);
    for (let i = 0; i < entries.length; i += 3) {
      if (entries[i] !== key) continue;
      const start = entries[i + 1] as number;
      // Out-of-order events within the window count as repeats too.
      if (Math.abs(at - start) < this.windowSeconds) {
        entries[i + 2] = (entries[i + 2] as number) + 1;
        this.suppressedTotal++;
        return { pass: false, suppressed: 0 };
      }
      const suppressed = entries[i + 2] as number;
      entries[i + 1] = at;
      entries[i + 2] = 0;
      return { pass: true, suppressed };
    }
    if (entries.length >= this.maxKeysPerContainer * 3) {
      this.unreported += entries[2] as number;
      entries.splice(0, 3); // oldest key first
      this.evictions++;
    }
    entries.push(key, at, 0);
    return { pass: true, suppressed: 0 };
  }

  private evictOldestContainer(): void {
    const oldest = this.containers.keys().next().value as string;
    this.forget(oldest);
    this.evictions++;
  }

  /** Drop a container's entries (container_remove); their pending counts become unreported. */
  forget(container: string): void {
    const entries = this.containers.get(container);
    if (!entries) return;
    for (let i = 2; i < entries.length; i += 3) this.unreported += entries[i] as number;
    this.containers.delete(container);
  }

  /** Repeats suppressed and not yet carried by a finding. */
  pending(): number {
    let n = 0;
    for (const entries of this.containers.values()) for (let i = 2; i < entries.length; i += 3) n += entries[i] as number;
    return n;
  }

  snapshot(): DedupSnapshot {
    return [...this.containers].map(([c, e]) => {
      const keys: [string, number, number][] = [];
      for (let i = 0; i < e.length; i += 3) keys.push([e[i] as string, e[i + 1] as number, e[i + 2] as number]);
      return [c, keys];
    });
  }

  restore(snapshot: DedupSnapshot): void {
    this.containers.clear();
    for (const [c, keys] of snapshot) {
      this.containers.set(c, keys.slice(-this.maxKeysPerContainer).flat());
      if (this.containers.size > this.maxContainers) this.evictOldestContainer();
    }
  }
}
