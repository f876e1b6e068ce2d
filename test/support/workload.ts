// Decorations for test events: where (pod, namespace, labels, image,
// executable) and when (timestamp), for the tuning tests.
import type { Event } from '../../src/model/event.js';

export interface Place {
  namespace?: string;
  pod?: string;
  labels?: Record<string, string>;
  containerName?: string;
  image?: string;
  digests?: string[];
  executable?: string;
}

export function placed(event: Event, p: Place): Event {
  const w = structuredClone(event.workload ?? {});
  if (p.namespace !== undefined || p.pod !== undefined || p.labels !== undefined) {
    w.k8s = { pod: { name: p.pod ?? 'app-7d9f8-x2x9z', uid: 'uid-1', labels: p.labels }, namespace: { name: p.namespace ?? 'default' } };
  }
  if (w.container) {
    if (p.containerName !== undefined) w.container.name = p.containerName;
    if (p.image !== undefined || p.digests !== undefined) w.container.image = { id: '', name: p.image ?? '', repo_digests: p.digests };
  }
  if (p.executable !== undefined) w.process = { ...(w.process ?? {}), executable: { path: p.executable } };
  return { ...event, workload: w };
}

/** The event at `seconds` past an arbitrary epoch (nanos 0). */
export function at(event: Event, seconds: number): Event {
  return { ...event, timestamp: { seconds: 1_772_000_000 + seconds, nanos: 0 } };
}

/** A distinct 64-hex container id for index i. */
export function containerN(i: number): string {
  return i.toString(16).padStart(64, 'c');
}
