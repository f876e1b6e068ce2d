// Tracee's internal event ids (v0.22 ... main), used where Tracee itself uses
// them: `detected_from.id` and legacy `eventId`. Never used for dispatch.
import { nameTable } from './name-table.js';

const INTERNAL_IDS = nameTable({
  sched_process_exec: 715,
  security_socket_connect: 736,
  container_create: 2018,
  container_remove: 2019,
  existing_container: 2020,
});

/** Protobuf EventId values of Tracee main (the `id` of current JSON and gRPC events). */
export const CURRENT_EVENT_IDS = nameTable({
  sched_process_exec: 1015,
  security_socket_connect: 1036,
  container_create: 2017,
  container_remove: 2018,
  existing_container: 2019,
});

/** First id Tracee gives detector events (7500 + registration index). */
export const FIRST_DETECTOR_EVENT_ID = 7500;
/** First id Tracee v0.10-v0.24 gave signature events (6000 + load index). */
export const FIRST_SIGNATURE_EVENT_ID = 6000;

export function internalEventId(name: string, fallback: number): number {
  return INTERNAL_IDS[name] ?? fallback;
}
