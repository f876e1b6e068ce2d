// The hostname data source a host offers signatures: answers from a TTL cache,
// synchronously, never waiting. An unknown name starts a lookup (A and AAAA)
// and reads as "no answer yet"; the answer serves later calls. Expired answers
// keep serving while a refresh runs, and when a refresh fails. Bounded: at
// most `maxNames` names (least recently used dropped), one lookup per name at
// a time, each given at most `timeoutMs`.
import { promises as dns } from 'node:dns';
import { addressKey } from '../model/address.js';
import type { HostnameSource } from '../model/signature.js';

export interface HostnameResolverOptions {
  /** DNS servers (IP, IPv4:port, [IPv6]:port); empty = the system's. */
  servers?: string[];
  ttlSeconds?: number;
  timeoutMs?: number;
  maxNames?: number;
  /** Milliseconds clock, replaceable for tests. */
  now?: () => number;
}

interface Entry {
  addresses: string[] | undefined; // canonical keys; undefined = never answered
  expiresAt: number; // ms
  lookup?: Promise<void>;
}

/** Names that failed to resolve are retried after at most this long. */
const NEGATIVE_TTL_MS = 30_000;

export class HostnameResolver implements HostnameSource {
  private readonly resolver: dns.Resolver;
  private readonly cache = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private readonly maxNames: number;
  private readonly now: () => number;
  private closed = false;
  readonly counts = { lookups: 0, answered: 0, noAddress: 0, failed: 0, timedOut: 0, namesEvicted: 0 };

  constructor(options: HostnameResolverOptions = {}) {
    this.ttlMs = (options.ttlSeconds ?? 60) * 1000;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.maxNames = options.maxNames ?? 1024;
    this.now = options.now ?? Date.now;
    this.resolver = new dns.Resolver({ timeout: this.timeoutMs, tries: 1 });
    if (options.servers && options.servers.length > 0) this.resolver.setServers(options.servers);
  }

  addresses(name: string): readonly string[] | undefined {
    let entry = this.cache.get(name);
    if (entry) {
      this.cache.delete(name); // most recently used last
      this.cache.set(name, entry);
    } else {
      if (this.cache.size >= this.maxNames) {
        this.cache.delete(this.cache.keys().next().value as string);
        this.counts.namesEvicted++;
      }
      entry = { addresses: undefined, expiresAt: 0 };
      this.cache.set(name, entry);
    }
    if (!entry.lookup && this.now() >= entry.expiresAt && !this.closed) this.startLookup(name, entry);
    return entry.addresses;
  }

  /** Resolves when no lookup is running (tests; shutdown). */
  async settled(): Promise<void> {
    for (;;) {
      const running = [...this.cache.values()].map((e) => e.lookup).filter((p): p is Promise<void> => p !== undefined);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  close(): void {
    this.closed = true;
    this.resolver.cancel();
  }

  private startLookup(name: string, entry: Entry): void {
    this.counts.lookups++;
    const lookup = this.lookup(name, entry).finally(() => {
      entry.lookup = undefined;
    });
    entry.lookup = lookup;
  }

  private async lookup(name: string, entry: Entry): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
      timer.unref();
    });
    const answers = Promise.allSettled([this.resolver.resolve4(name, { ttl: true }), this.resolver.resolve6(name, { ttl: true })]);
    const result = await Promise.race([answers, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.counts.timedOut++;
      this.failed(entry);
      return;
    }
    const records = result.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    const noData = (r: PromiseSettledResult<unknown>) =>
      r.status === 'rejected' && ['ENODATA', 'ENOTFOUND'].includes((r.reason as NodeJS.ErrnoException).code ?? '');
    if (records.length === 0 && !result.every(noData)) {
      this.counts.failed++;
      this.failed(entry);
      return;
    }
    // An answer, possibly "no such name": both are news worth keeping for the TTL.
    const keys = [...new Set(records.map((r) => addressKey(r.address)).filter((k): k is string => k !== undefined))];
    const recordTtlMs = records.length > 0 ? Math.max(1, Math.min(...records.map((r) => r.ttl))) * 1000 : NEGATIVE_TTL_MS;
    entry.addresses = keys;
    entry.expiresAt = this.now() + Math.min(this.ttlMs, recordTtlMs);
    if (keys.length > 0) this.counts.answered++;
    else this.counts.noAddress++;
  }

  /** Keep serving what we had; retry after a short while. */
  private failed(entry: Entry): void {
    entry.expiresAt = this.now() + Math.min(this.ttlMs, NEGATIVE_TTL_MS);
  }

  get size(): number {
    return this.cache.size;
  }
}
