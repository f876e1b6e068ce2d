// User signatures from directories of compiled JavaScript modules
// (--signatures-dir, repeatable): every *.js, *.cjs and *.mjs file directly in
// each directory, in name order, is one signature whose default export (or
// export named `signature`) is a definition. Each is checked at load — shape,
// schemas, a first create() with its defaults, ids unique — so a bad module
// stops the start with one line naming the file and the problem, never an
// error later in the event stream.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AnyDefinition } from '../sdk/signature.js';
import { compileSchemas, HostedSignature } from './instance.js';
import { schemaChecker } from './schema.js';

export class SignatureModuleError extends Error {
  constructor(readonly file: string, readonly problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'SignatureModuleError';
  }
}

const SELECTOR = {
  type: 'object',
  required: ['source', 'name', 'origin'],
  properties: { source: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1 }, origin: { enum: ['host', 'container', 'container-init', '*'] } },
};

/** What a definition must look like beyond `create` (checked before anything of it runs). */
export const DEFINITION_SCHEMA = {
  type: 'object',
  required: ['metadata', 'selectedEvents'],
  properties: {
    metadata: {
      type: 'object',
      required: ['id', 'version', 'name', 'eventName', 'description', 'tags', 'severity', 'category', 'mitre', 'properties'],
      properties: {
        id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' },
        version: { type: 'string', minLength: 1 },
        name: { type: 'string', minLength: 1 },
        eventName: { type: 'string', pattern: '^[a-z0-9_]+$' },
        description: { type: 'string' },
        tags: { type: 'array', items: { type: 'string' } },
        severity: { type: 'integer', minimum: 0, maximum: 4 },
        category: { type: 'string' },
        mitre: {
          type: 'object',
          required: ['tactic', 'technique'],
          properties: { tactic: { type: 'string' }, technique: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } } },
        },
        properties: { type: 'object', additionalProperties: { type: ['string', 'number'] } },
      },
    },
    selectedEvents: { type: 'array', minItems: 1, items: SELECTOR },
    requires: { type: 'array', items: { type: 'string' } },
    config: { type: 'object' },
    state: { type: 'object', properties: { container: { type: 'object' }, shared: { type: 'object' } } },
    formats: { type: 'object' },
  },
};

let checkDefinition: ((data: unknown) => string[]) | undefined;

/** The definition a module exports, checked; throws SignatureModuleError. */
export function definitionOf(file: string, exported: unknown): AnyDefinition {
  const m = exported as Record<string, unknown> | undefined;
  const candidate = (m?.default as Record<string, unknown> | undefined)?.metadata !== undefined ? m!.default : m?.signature ?? m?.default;
  if (candidate === undefined || candidate === null || typeof candidate !== 'object') {
    throw new SignatureModuleError(file, 'exports no signature definition: expected `export default defineSignature({...})` (or an export named `signature`)');
  }
  checkDefinition ??= schemaChecker(DEFINITION_SCHEMA);
  const problems = checkDefinition(candidate);
  if (problems.length > 0) throw new SignatureModuleError(file, `not a signature definition: ${problems.join('; ')}`);
  const definition = candidate as AnyDefinition;
  if (typeof definition.create !== 'function') throw new SignatureModuleError(file, `not a signature definition: create: expected a function`);
  try {
    compileSchemas(definition); // both, though a run may need only the config section's
  } catch (e) {
    throw new SignatureModuleError(file, `${definition.metadata.id} has a schema (config or state) that ajv refuses: ${(e as Error).message}`);
  }
  try {
    new HostedSignature(definition, {}); // runs create() once with the defaults
  } catch (e) {
    throw new SignatureModuleError(file, `${definition.metadata.id} cannot start with its default config: ${(e as Error).message}`);
  }
  return definition;
}

/** Signature modules of one directory, in name order. */
function modulesIn(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SignatureModuleError(dir, code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : (e as Error).message);
  }
  const files = names.filter((n) => /\.(c|m)?js$/.test(n)).sort().map((n) => path.join(dir, n));
  if (files.length === 0) throw new SignatureModuleError(dir, 'holds no signature module (*.js, *.cjs, *.mjs); build your signature into it first');
  return files;
}

/** Every signature in these directories, checked, ids and event names unique among them and `taken`. */
export function loadSignatureDirs(dirs: readonly string[], taken: readonly AnyDefinition[] = []): AnyDefinition[] {
  const loaded: AnyDefinition[] = [];
  const ids = new Map<string, string>(taken.map((d) => [d.metadata.id, 'a built-in signature']));
  const eventNames = new Map<string, string>(taken.map((d) => [d.metadata.eventName, `built-in ${d.metadata.id}`]));
  for (const dir of dirs) {
    for (const file of modulesIn(dir)) {
      let exported: unknown;
      try {
        exported = require(path.resolve(file)); // CommonJS, and ES modules (Node >= 20.19)
      } catch (e) {
        throw new SignatureModuleError(file, `cannot load: ${(e as Error).message.split('\n')[0]}`);
      }
      const d = definitionOf(file, exported);
      const idOwner = ids.get(d.metadata.id);
      if (idOwner) throw new SignatureModuleError(file, `signature id ${d.metadata.id} is already used by ${idOwner}`);
      const nameOwner = eventNames.get(d.metadata.eventName);
      if (nameOwner) throw new SignatureModuleError(file, `event name ${d.metadata.eventName} is already produced by ${nameOwner}`);
      ids.set(d.metadata.id, file);
      eventNames.set(d.metadata.eventName, d.metadata.id);
      loaded.push(d);
    }
  }
  return loaded;
}
