// A signature's output becomes a Tracee detection event, built as Tracee's
// detector engine builds one: the trigger's timestamp, workload and policies;
// the produced event's id and name; threat from the metadata; detected_from
// with the trigger's internal id, name and a copy of its data.
import type { Event, Threat } from '../model/event.js';
import type { SignatureMetadata, SignatureOutput } from '../model/signature.js';
import { internalEventId } from '../model/event-ids.js';

export function threatOf(meta: SignatureMetadata, severity = meta.severity): Threat {
  return {
    description: meta.description,
    mitre: { tactic: { name: meta.mitre.tactic }, technique: { id: meta.mitre.technique.id, name: meta.mitre.technique.name } },
    severity,
    name: meta.name,
    properties: {
      Category: meta.category,
      ...Object.fromEntries(Object.entries(meta.properties).map(([k, v]) => [k, String(v)])),
      signatureID: meta.id,
    },
  };
}

/** The id a finding's detected_from names: the legacy eventId as recorded, else Tracee's internal id. */
export function detectedFromId(trigger: Event): number {
  return trigger.source?.recordedEventId ?? internalEventId(trigger.name, trigger.id);
}

export function buildFinding(meta: SignatureMetadata, eventId: number, output: SignatureOutput): Event {
  const trigger = output.trigger;
  return {
    timestamp: trigger.timestamp,
    id: eventId,
    name: meta.eventName,
    policies: trigger.policies ? { matched: [...trigger.policies.matched] } : undefined,
    workload: trigger.workload,
    data: output.data,
    threat: threatOf(meta, output.severity),
    detected_from: {
      id: detectedFromId(trigger),
      name: trigger.name,
      data: trigger.data,
      parent: trigger.detected_from,
    },
    source: trigger.source,
  };
}
