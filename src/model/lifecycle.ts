// Tracee's container lifecycle events, read the way Tracee writes them: the
// host forgets a container's state when one of these says it is gone.
import type { Event } from './event.js';
import { arg } from './accessors.js';

export const CONTAINER_REMOVE = 'container_remove';

/** The id of the container a container_remove event removed; undefined for any other event. */
export function removedContainer(event: Event): string | undefined {
  if (event.name !== CONTAINER_REMOVE) return undefined;
  return arg(event, 'container_id')?.str || undefined;
}
