// Tracee enrichments a signature may require (`requires`), and how an input
// shows whether Tracee had one on: the event that carries it and whether it did.
import type { Event } from './event.js';
import { stringArraySummary } from './accessors.js';
import { nameTable } from './name-table.js';

export interface Enrichment {
  /** The event that carries it. */
  event: string;
  /** What it is, as "none of the N <event> events carries <what>". */
  what: string;
  /** How to turn it on in Tracee. */
  howToEnable: string;
  carried(event: Event): boolean;
}

export const ENRICHMENTS = nameTable<Enrichment>({
  environment: {
    event: 'sched_process_exec',
    what: 'an environment',
    howToEnable:
      'turn on environment capture in Tracee: `--output option:exec-env` (Tracee v0.9 to v0.24.x), ' +
      '`--enrichment environment` (Tracee main from 2026-01-14; `--enrichment exec-env` on 2026-01-11..13 builds)',
    carried: (event: Event) => (stringArraySummary(event, 'env')?.length ?? 0) > 0,
  },
});
