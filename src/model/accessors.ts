// Small readers over the event model, named as Tracee names the things they read.
import type { LazyReads, Event, EventValue, Origin, SockAddr, StringArraySummary } from './event.js';

/** Tracee's origin rule: a started container, a container still in init, or the host. */
export function origin(event: Event): Origin {
  const lazy = event as Event & Partial<LazyReads>;
  if (lazy.containerId !== undefined) return lazy.containerId() === '' ? 'host' : lazy.containerStarted!() ? 'container' : 'container-init';
  const c = event.workload?.container;
  if (c && c.id !== '') return c.started ? 'container' : 'container-init';
  return 'host';
}

export function containerId(event: Event): string {
  const lazy = event as Event & Partial<LazyReads>;
  if (lazy.containerId !== undefined) return lazy.containerId();
  return event.workload?.container?.id ?? '';
}

/** The task's name (`comm`), as Tracee's thread name / legacy processName. */
export function comm(event: Event): string {
  return event.workload?.process?.thread?.name ?? '';
}

/** The first argument of that name, as Tracee's helpers take it. */
export function arg(event: Event, name: string): EventValue | undefined {
  const lazy = event as Event & Partial<LazyReads>;
  if (lazy.argument !== undefined) return lazy.argument(name);
  for (const v of event.data) if (v.name === name) return v;
  return undefined;
}

/** A string-array argument; undefined when absent or of another kind (capture off). */
export function stringArrayArg(event: Event, name: string): string[] | undefined {
  const v = arg(event, name);
  if (!v || !v.str_array || !Array.isArray(v.str_array.value)) return undefined;
  return v.str_array.value;
}

export function sockaddrArg(event: Event, name: string): SockAddr | undefined {
  const v = arg(event, name);
  return v?.sockaddr ?? undefined;
}

/**
 * A string-array argument summarized (see StringArraySummary); undefined when
 * absent or of another kind, as `stringArrayArg`. Events read from bytes answer
 * without building a string per entry: what makes a long `env` cheap.
 */
export function stringArraySummary(event: Event, name: string, prefix?: string): StringArraySummary | undefined {
  const lazy = event as Event & Partial<LazyReads>;
  if (lazy.stringArraySummary !== undefined) return lazy.stringArraySummary(name, prefix);
  const entries = stringArrayArg(event, name);
  return entries && summarizeStrings(entries, prefix);
}

/** The summary of decoded entries: the definition the byte readers must match. */
export function summarizeStrings(entries: string[], prefix?: string): StringArraySummary {
  let bytes = 0;
  const withPrefix: string[] = [];
  for (const entry of entries) {
    bytes += Buffer.byteLength(entry) + 1;
    if (prefix !== undefined && entry.startsWith(prefix)) withPrefix.push(entry);
  }
  return { length: entries.length, nulTerminatedBytes: bytes, last: entries[entries.length - 1], withPrefix };
}
