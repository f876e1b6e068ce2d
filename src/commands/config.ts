// `tracee-sig config validate FILE` and `tracee-sig config schema`.
import { configSchema } from '../config/schema.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { signatureSections } from '../config/signatures.js';
import { splitSection } from '../host/signature-section.js';
import { io } from '../streams.js';
import { exitStatusHelp } from './exit-codes.js';
import { EXIT, parseOptions, UsageError } from './usage.js';

export const CONFIG_HELP = `Usage: tracee-sig config validate FILE
       tracee-sig config schema

validate  checks a configuration file (YAML or JSON) against the schema and
          prints every problem as FILE: key.path: bad value: expected ...;
          exit 0 when valid, 2 when not, 66 when FILE cannot be read.
          Warnings (e.g. allowlist rules that have already expired) go to
          stderr and do not fail validation.
schema    prints the configuration's JSON Schema (draft-07).

An example with every key: docs/config.example.yaml.

${exitStatusHelp('config')}`;

export async function configCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, { help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    io().stdout.write(CONFIG_HELP);
    return EXIT.OK;
  }
  const [action, ...rest] = positionals;
  if (action === 'schema') {
    if (rest.length > 0) throw new UsageError(`config schema takes no arguments; got "${rest[0]}"`);
    io().stdout.write(JSON.stringify(configSchema(), null, 2) + '\n');
    return EXIT.OK;
  }
  if (action === 'validate') {
    if (rest.length !== 1) throw new UsageError('config validate takes exactly one FILE');
    try {
      const c = loadConfig(rest[0]);
      for (const w of c.warnings) io().stderr.write(`tracee-sig config: warning: ${w}\n`);
      const sections = Object.entries(signatureSections(c)).map(([id, section]) => {
        const { host, own } = splitSection(section);
        const addresses = Array.isArray(own.addresses) ? `, ${own.addresses.length} cluster-wide address(es)` : '';
        return (
          `${id}: ${host.allowlist.rules.length} allowlist rule(s) (${host.allowlist.mode})${addresses}, ` +
          `dedup ${host.dedup.windowSeconds ? `${host.dedup.windowSeconds}s` : 'off'}`
        );
      });
      io().stdout.write(
        `${rest[0]}: valid: ${sections.join('; ')}; hostname resolution ${c.apiServer.resolveHostnames.enabled ? 'on' : 'off'}, state file ${c.state.file ?? 'none'}\n`,
      );
      return EXIT.OK;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      io().stderr.write(e.problems.map((p) => `${p}\n`).join(''));
      return e.unreadable ? EXIT.NO_INPUT : EXIT.USAGE;
    }
  }
  throw new UsageError(action === undefined ? 'expected "validate FILE" or "schema"' : `unknown action "${action}"; expected "validate FILE" or "schema"`);
}
