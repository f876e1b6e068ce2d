// Every JSON Schema of ours is a valid one. At run time only a schema from a
// user's signature module is checked against JSON Schema's meta-schema (when it
// is loaded); ours are compiled without that check, which halves start-up's
// compile time, so this test is the check.
import { expect } from 'chai';
import type { ValidateFunction } from 'ajv';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUILTIN_SIGNATURES } from '../../signatures/index.js';
import { configSchema } from '../../src/config/schema.js';
import { compileSchemas } from '../../src/host/instance.js';
import { ajvFormats, checkMetaSchema, isPrecompiled, newAjv, PRECOMPILED_DIR, type PrecompiledFactory, schemaChecker, schemasCompiledAtRunTime, type SchemaSpec } from '../../src/host/schema.js';
import { HOST_FORMATS } from '../../src/host/formats.js';
import { CONFIG_FORMATS } from '../../src/config/load.js';
import { ROOT } from '../support/cli.js';
import type { JsonSchema, SchemaFormat } from '../../src/sdk/signature.js';
import { DEFINITION_SCHEMA } from '../../src/host/signature-modules.js';
import { runs } from '../property/support.js';

describe('our JSON Schemas', () => {
  const metaCheck = (schema: unknown): string => {
    try {
      checkMetaSchema(schema as JsonSchema);
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };

  it('the configuration and signature-definition schemas pass the meta-schema check', () => {
    expect(metaCheck(configSchema(BUILTIN_SIGNATURES))).to.equal('');
    expect(metaCheck(DEFINITION_SCHEMA)).to.equal('');
  });

  it('each built-in signature: its config section and state snapshot schemas pass it and compile', () => {
    for (const d of BUILTIN_SIGNATURES) expect(() => compileSchemas(d), d.metadata.id).not.to.throw();
  });

  it('the check can fail: a schema with a misspelt type does not pass', () => {
    expect(metaCheck({ type: 'object', properties: { n: { type: 'integr' } } })).to.match(/^schema is invalid: .*type/);
  });
});

/** Values for a schema, down its properties and items: mostly of the right shape, with wrong types, unknown keys and bad formats among them. */
function valuesOf(schema: unknown, depth = 0): fc.Arbitrary<unknown> {
  const s = (schema ?? {}) as { properties?: Record<string, unknown>; items?: unknown; format?: string; enum?: unknown[] };
  const wrong = fc.oneof(fc.anything({ maxDepth: 1 }), fc.integer({ min: -5, max: 100_000 }), fc.boolean(), fc.constant(null));
  if (depth > 6) return wrong;
  if (s.properties) {
    const own = fc.record(Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, valuesOf(v, depth + 1)])), { requiredKeys: [] });
    return fc.oneof({ weight: 8, arbitrary: own }, { weight: 1, arbitrary: own.map((o) => ({ ...o, notAKey: 1 })) }, { weight: 1, arbitrary: wrong });
  }
  if (s.items && !Array.isArray(s.items)) return fc.oneof({ weight: 4, arbitrary: fc.array(valuesOf(s.items, depth + 1), { maxLength: 3 }) }, { weight: 1, arbitrary: wrong });
  if (s.format || s.enum) {
    const texts = ['10.96.0.1', 'fd00::1', 'kubernetes.default', '2026-12-31', '2026-02-30', '2026-12-31T18:00:00Z', '127.0.0.1:53', 'nope', '', ...(s.enum ?? [])];
    return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...texts) }, { weight: 1, arbitrary: wrong });
  }
  return fc.oneof(wrong, fc.string({ maxLength: 8 }), fc.constantFrom('10.96.0.1', 'k8s_api_connection', 0, 1, 3600));
}

