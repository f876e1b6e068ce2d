// The one entry point: `tracee-sig <command> [options]`.
import { io, withStreams, type Streams } from './streams.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT, UsageError } from './commands/usage.js';
import { nameTable } from './model/name-table.js';

interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

// Each command's module is loaded only when that command runs: `replay` should
// not pay for gRPC, YAML or the config schema at start-up. By require, not
// import(): Node's ESM loader taking in our CommonJS cost a tiny replay about
// 10 ms more (140 against 127 ms, medians of 15 alternating runs).
const COMMANDS = nameTable<Command>({
  replay: { summary: 'replay recorded Tracee events (JSON lines, .gz, stdin) and print findings', run: (a) => (require('./commands/replay.js') as typeof import('./commands/replay.js')).replayCommand(a) },
  attach: { summary: "attach to a running Tracee's gRPC event stream and print findings", run: (a) => (require('./commands/attach.js') as typeof import('./commands/attach.js')).attachCommand(a) },
  serve: { summary: 'serve the signatures over gRPC (tracee.sig.v1.SignatureService)', run: (a) => (require('./commands/serve.js') as typeof import('./commands/serve.js')).serveCommand(a) },
  send: { summary: 'stream recordings to a signature service over gRPC and print its findings', run: (a) => (require('./commands/send.js') as typeof import('./commands/send.js')).sendCommand(a) },
  test: { summary: 'run signature test cases (YAML/JSON: events in, expected findings) for CI', run: (a) => (require('./commands/test.js') as typeof import('./commands/test.js')).testCommand(a) },
  list: { summary: 'list the signatures and the events they select', run: (a) => (require('./commands/list.js') as typeof import('./commands/list.js')).listCommand(a) },
  config: { summary: 'validate a configuration file, or print its JSON Schema', run: (a) => (require('./commands/config.js') as typeof import('./commands/config.js')).configCommand(a) },
});

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'Usage: tracee-sig <command> [options]',
    '',
    "Runs Tracee's TRC-1013 (k8s_api_connection) beside Tracee: over recordings,",
    'over gRPC, or attached to a live Tracee.',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'tracee-sig <command> --help' for a command's options, 'tracee-sig --version' for the version.",
    '',
  ].join('\n');
}

/** The version in package.json (dist/src/cli.js is two folders below it). */
function version(): string {
  return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** Runs one command line; `streams` default to the process's own (tests pass their own). */
export async function main(argv: string[], streams?: Streams): Promise<number> {
  return streams ? withStreams(streams, () => run(argv)) : run(argv);
}

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    io().stdout.write(`tracee-sig ${version()}\n`);
    return EXIT.OK;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io().stdout.write(help());
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const command = COMMANDS[name];
  if (!command) {
    io().stderr.write(`tracee-sig: unknown command "${name}"\n\n${help()}`);
    return EXIT.USAGE;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      io().stderr.write(`tracee-sig ${name}: ${e.message}; see 'tracee-sig ${name} --help'\n`);
      return EXIT.USAGE;
    }
    io().stderr.write(`tracee-sig ${name}: internal error: ${(e as Error).stack ?? e}\n`);
    return EXIT.INTERNAL;
  }
}
