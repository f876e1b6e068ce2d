// The configuration's JSON Schema (draft-07), validated with ajv. It lives here
// as a module so the build ships it with the code; `tracee-sig config schema`
// prints it, composed with every signature's section (`signatures.<id>`).
// Custom formats (checked by load.ts): "ip-address", "host-port",
// "date-or-date-time", and those signatures define.
// The top-level apiServer, allowlist, dedup and limits are TRC-1013's keys from
// before sections existed: still accepted, mapped into signatures.TRC-1013
// with a deprecation warning (load.ts, LEGACY_KEYS).
import { BUILTIN_SIGNATURES } from '../../signatures/index.js';
import k8sApiConnection from '../../signatures/k8s_api_connection.js';
import type { AnyDefinition, JsonSchema } from '../sdk/signature.js';
import { HOST_SECTION_PROPERTIES, sectionSchema } from '../host/signature-section.js';

const TRC_1013 = (k8sApiConnection.config as { properties: Record<string, JsonSchema> }).properties;
const deprecated = (replacement: string, schema: JsonSchema): JsonSchema => ({ ...schema, description: `Deprecated: use ${replacement}. ${schema.description ?? ''}`.trim() });

/** The hostname data source's settings (`hostnames`; before, `apiServer.resolveHostnames`). */
const RESOLVER: JsonSchema = {
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
};

export const CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://github.com/tracee-sig/tracee-sig/config.schema.json',
  title: 'tracee-sig configuration',
  type: 'object',
  additionalProperties: false,
  properties: {
    // TRC-1013's keys from before sections, each the same schema as its new key.
    apiServer: {
      description: 'Deprecated: use signatures.TRC-1013 (addresses, learnAfterContainers, resolveHostnames) and hostnames.',
      type: 'object',
      additionalProperties: false,
      properties: { addresses: TRC_1013.addresses, learnAfterContainers: TRC_1013.learnAfterContainers, resolveHostnames: deprecated('hostnames', RESOLVER) },
    },
    allowlist: deprecated('signatures.TRC-1013.allowlist', HOST_SECTION_PROPERTIES.allowlist),
    dedup: deprecated('signatures.TRC-1013.dedup', HOST_SECTION_PROPERTIES.dedup),
    limits: {
      description: 'Deprecated: use signatures.TRC-1013 (maxContainers, maxAddressesPerContainer, maxLearnCandidates, maxLearnedAddresses).',
      type: 'object',
      additionalProperties: false,
      properties: {
        maxContainers: HOST_SECTION_PROPERTIES.maxContainers,
        maxAddressesPerContainer: TRC_1013.maxAddressesPerContainer,
        maxLearnCandidates: TRC_1013.maxLearnCandidates,
        maxLearnedAddresses: TRC_1013.maxLearnedAddresses,
      },
    },
    hostnames: RESOLVER,
    state: {
      type: 'object',
      additionalProperties: false,
      properties: {
        file: { description: 'State file path; written atomically, loaded at start.', type: 'string', minLength: 1 },
        intervalSeconds: { description: 'Seconds between writes (and one on shutdown).', type: 'integer', minimum: 1, maximum: 86400, default: 5 },
      },
    },
  },
};

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
