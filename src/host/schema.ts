// JSON Schema checks with ajv, for everything the host checks against a schema:
// the configuration (composed from each signature's section) and each
// signature's state snapshot. Every error at once, each as
// `key.path: bad value: what was expected`.
//
// Our own schemas (the built-in signatures', the configuration's, a signature
// definition's) are compiled by ajv when the project is built (`make build`:
// precompile-schemas.ts), and a command loads the code of those it needs
// instead of compiling them (loading ajv and compiling were about 30% of a
// command's start). ajv itself is loaded only for a schema it has to compile
// (a user's signature's, or any schema when the build step did not run).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as ajvModule from 'ajv';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import type { JsonSchema, SchemaFormat } from '../sdk/signature.js';

/** The problems with `data` against one schema, none when it is valid; `compile()` compiles it now. */
export type SchemaChecker = ((data: unknown) => string[]) & { compile(): void };

/** A schema as a checker compiles it. */
export interface SchemaSpec {
  schema: JsonSchema;
  formats: Record<string, SchemaFormat>;
  useDefaults: boolean;
}

/**
 * A checker for one schema. `useDefaults` fills in `default`s. Compiled (or its built code loaded)
 * at its first use, or `compile()`: some schemas (state snapshots) are never needed by a run. The schema itself is not checked against JSON Schema's meta-schema here
 * (that doubles the compile time): `checkMetaSchema` does it for schemas from users.
 */
export function schemaChecker(schema: JsonSchema, formats: Record<string, SchemaFormat> = {}, options: { useDefaults?: boolean } = {}): SchemaChecker {
  let validate: ValidateFunction | undefined;
  const compiled = () => (validate ??= compile({ schema, formats, useDefaults: options.useDefaults ?? false }));
  const check = (data: unknown) => {
    const v = compiled();
    return v(data) ? [] : [...new Set((v.errors ?? []).map((e) => describeError(e, data, formats)))];
  };
  return Object.assign(check, { compile: () => void compiled() });
}

/** The options every schema is compiled with, here and by the build step. */
export function ajvOptions(useDefaults: boolean): Options {
  return { allErrors: true, verbose: true, strict: true, allowUnionTypes: true, useDefaults, validateSchema: false };
}

/** Our formats as ajv takes them (the precompiled code is handed the same objects). */
export function ajvFormats(formats: Record<string, SchemaFormat>): Record<string, { type: 'string'; validate: (s: string) => boolean }> {
  return Object.fromEntries(Object.entries(formats).map(([name, f]) => [name, { type: 'string' as const, validate: f.validate }]));
}

/** What names a schema's compiled code: the schema, its formats' names and the options. */
export function schemaKey(spec: SchemaSpec): string {
  return createHash('sha256').update(JSON.stringify([spec.schema, Object.keys(spec.formats).sort(), ajvOptions(spec.useDefaults)])).digest('hex');
}

/** Makes a precompiled validator: its formats, and the module object its code sets exports on. */
export type PrecompiledFactory = (formats: ReturnType<typeof ajvFormats>, module: { exports: unknown }) => void;

/** Where the build step writes each schema's code, as KEY.js. */
export const PRECOMPILED_DIR = path.join(__dirname, 'precompiled-schemas');

/** The build step's code for a schema; undefined when there is none (not built, or the schema changed since). */
function precompiled(spec: SchemaSpec): PrecompiledFactory | undefined {
  const file = path.join(PRECOMPILED_DIR, `${schemaKey(spec)}.js`);
  return fs.existsSync(file) ? (require(file) as PrecompiledFactory) : undefined; // eslint-disable-line @typescript-eslint/no-require-imports
}

/** Whether a schema's code was compiled by the build step. */
export function isPrecompiled(spec: SchemaSpec): boolean {
  return precompiled(spec) !== undefined;
}

let recorded: SchemaSpec[] | undefined;
let compiledAtRunTime = 0;

/** Schemas ajv compiled in this process (not precompiled, or recorded): none for our own, once built. */
export function schemasCompiledAtRunTime(): number {
  return compiledAtRunTime;
}

/**
 * The schemas `run` compiles, each compiled by ajv (for the build step: see precompile-schemas.ts).
 * Checkers compile once: a schema this process compiled before `run` is not seen again.
 */
export function recordCompiledSchemas(run: () => void): SchemaSpec[] {
  recorded = [];
  try {
    run();
    return recorded;
  } finally {
    recorded = undefined;
  }
}

