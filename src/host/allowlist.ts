// Allowlist rules over a triggering event's workload: who may talk to the API
// server. Keys inside one rule must all match (AND); any rule suffices (OR).
// A key that lists several values matches when any value does.
//
// Every key reads the event only: a rule never matches a field the event does
// not carry (no labels in the event = a label rule does not match). Expiry is
// judged against the event's own timestamp, so a replay of last month's
// recording is judged by the rules in force last month.
import type { Event } from '../model/event.js';
import { compileGlob } from './glob.js';
import { compileImagePattern, containerImageReferences } from './image.js';

/** One rule as configured (values already lists). */
export interface AllowRule {
  name: string;
  namespace?: string[]; // exact
  podName?: string[]; // globs
  podLabels?: Record<string, string>; // every label, exact
  containerName?: string[]; // exact
  image?: string[]; // image patterns (globs, with or without tag/digest)
  comm?: string[]; // exact
  executable?: string[]; // exact paths
  reason?: string;
  /** RFC 3339 date-time or YYYY-MM-DD (valid through that day, UTC). */
  expires?: string;
}

export const MATCH_KEYS = ['namespace', 'podName', 'podLabels', 'containerName', 'image', 'comm', 'executable'] as const;

export type AllowlistMode = 'suppress' | 'audit';

type Test = (event: Event) => boolean;

interface CompiledRule {
  name: string;
  /** Seconds since the epoch after which the rule no longer applies; Infinity = never. */
  expiresAt: number;
  tests: Test[];
}

/** Seconds since the epoch at which an `expires` value takes effect; NaN when unreadable. */
export function expiryInstant(expires: string): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(expires)) {
    const start = Date.parse(`${expires}T00:00:00Z`);
    return Number.isNaN(start) ? NaN : start / 1000 + 86400; // through the end of that day, UTC
  }
  return Date.parse(expires) / 1000;
}

function oneOf(values: string[], read: (e: Event) => string | undefined): Test {
  const set = new Set(values);
  return (e) => {
    const v = read(e);
    return v !== undefined && v !== '' && set.has(v);
  };
}

function anyGlob(patterns: string[], read: (e: Event) => string | undefined): Test {
  const globs = patterns.map(compileGlob);
  return (e) => {
    const v = read(e);
    return v !== undefined && v !== '' && globs.some((g) => g(v));
  };
}

function compileRule(rule: AllowRule): CompiledRule {
  const tests: Test[] = [];
  if (rule.namespace) tests.push(oneOf(rule.namespace, (e) => e.workload?.k8s?.namespace?.name));
  if (rule.podName) tests.push(anyGlob(rule.podName, (e) => e.workload?.k8s?.pod?.name));
  if (rule.podLabels) {
    const wanted = Object.entries(rule.podLabels);
    tests.push((e) => {
      const labels = e.workload?.k8s?.pod?.labels;
      return !!labels && wanted.every(([k, v]) => Object.prototype.hasOwnProperty.call(labels, k) && labels[k] === v);
    });
  }
  if (rule.containerName) tests.push(oneOf(rule.containerName, (e) => e.workload?.container?.name));
  if (rule.image) {
    const patterns = rule.image.map(compileImagePattern);
    tests.push((e) => {
      const refs = containerImageReferences(e.workload?.container);
      return refs.length > 0 && patterns.some((p) => p(refs));
    });
  }
  if (rule.comm) tests.push(oneOf(rule.comm, (e) => e.workload?.process?.thread?.name));
  if (rule.executable) tests.push(oneOf(rule.executable, (e) => e.workload?.process?.executable?.path));
  if (tests.length === 0) throw new Error(`allowlist rule "${rule.name}" has no match key; it would allow everything`);
  const expiresAt = rule.expires === undefined ? Infinity : expiryInstant(rule.expires);
  if (Number.isNaN(expiresAt)) throw new Error(`allowlist rule "${rule.name}": unreadable expires "${rule.expires}"`);
  return { name: rule.name, expiresAt, tests };
}

export class Allowlist {
  private readonly rules: CompiledRule[];
  /** Connections allowed, per rule name, in rule order. */
  readonly allowed = new Map<string, number>();
  /** Events a rule matched but had expired for (judged by the event's timestamp). */
  expiredMatches = 0;

  constructor(rules: AllowRule[], readonly mode: AllowlistMode = 'suppress') {
    this.rules = rules.map(compileRule);
    for (const r of this.rules) this.allowed.set(r.name, 0);
  }

  get size(): number {
    return this.rules.length;
  }

  /** The name of the first rule in force that allows this event, counting it; undefined when none does. */
  allow(event: Event): string | undefined {
    const at = event.timestamp ? event.timestamp.seconds + event.timestamp.nanos / 1e9 : undefined;
    let expiredMatch = false;
    for (const r of this.rules) {
      if (!r.tests.every((t) => t(event))) continue;
      // No timestamp, no way to tell whether a dated rule still applies: alert rather than allow.
      if (r.expiresAt !== Infinity && (at === undefined || at >= r.expiresAt)) {
        expiredMatch = true;
        continue;
      }
      this.allowed.set(r.name, (this.allowed.get(r.name) ?? 0) + 1);
      return r.name;
    }
    if (expiredMatch) this.expiredMatches++;
    return undefined;
  }
}
