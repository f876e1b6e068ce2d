// TRC-1013's addresses beyond each container's own: configured cluster-wide
// ones, and ones learned because enough distinct containers showed them; and
// what its address sets hold (an address key, or dns:<name> for a host name).
import { addressKey } from '../../src/model/address.js';

/** A hostname value is kept in the same sets as addresses, under this prefix. */
export const NAME_PREFIX = 'dns:';

/** A DNS name as KUBERNETES_SERVICE_HOST may hold one (lower case, no trailing dot); undefined otherwise. */
export function hostnameOf(value: string): string | undefined {
  const name = value.toLowerCase().replace(/\.$/, '');
  if (name.length === 0 || name.length > 253 || !/[a-z]/.test(name)) return undefined;
  return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(name) ? name : undefined;
}

/** True for what the sets may hold: a canonical address key or dns:<name>. */
export function isStateKey(key: unknown): key is string {
  if (typeof key !== 'string') return false;
  if (key.startsWith(NAME_PREFIX)) return hostnameOf(key.slice(NAME_PREFIX.length)) === key.slice(NAME_PREFIX.length);
  return addressKey(key) === key;
}

/**
 * Addresses that apply to every container: configured ones, and learned ones
 * (shown by at least `threshold` distinct containers). A container counts once
 * per address however often it shows it, so one container forging its env
 * cannot arm an address for everyone.
 */
export class ClusterAddresses {
  readonly configured = new Set<string>();
  readonly learned = new Set<string>();
  /** address key -> distinct containers that showed it (fewer than threshold), LRU. */
  private readonly candidates = new Map<string, string[]>();
  candidatesEvicted = 0;
  learnedDropped = 0;

  constructor(readonly threshold: number, readonly maxCandidates: number, readonly maxLearned: number) {}

  has(key: string): 'configured' | 'learned' | undefined {
    return this.configured.has(key) ? 'configured' : this.learned.has(key) ? 'learned' : undefined;
  }

  /** A container showed this key; true when that made it cluster-wide. */
  observe(key: string, container: string): boolean {
    if (this.threshold <= 0 || this.configured.has(key) || this.learned.has(key)) return false;
    let seen = this.candidates.get(key);
    if (seen) this.candidates.delete(key);
    else {
      if (this.candidates.size >= this.maxCandidates) {
        this.candidates.delete(this.candidates.keys().next().value as string);
        this.candidatesEvicted++;
      }
      seen = [];
    }
    if (!seen.includes(container)) seen.push(container);
    if (seen.length < this.threshold) {
      this.candidates.set(key, seen);
      return false;
    }
    if (this.learned.size >= this.maxLearned) {
      this.learnedDropped++;
      return false;
    }
    this.addLearned(key);
    return true;
  }

  get candidateCount(): number {
    return this.candidates.size;
  }

  candidateEntries(): [string, string[]][] {
    return [...this.candidates].map(([k, cs]) => [k, [...cs]]);
  }

  /** Learned hostname keys (dns:<name>), kept apart so the connect path need not scan addresses. */
  learnedNames(): readonly string[] {
    return this.names;
  }
  private names: string[] = [];

  private addLearned(key: string): void {
    this.learned.add(key);
    if (key.startsWith(NAME_PREFIX)) this.names.push(key);
  }

  restore(learned: string[], candidates: [string, string[]][]): void {
    this.learned.clear();
    this.names = [];
    this.candidates.clear();
    for (const k of learned) if (this.learned.size < this.maxLearned) this.addLearned(k);
    if (this.threshold <= 0) return;
    for (const [k, cs] of candidates.slice(-this.maxCandidates)) {
      // The threshold may have been lowered since the snapshot was taken.
      if (cs.length >= this.threshold) {
        if (this.learned.size < this.maxLearned) this.addLearned(k);
      } else this.candidates.set(k, [...cs]);
    }
  }
}
