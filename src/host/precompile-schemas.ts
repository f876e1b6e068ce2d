// Build step (`make build`, `npm run build`): ajv's code for every schema of
// ours a command compiles (the built-in signatures' config sections and state
// snapshots, the configuration, a signature definition), one module per schema
// in precompiled-schemas/ beside this one, which schema.ts loads instead of
// compiling the schema. Each is named by its schema, formats and options
// (schemaKey): a schema that changes without a rebuild is compiled at run time.
//
//   node dist/src/host/precompile-schemas.js
import * as fs from 'node:fs';
import * as path from 'node:path';
import { _ } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { BUILTIN_SIGNATURES } from '../../signatures/index.js';
import { configFromData } from '../config/load.js';
import { compileSchemas } from './instance.js';
import { newAjv, PRECOMPILED_DIR, recordCompiledSchemas, schemaKey, type SchemaSpec } from './schema.js';
import { definitionOf } from './signature-modules.js';

/** The schemas our own code compiles, found by running it (in a process of its own: see recordCompiledSchemas). */
export function ourSchemas(): SchemaSpec[] {
  return recordCompiledSchemas(() => {
    for (const d of BUILTIN_SIGNATURES) compileSchemas(d);
    configFromData({});
    definitionOf('(built-in)', { default: BUILTIN_SIGNATURES[0] });
  });
}

/** One schema's validator as a module exporting a factory: its code refers to `formats` and sets `module.exports`. */
function factoryModule(spec: SchemaSpec): string {
  const ajv = newAjv(spec, { code: { source: true, formats: _`formats` } });
  const code = standaloneCode(ajv, ajv.compile(spec.schema));
  const about = { schema: spec.schema, formatNames: Object.keys(spec.formats).sort(), useDefaults: spec.useDefaults };
  return [
    "// Generated at build time by precompile-schemas.js: ajv's code for one schema of ours (see schema.ts).",
    `module.exports = function (formats, module) {\n${code}\n};`,
    `module.exports.spec = ${JSON.stringify(about)};`,
    '',
  ].join('\n');
}

/** Writes the code of our schemas into PRECOMPILED_DIR (emptied first); returns how many. */
export function precompileSchemas(): number {
  const specs = new Map(ourSchemas().map((s) => [schemaKey(s), s]));
  fs.rmSync(PRECOMPILED_DIR, { recursive: true, force: true });
  fs.mkdirSync(PRECOMPILED_DIR, { recursive: true });
  for (const [key, spec] of specs) fs.writeFileSync(path.join(PRECOMPILED_DIR, `${key}.js`), factoryModule(spec));
  return specs.size;
}

if (require.main === module) {
  const n = precompileSchemas();
  process.stderr.write(`precompiled ${n} schemas into ${path.relative(process.cwd(), PRECOMPILED_DIR)}\n`);
}
