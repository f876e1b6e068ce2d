// The configuration's JSON Schema (draft-07), validated with ajv. It lives here
// as a module so the build ships it with the code; `tracee-sig config schema`
// prints it, composed with every signature's section (`signatures.<id>`).
// Custom formats (checked by load.ts): "ip-address", "host-port",
// "date-or-date-time", and those signatures define.
// The top-level apiServer, allowlist, dedup and limits are TRC-1013's keys from
// before sections existed: still accepted, mapped into signatures.TRC-1013
// with a deprecation warning (load.ts, LEGACY_KEYS).
import { BUILTIN_SIGNATURES } from '../../signatures/index.js';
import type { AnyDefinition, JsonSchema } from '../sdk/signature.js';
import { sectionSchema } from '../host/signature-section.js';
const stringOrList = (description: string) => ({
  description,
  type: ['string', 'array'],
  minLength: 1,
  minItems: 1,
  items: { type: 'string', minLength: 1 },
});

export const CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://github.com/tracee-sig/tracee-sig/config.schema.json',
  title: 'tracee-sig configuration',
  type: 'object',
  additionalProperties: false,
  properties: {
    apiServer: {
      description: 'Deprecated: use signatures.TRC-1013 (addresses, learnAfterContainers, resolveHostnames) and hostnames. Where the Kubernetes API server is, beyond what each container shows in KUBERNETES_SERVICE_HOST.',
      type: 'object',
      additionalProperties: false,
      properties: {
        addresses: {
          description: 'API server addresses (Service IP, real endpoint IPs) that apply to every container.',
          type: 'array',
          items: { type: 'string', format: 'ip-address' },
        },
        learnAfterContainers: {
          description: 'An address shown in the env of this many distinct containers applies to every container; 0 (the default) turns learning off; 3 is a good value.',
          type: 'integer',
          minimum: 0,
          maximum: 1000,
          default: 0,
        },
        resolveHostnames: {
          description: 'Resolve KUBERNETES_SERVICE_HOST values that are host names (opt-in).',
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: { type: 'boolean', default: false },
            servers: {
              description: 'DNS servers (IP or IP:port); default: the system resolver configuration.',
              type: 'array',
              items: { type: 'string', format: 'host-port' },
            },
            ttlSeconds: { description: 'How long an answer is kept.', type: 'integer', minimum: 1, maximum: 86400, default: 60 },
            timeoutMs: { description: 'Longest wait for one lookup.', type: 'integer', minimum: 10, maximum: 60000, default: 2000 },
            maxNames: { description: 'Names cached at most (least recently used dropped).', type: 'integer', minimum: 1, maximum: 1000000, default: 1024 },
          },
        },
      },
    },
    allowlist: {
      description: 'Deprecated: use signatures.TRC-1013.allowlist. Connections to the API server that are expected.',
      type: 'object',
      additionalProperties: false,
      properties: {
        mode: {
          description: 'suppress: count allowed connections, report nothing; audit: report them with severity INFO and allowed_by.',
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
      description: 'Deprecated: use signatures.TRC-1013.dedup.',
      type: 'object',
      additionalProperties: false,
      properties: {
        windowSeconds: {
          description: 'Repeats per (container, comm, ip, port) within this many seconds of a finding are counted, not reported; 0 = off.',
          type: 'number',
          minimum: 0,
          maximum: 604800,
          default: 0,
        },
      },
    },
    limits: {
      description: 'Deprecated: use signatures.TRC-1013 (maxContainers, maxAddressesPerContainer, maxLearnCandidates, maxLearnedAddresses).',
      type: 'object',
      additionalProperties: false,
      properties: {
        maxContainers: { description: 'Containers tracked at most (least recently used evicted).', type: 'integer', minimum: 1, maximum: 10000000, default: 65536 },
        maxAddressesPerContainer: { description: 'Distinct addresses kept per container.', type: 'integer', minimum: 1, maximum: 1024, default: 8 },
        maxLearnCandidates: { description: 'Addresses counted towards learnAfterContainers at most.', type: 'integer', minimum: 1, maximum: 1000000, default: 4096 },
        maxLearnedAddresses: { description: 'Learned cluster-wide addresses at most.', type: 'integer', minimum: 1, maximum: 65536, default: 256 },
      },
    },
    hostnames: {
      description: 'The hostname data source: resolves host names for signatures that ask (TRC-1013 with resolveHostnames).',
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean', default: false },
        servers: { description: 'DNS servers (IP or IP:port); default: the system resolver configuration.', type: 'array', items: { type: 'string', format: 'host-port' } },
        ttlSeconds: { description: 'How long an answer is kept.', type: 'integer', minimum: 1, maximum: 86400, default: 60 },
        timeoutMs: { description: 'Longest wait for one lookup.', type: 'integer', minimum: 10, maximum: 60000, default: 2000 },
        maxNames: { description: 'Names cached at most (least recently used dropped).', type: 'integer', minimum: 1, maximum: 1000000, default: 1024 },
      },
    },
    state: {
      type: 'object',
      additionalProperties: false,
      properties: {
        file: { description: 'State file path; written atomically, loaded at start.', type: 'string', minLength: 1 },
        intervalSeconds: { description: 'Seconds between writes (and one on shutdown).', type: 'integer', minimum: 1, maximum: 86400, default: 5 },
      },
    },
  },
} as const;

/** The whole configuration schema: the top level above and one section per signature, each its own schema. */
export function configSchema(definitions: readonly AnyDefinition[] = BUILTIN_SIGNATURES): JsonSchema {
  return {
    ...CONFIG_SCHEMA,
    properties: {
      signatures: {
        description: 'Per signature, by id: its own keys (its schema) and the host\'s (allowlist, dedup, maxContainers).',
        type: 'object',
        additionalProperties: false,
        properties: Object.fromEntries(definitions.map((d) => [d.metadata.id, sectionSchema(d)])),
      },
      ...CONFIG_SCHEMA.properties,
    },
  };
}
