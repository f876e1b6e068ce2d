// Repeat suppression for findings, by event time: per container, per key
// (comm, ip, port), the first occurrence passes; repeats within `windowSeconds`
// of it are counted instead, and the count rides on the next occurrence that
// passes. Bounded: containers least-recently-used, keys per container oldest
// first; counts lost to eviction or container removal are tallied as unreported.

export interface DedupDecision {
  pass: boolean;
  /** Repeats suppressed since the previous occurrence that passed (when pass). */
  suppressed: number;
}

interface Entry {
  start: number; // event seconds of the occurrence that passed
  suppressed: number;
}

/** What a snapshot holds per container: [key, start, suppressed][]. */
export type DedupSnapshot = [string, [string, number, number][]][];

export class DedupWindow {
  private readonly containers = new Map<string, Map<string, Entry>>();
  suppressedTotal = 0;
  /** Suppressed repeats whose count was dropped with an evicted or removed entry. */
  unreported = 0;
  evictions = 0;

  constructor(
    readonly windowSeconds: number,
    readonly maxContainers: number,
    readonly maxKeysPerContainer = 256,
  ) {}

  /** Decide for one occurrence at event time `at` (seconds); undefined time always passes. */
  check(container: string, key: string, at: number | undefined): DedupDecision {
    if (at === undefined) return { pass: true, suppressed: 0 };
    let keys = this.containers.get(container);
    if (keys) {
      this.containers.delete(container);
      this.containers.set(container, keys);
    } else {
      if (this.containers.size >= this.maxContainers) this.evictOldestContainer();
      keys = new Map();
      this.containers.set(container, keys);
    }
    const entry = keys.get(key);
    // Out-of-order events within the window count as repeats too.
    if (entry && Math.abs(at - entry.start) < this.windowSeconds) {
      entry.suppressed++;
      this.suppressedTotal++;
      return { pass: false, suppressed: 0 };
    }
    const suppressed = entry ? entry.suppressed : 0;
    if (entry) keys.delete(key);
    else if (keys.size >= this.maxKeysPerContainer) {
      const [oldestKey, oldest] = keys.entries().next().value as [string, Entry];
      keys.delete(oldestKey);
      this.unreported += oldest.suppressed;
      this.evictions++;
    }
    keys.set(key, { start: at, suppressed: 0 });
    return { pass: true, suppressed };
  }

  private evictOldestContainer(): void {
    const oldest = this.containers.keys().next().value as string;
    this.forget(oldest);
    this.evictions++;
  }

  /** Drop a container's entries (container_remove); their pending counts become unreported. */
  forget(container: string): void {
    const keys = this.containers.get(container);
    if (!keys) return;
    for (const e of keys.values()) this.unreported += e.suppressed;
    this.containers.delete(container);
  }

  /** Repeats suppressed and not yet carried by a finding. */
  pending(): number {
    let n = 0;
    for (const keys of this.containers.values()) for (const e of keys.values()) n += e.suppressed;
    return n;
  }

  snapshot(): DedupSnapshot {
    return [...this.containers].map(([c, keys]) => [c, [...keys].map(([k, e]) => [k, e.start, e.suppressed] as [string, number, number])]);
  }

  restore(snapshot: DedupSnapshot): void {
    this.containers.clear();
    for (const [c, keys] of snapshot) {
      const map = new Map<string, Entry>();
      for (const [k, start, suppressed] of keys.slice(-this.maxKeysPerContainer)) map.set(k, { start, suppressed });
      this.containers.set(c, map);
      if (this.containers.size > this.maxContainers) this.evictOldestContainer();
    }
  }
}