describe('our schemas, compiled when the project is built', () => {
  /** Each built schema with its code, and what it was built from (formats found by name among ours). */
  const KNOWN_FORMATS: Record<string, SchemaFormat> = Object.assign({}, HOST_FORMATS, CONFIG_FORMATS, ...BUILTIN_SIGNATURES.map((d) => d.formats ?? {}));
  const built = () =>
    fs.readdirSync(PRECOMPILED_DIR).map((file) => {
      const factory = require(path.join(PRECOMPILED_DIR, file)) as PrecompiledFactory & { spec: { schema: JsonSchema; formatNames: string[]; useDefaults: boolean } }; // eslint-disable-line @typescript-eslint/no-require-imports
      const { schema, formatNames, useDefaults } = factory.spec;
      const spec: SchemaSpec = { schema, formats: Object.fromEntries(formatNames.map((n) => [n, KNOWN_FORMATS[n]])), useDefaults };
      const module = { exports: undefined as unknown };
      factory(ajvFormats(spec.formats), module);
      return { file, spec, validate: module.exports as ValidateFunction };
    });

  it("covers the built-in signatures' sections and snapshots, the configuration and a signature definition, and commands compile none of them", () => {
    // In a process of its own: checkers compile once, and this one has compiled ours already.
    const script = [
      `const { ourSchemas } = require(${JSON.stringify(path.join(ROOT, 'dist/src/host/precompile-schemas.js'))});`,
      `const { schemaKey } = require(${JSON.stringify(path.join(ROOT, 'dist/src/host/schema.js'))});`,
      'console.log(JSON.stringify(ourSchemas().map(schemaKey)));',
    ].join('\n');
    const keys = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
    expect(keys.length).to.equal(2 * BUILTIN_SIGNATURES.length + 2);
    expect(built().map((b) => b.file).sort()).to.deep.equal(keys.map((k) => `${k}.js`).sort());
    // What commands do with them, in a fresh process: every schema is the build's.
    const commands = [
      `const dist = ${JSON.stringify(path.join(ROOT, 'dist'))};`,
      "const { loadConfig, configFromData } = require(dist + '/src/config/load.js');",
      "const { openSignatures } = require(dist + '/src/config/signatures.js');",
      "const { definitionOf } = require(dist + '/src/host/signature-modules.js');",
      "const { BUILTIN_SIGNATURES } = require(dist + '/signatures/index.js');",
      "const { schemasCompiledAtRunTime } = require(dist + '/src/host/schema.js');",
      `openSignatures(loadConfig(${JSON.stringify(path.join(ROOT, 'docs/config.example.yaml'))}));`,
      'openSignatures(configFromData({}));',
      "definitionOf('(built-in)', { default: BUILTIN_SIGNATURES[0] });",
      'console.log(schemasCompiledAtRunTime());',
    ].join('\n');
    expect(execFileSync(process.execPath, ['-e', commands], { encoding: 'utf8' }).trim()).to.equal('0');
  });

  it("a schema that is not the one built (changed since, or a user's) is compiled by ajv at its first use", () => {
    const [{ spec }] = built();
    const changed = { ...spec, schema: { ...spec.schema, description: 'changed after the build' } };
    expect(isPrecompiled(spec)).to.equal(true);
    expect(isPrecompiled(changed)).to.equal(false);
    expect(isPrecompiled({ ...spec, useDefaults: !spec.useDefaults })).to.equal(false);
    const before = schemasCompiledAtRunTime();
    const check = schemaChecker(changed.schema, changed.formats, { useDefaults: changed.useDefaults });
    expect(check({ notAKey: 1 })).to.deep.equal(schemaChecker(spec.schema, spec.formats, { useDefaults: spec.useDefaults })({ notAKey: 1 }));
    expect(schemasCompiledAtRunTime()).to.equal(before + 1);
  });

  it('the built code answers as ajv compiling the schema now: valid or not, the same errors, the same defaults filled in', () => {
    for (const { spec, validate } of built()) {
      for (const name of Object.keys(spec.formats)) expect(spec.formats[name], `format ${name}`).to.not.equal(undefined);
      const now = newAjv(spec).compile(spec.schema);
      fc.assert(
        fc.property(valuesOf(spec.schema), (d) => {
          const [a, b] = [structuredClone(d), structuredClone(d)];
          expect(validate(a)).to.equal(now(b));
          expect(validate.errors ?? null).to.deep.equal(now.errors ?? null);
          expect(a).to.deep.equal(b); // defaults filled in alike
        }),
        runs(300),
      );
    }
  });
});
