// The per-container state the host keeps for one signature: a Map in least
// recently used order (a re-insert moves a container last), at most
// `maxContainers` containers (the least recently used evicted and counted),
// a container forgotten on container_remove, exported and restored as
// [container, state] pairs, least recently used first.
import type { ContainerState } from '../sdk/signature.js';

export class ContainerStore<S> implements ContainerState<S> {
  private readonly containers = new Map<string, S>();
  evicted = 0;
  removed = 0;

  constructor(readonly maxContainers: number) {}

  get(container: string): S | undefined {
    return this.containers.get(container);
  }

  touch(container: string): S | undefined {
    const state = this.containers.get(container);
    if (state !== undefined) {
      this.containers.delete(container); // re-insert: most recently used last
      this.containers.set(container, state);
    }
    return state;
  }

  set(container: string, state: S): void {
    if (!this.containers.delete(container) && this.containers.size >= this.maxContainers) this.evictOldest();
    this.containers.set(container, state);
  }

  /** container_remove: true when the container was known. */
  forget(container: string): boolean {
    const known = this.containers.delete(container);
    if (known) this.removed++;
    return known;
  }

  get size(): number {
    return this.containers.size;
  }

  /** Least recently used first. */
  entries(): [string, S][] {
    return [...this.containers];
  }

  /** Replace every container's state with these (least recently used first), within the bound. */
  restore(entries: [string, S][]): void {
    this.containers.clear();
    for (const [container, state] of entries) this.set(container, state);
  }

  private evictOldest(): void {
    this.containers.delete(this.containers.keys().next().value as string);
    this.evicted++;
  }
}
