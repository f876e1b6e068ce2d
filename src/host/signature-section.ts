// The keys the host adds to every signature's config section: the finding
// interceptors (allowlist, dedup) and the bound of its per-container state.
// A section is the signature's own schema's properties plus these.
import type { AnyDefinition, JsonSchema } from '../sdk/signature.js';
import type { AllowlistMode, AllowRule } from './allowlist.js';

export interface HostSettings {
  /** Containers whose state is kept at most (least recently used evicted). */
  maxContainers: number;
  allowlist: { mode: AllowlistMode; rules: AllowRule[] };
  dedup: { windowSeconds: number };
}

/** The host's keys as a section may write them (every key optional). */
export interface HostSection {
  maxContainers?: number;
  allowlist?: { mode?: AllowlistMode; rules?: AllowRule[] };
  dedup?: { windowSeconds?: number };
}

export const HOST_DEFAULTS: HostSettings = { maxContainers: 65536, allowlist: { mode: 'suppress', rules: [] }, dedup: { windowSeconds: 0 } };

const stringOrList = (description: string) => ({
  description,
  type: ['string', 'array'],
  minLength: 1,
  minItems: 1,
  items: { type: 'string', minLength: 1 },
});

export const HOST_SECTION_PROPERTIES: Record<keyof HostSettings, JsonSchema> = {
  maxContainers: { description: 'Containers whose state is kept at most (least recently used evicted).', type: 'integer', minimum: 1, maximum: 10000000, default: 65536 },
  allowlist: {
    description: "Expected findings: a rule in force that matches the finding's event allows it (Falco-like exceptions).",
    type: 'object',
    additionalProperties: false,
    properties: {
      mode: {
        description: 'suppress: count allowed findings, report nothing; audit: report them with severity INFO and allowed_by.',
        enum: ['suppress', 'audit'],
        default: 'suppress',
      },
      rules: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { description: 'Unique rule name; shown in counters and allowed_by.', type: 'string', minLength: 1, maxLength: 128 },
            namespace: stringOrList('Kubernetes namespace(s), exact.'),
            podName: stringOrList('Pod name glob(s): * any characters, ? one.'),
            podLabels: {
              description: 'Pod labels that must all be present with these values (only events that carry labels can match).',
              type: 'object',
              minProperties: 1,
              additionalProperties: { type: 'string' },
            },
            containerName: stringOrList('Container name(s), exact.'),
            image: stringOrList('Container image glob(s), with or without :tag or @digest.'),
            comm: stringOrList('Process name(s) (comm), exact.'),
            executable: stringOrList('Executable path(s), exact.'),
            reason: { description: 'Why this is allowed (for reviewers).', type: 'string' },
            expires: {
              description: 'YYYY-MM-DD (allowed through that day, UTC) or an RFC 3339 date-time; judged by event time.',
              type: 'string',
              format: 'date-or-date-time',
            },
          },
        },
      },
    },
  },
  dedup: {
    type: 'object',
    additionalProperties: false,
    properties: {
      windowSeconds: {
        description: "Repeats of a finding (same container, same finding key) within this many seconds are counted, not reported; 0 = off.",
        type: 'number',
        minimum: 0,
        maximum: 604800,
        default: 0,
      },
    },
  },
};

/** A signature's whole config section: its own keys and the host's. */
export function sectionSchema(definition: AnyDefinition): JsonSchema {
  const own = (definition.config ?? { type: 'object', properties: {} }) as { properties?: Record<string, JsonSchema> };
  for (const key of Object.keys(own.properties ?? {})) {
    if (key in HOST_SECTION_PROPERTIES) throw new Error(`${definition.metadata.id}: config key "${key}" is the host's; choose another name`);
  }
  return {
    ...own,
    type: 'object',
    additionalProperties: false,
    description: `${definition.metadata.id} (${definition.metadata.eventName}): ${definition.metadata.name}`,
    properties: { ...own.properties, ...HOST_SECTION_PROPERTIES },
  };
}

const LIST_KEYS = ['namespace', 'podName', 'containerName', 'image', 'comm', 'executable'] as const;

/** A rule as written (a value or a list) -> as the allowlist takes it (lists). */
function asLists(rule: AllowRule): AllowRule {
  const out: AllowRule = { ...rule };
  for (const k of LIST_KEYS) {
    const v = rule[k] as string | string[] | undefined;
    if (v !== undefined) out[k] = Array.isArray(v) ? [...v] : [v];
  }
  return out;
}

/** Split a checked section (defaults applied) into the host's settings and the signature's own config. */
export function splitSection(section: Record<string, unknown>): { host: HostSettings; own: Record<string, unknown> } {
  const { maxContainers, allowlist, dedup, ...own } = section;
  const a = (allowlist ?? {}) as { mode?: AllowlistMode; rules?: AllowRule[] };
  return {
    host: {
      maxContainers: (maxContainers as number | undefined) ?? HOST_DEFAULTS.maxContainers,
      allowlist: { mode: a.mode ?? 'suppress', rules: (a.rules ?? []).map(asLists) },
      dedup: { windowSeconds: (dedup as { windowSeconds?: number } | undefined)?.windowSeconds ?? 0 },
    },
    own,
  };
}