function compile(spec: SchemaSpec): ValidateFunction {
  if (recorded) recorded.push(spec);
  else {
    const factory = precompiled(spec);
    if (factory) {
      const made = { exports: undefined as unknown };
      factory(ajvFormats(spec.formats), made);
      return made.exports as ValidateFunction;
    }
  }
  compiledAtRunTime++;
  return newAjv(spec).compile(spec.schema);
}

/** ajv, loaded at its first use, with our options and `spec`'s formats. */
export function newAjv(spec: Omit<SchemaSpec, 'schema'>, options: Options = {}): ajvModule.Ajv {
  const { Ajv } = require('ajv') as typeof ajvModule; // eslint-disable-line @typescript-eslint/no-require-imports
  const ajv = new Ajv({ ...ajvOptions(spec.useDefaults), ...options });
  for (const [name, f] of Object.entries(ajvFormats(spec.formats))) ajv.addFormat(name, f);
  return ajv;
}

/**
 * Throws "schema is invalid: …" unless `schema` is a valid JSON Schema (checked against the
 * meta-schema): for a schema from a user's signature module; ours are checked by the tests.
 */
export function checkMetaSchema(schema: JsonSchema): void {
  const { Ajv } = require('ajv') as typeof ajvModule; // eslint-disable-line @typescript-eslint/no-require-imports
  new Ajv({ strict: true, allowUnionTypes: true }).validateSchema(schema, true);
}

/** JSON pointer segments -> `a.b[0]["odd.key"]`. */
export function keyPath(segments: string[]): string {
  let out = '';
  for (const s of segments) {
    if (/^\d+$/.test(s)) out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out === '' ? '(top level)' : out;
}

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(data: unknown, segments: string[]): unknown {
  let v = data;
  for (const s of segments) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[s];
  }
  return v;
}

export function show(v: unknown): string {
  if (v === undefined) return 'missing';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  array: 'a list',
  object: 'a mapping (key: value)',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  null: 'nothing',
};

function closest(word: string, candidates: string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
    return d[a.length][b.length];
  };
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const dd = distance(word, c);
    if (dd < bestD) [best, bestD] = [c, dd];
  }
  return best;
}

/** One ajv error as `key.path: bad value: expected ...`. */
export function describeError(e: ErrorObject, data: unknown, formats: Record<string, SchemaFormat> = {}): string {
  const at = pointerSegments(e.instancePath);
  const value = valueAt(data, at);
  const schema = e.parentSchema as Record<string, unknown> | undefined;
  const range = (what: string) => {
    const min = schema?.minimum as number | undefined;
    const max = schema?.maximum as number | undefined;
    return min !== undefined && max !== undefined ? `${what} from ${min} to ${max}` : min !== undefined ? `${what} >= ${min}` : `${what} <= ${max}`;
  };
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': {
      const key = String(p.missingProperty);
      return `${keyPath([...at, key])}: missing: expected a value (required)`;
    }
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const known = Object.keys((schema?.properties as object) ?? {});
      const hint = closest(key, known);
      return `${keyPath([...at, key])}: unknown key: expected one of ${known.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`;
    }
    case 'type': {
      const types = Array.isArray(p.type) ? (p.type as string[]) : String(p.type).split(',');
      const words = types.map((t) => (t === 'array' && types.includes('string') ? 'a list of strings' : TYPE_WORDS[t] ?? t));
      return `${keyPath(at)}: ${show(value)}: expected ${words.join(' or ')}`;
    }
    case 'const':
      return `${keyPath(at)}: ${show(value)}: expected ${JSON.stringify(p.allowedValue)}`;
    case 'enum':
      return `${keyPath(at)}: ${show(value)}: expected one of ${(p.allowedValues as unknown[]).join(', ')}`;
    case 'minimum':
    case 'maximum':
      return `${keyPath(at)}: ${show(value)}: expected ${range(schema?.type === 'integer' ? 'a whole number' : 'a number')}`;
    case 'minLength':
      return `${keyPath(at)}: ${show(value)}: expected a non-empty string`;
    case 'maxLength':
      return `${keyPath(at)}: ${show(value)}: expected at most ${p.limit} characters`;
    case 'minItems':
      return `${keyPath(at)}: ${show(value)}: expected a non-empty list`;
    case 'minProperties':
      return `${keyPath(at)}: ${show(value)}: expected at least ${p.limit} entry`;
    case 'format':
      return `${keyPath(at)}: ${show(value)}: expected ${formats[String(p.format)]?.expected ?? p.format}`;
    default:
      return `${keyPath(at)}: ${show(value)}: ${e.message ?? 'invalid'}`;
  }
}

