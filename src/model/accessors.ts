// Small readers over the event model, named as Tracee names the things they read.
import type { LazyReads, Event, EventValue, Origin, SockAddr } from './event.js';

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
