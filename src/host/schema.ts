// JSON Schema checks with ajv, for everything the host checks against a schema:
// the configuration (composed from each signature's section) and each
// signature's state snapshot. Every error at once, each as
// `key.path: bad value: what was expected`.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { JsonSchema, SchemaFormat } from '../sdk/signature.js';

/** The problems with `data` against one schema, none when it is valid; `compile()` compiles it now. */
export type SchemaChecker = ((data: unknown) => string[]) & { compile(): void };

/**
 * A checker for one schema. `useDefaults` fills in `default`s. Compiled at its first use (or
 * `compile()`): compiling is most of a command's start-up, and some schemas (state snapshots) are
 * never needed by a run. The schema itself is not checked against JSON Schema's meta-schema here
 * (that doubles the compile time): `checkMetaSchema` does it for schemas from users.
 */
export function schemaChecker(schema: JsonSchema, formats: Record<string, SchemaFormat> = {}, options: { useDefaults?: boolean } = {}): SchemaChecker {
  let validate: ValidateFunction | undefined;
  const compiled = () => (validate ??= compile(schema, formats, options.useDefaults ?? false));
  const check = (data: unknown) => {
    const v = compiled();
    return v(data) ? [] : [...new Set((v.errors ?? []).map((e) => describeError(e, data, formats)))];
  };
  return Object.assign(check, { compile: () => void compiled() });
}

function compile(schema: JsonSchema, formats: Record<string, SchemaFormat>, useDefaults: boolean): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true, useDefaults, validateSchema: false });
  for (const [name, f] of Object.entries(formats)) ajv.addFormat(name, { type: 'string', validate: f.validate });
  return ajv.compile(schema);
}

/**
 * Throws "schema is invalid: …" unless `schema` is a valid JSON Schema (checked against the
 * meta-schema): for a schema from a user's signature module; ours are checked by the tests.
 */
export function checkMetaSchema(schema: JsonSchema): void {
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

