// `tracee-sig list`: the loaded signatures, their metadata and selected events.
import { allDefinitions } from '../config/signatures.js';
import { SignatureModuleError } from '../host/signature-modules.js';
import { userSignatures } from './config-option.js';
import { io } from '../streams.js';
import { exitStatusHelp } from './exit-codes.js';
import { EXIT, parseOptions } from './usage.js';

export const LIST_HELP = `Usage: tracee-sig list [--json] [--signatures-dir DIR]...

Lists the signatures tracee-sig runs: id, version, produced event, severity,
MITRE technique and the events each selects (name and origin).

${exitStatusHelp('list')}`;

export async function listCommand(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { json: { type: 'boolean' }, 'signatures-dir': { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    io().stdout.write(LIST_HELP);
    return EXIT.OK;
  }
  const user = userSignatures(values['signatures-dir']);
  if (user instanceof SignatureModuleError) {
    io().stderr.write(`tracee-sig list: --signatures-dir: ${user.message}\n`);
    return EXIT.USAGE;
  }
  const sigs = allDefinitions(user);
  if (values.json) {
    io().stdout.write(JSON.stringify(sigs.map((s) => ({ metadata: s.metadata, selectedEvents: s.selectedEvents })), null, 2) + '\n');
    return EXIT.OK;
  }
  for (const s of sigs) {
    const m = s.metadata;
    io().stdout.write(`${m.id} ${m.eventName} v${m.version}: ${m.name}\n`);
    io().stdout.write(`  severity ${m.severity}, category ${m.category}, MITRE ${m.mitre.tactic}/${m.mitre.technique.id} ${m.mitre.technique.name}\n`);
    io().stdout.write(`  selects: ${s.selectedEvents.map((e) => `${e.name} (${e.origin})`).join(', ')}\n`);
  }
  return EXIT.OK;
}
