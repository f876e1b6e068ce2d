// Finding interceptors: what the host does to any signature's findings between
// the signature and the output, composed around one dispatch as undici composes
// its interceptors (`interceptor(next) => dispatch`). Each is configured per
// signature; none knows which signature it serves.
import type { Event, EventValue } from '../model/event.js';
import { Severity } from '../model/event.js';
import { containerId } from '../model/accessors.js';
import type { Allowlist } from './allowlist.js';
import type { Interner } from '../sdk/interner.js';
import type { DedupWindow } from './dedup.js';

/** A finding on its way out: what the signature returned, as interceptors change it. */
export interface FindingDraft {
  trigger: Event;
  data: EventValue[];
  severity?: number;
  /** What makes two findings of one container repeats (default: the data's values). */
  key?: string;
  /** Fields an interceptor adds that go after every other (allowed_by), so the data reads as before the interceptors moved here. */
  last?: EventValue[];
}

export type Dispatch = (draft: FindingDraft) => void;
export type Interceptor = (next: Dispatch) => Dispatch;

/** `compose([a, b], emit)` runs a, then b, then emit: the first interceptor sees the finding first. */
export function compose(interceptors: Interceptor[], dispatch: Dispatch): Dispatch {
  return interceptors.reduceRight((next, interceptor) => interceptor(next), dispatch);
}

/** Seconds since the epoch of an event, or undefined when it has no timestamp. */
export function eventSeconds(event: Event): number | undefined {
  return event.timestamp ? event.timestamp.seconds + event.timestamp.nanos / 1e9 : undefined;
}

/**
 * Allowlist: a finding whose trigger a rule in force allows is counted and
 * dropped (mode suppress), or passed on at INFO severity with `allowed_by`
 * naming the rule (mode audit).
 */
export function allowlistInterceptor(allowlist: Allowlist): Interceptor {
  return (next) => (draft) => {
    const allowedBy = allowlist.allow(draft.trigger);
    if (allowedBy === undefined) return next(draft);
    if (allowlist.mode !== 'audit') return;
    next({ ...draft, severity: Severity.INFO, last: [...(draft.last ?? []), { name: 'allowed_by', str: allowedBy }] });
  };
}

/** The dedup key of a finding: the signature's own, else its data values. */
function keyOf(draft: FindingDraft): string {
  if (draft.key !== undefined) return draft.key;
  return draft.data.map((v) => JSON.stringify(v)).join('\0');
}

/**
 * Dedup: per container of the trigger and per finding key, repeats within the
 * window (by event time) are counted instead of passed on; the next finding of
 * that key that passes carries the count as `count`.
 */
export function dedupInterceptor(window: DedupWindow, keys: Interner): Interceptor {
  return (next) => (draft) => {
    const decision = window.check(containerId(draft.trigger), keys.intern(keyOf(draft)), eventSeconds(draft.trigger));
    if (!decision.pass) return;
    next({ ...draft, data: [...draft.data, { name: 'count', u_int32: decision.suppressed }] });
  };
}
