// Every JSON Schema of ours is a valid one. At run time only a schema from a
// user's signature module is checked against JSON Schema's meta-schema (when it
// is loaded); ours are compiled without that check, which halves start-up's
// compile time, so this test is the check.
import { expect } from 'chai';
import { BUILTIN_SIGNATURES } from '../../signatures/index.js';
import { configSchema } from '../../src/config/schema.js';
import { compileSchemas } from '../../src/host/instance.js';
import { checkMetaSchema } from '../../src/host/schema.js';
import type { JsonSchema } from '../../src/sdk/signature.js';
import { DEFINITION_SCHEMA } from '../../src/host/signature-modules.js';

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
