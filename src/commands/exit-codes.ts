// Every exit code each command can return, with what it means: README's
// "Exit codes" tables are checked against this list (test/cli/exit-codes.test.ts).
import { EXIT } from './usage.js';

export type ExitCodeTable = ReadonlyArray<readonly [code: number, meaning: string]>;

const INTERNAL = [EXIT.INTERNAL, 'Internal error (a bug): the message carries a stack trace; please report it.'] as const;

export const EXIT_CODES: Record<string, ExitCodeTable> = {
  replay: [
    [EXIT.OK, 'Replayed (malformed lines, if any, are counted and reported in the summary; an empty input is a warning).'],
    [EXIT.USAGE, 'Bad usage: unknown option, bad option value, missing value, no recording given, a bad configuration, or an `--output-file` that is one of the inputs (same device and inode, however spelled). Nothing is read or written.'],
    [EXIT.UNAVAILABLE, '`--metrics` cannot listen (port in use, no such local address). Nothing is read.'],
    [EXIT.NOT_A_RECORDING, 'An input does not look like a Tracee JSON recording: it has lines, and none of them is a Tracee event. The other inputs are still replayed.'],
    [EXIT.NO_INPUT, 'An input, or the `--config` file, cannot be opened: missing, a directory, permission denied. Checked for every input before any output.'],
    [EXIT.INTERNAL, 'Internal error (a bug): please report it. The message carries a stack trace, or says that the `--scan-thread` thread failed (the findings made before it are written; `--scan-thread off` replays without that thread).'],
    [EXIT.CANT_CREATE, '`--output-file` cannot be created (missing directory, a directory, permission denied). Nothing is read.'],
    [EXIT.IO_ERROR, 'Reading an input or writing findings failed part way: corrupt or truncated gzip, disk full, the reader of stdout went away. What was read before was replayed; after a write failure the replay stops, and later findings are not written.'],
    [EXIT.INTERRUPTED, 'Interrupted by SIGINT (Ctrl-C): the findings made so far are written, and the summary says it was interrupted and after which `file:line`. A second signal ends it at once.'],
    [EXIT.TERMINATED, 'Stopped by SIGTERM: as for SIGINT.'],
  ],
  serve: [
    [EXIT.OK, 'Stopped by SIGTERM or SIGINT.'],
    [EXIT.USAGE, 'Bad option, configuration, or TLS file content (not PEM, key not matching).'],
    [EXIT.UNAVAILABLE, "The address is in use (a live socket, a taken port) or not this host's; or `--metrics` cannot listen."],
    [EXIT.NO_INPUT, '`--config` or a TLS file cannot be read.'],
    [EXIT.INTERNAL, 'Internal error (a bug): please report it. The message carries a stack trace, or says that the `--grpc-thread` thread failed (`--grpc-thread off` serves without it).'],
    [EXIT.CANT_CREATE, 'The socket cannot be created (missing directory, permission denied, something else at the path), a port below 1024 without privileges, or `--findings-log` cannot be created.'],
    [EXIT.IO_ERROR, 'Writing `--findings-log` failed while serving.'],
  ],
  send: [
    [EXIT.OK, 'Everything sent was answered.'],
    [EXIT.FAILED, 'The service failed the stream (`INVALID_ARGUMENT`, `RESOURCE_EXHAUSTED`); the message names the status and how many batches went unanswered.'],
    [EXIT.USAGE, 'Bad option, or TLS file content.'],
    [EXIT.UNAVAILABLE, 'The service cannot be reached, or went away part way (`UNAVAILABLE`).'],
    [EXIT.NO_INPUT, 'A recording or a TLS file cannot be read.'],
    INTERNAL,
    [EXIT.CANT_CREATE, '`--output-file` cannot be created.'],
    [EXIT.IO_ERROR, 'Reading a recording failed part way (corrupt or truncated gzip), or writing findings failed.'],
  ],
  attach: [
    [EXIT.OK, 'Stopped by SIGTERM or SIGINT (the findings it holds are written, the summary is logged).'],
    [EXIT.USAGE, 'Bad option or configuration; a `--policy` Tracee does not know.'],
    [EXIT.UNAVAILABLE, 'Tracee unreachable after `--max-retries`, or `--metrics` cannot listen.'],
    [EXIT.NO_INPUT, '`--config` cannot be read.'],
    INTERNAL,
    [EXIT.CANT_CREATE, '`--output-file` cannot be created.'],
    [EXIT.IO_ERROR, 'Writing findings failed (`attach` stops).'],
    [EXIT.PROTOCOL, 'The server is not Tracee: it speaks gRPC but answers `StreamEvents` with `UNIMPLEMENTED`; `attach` stops at once instead of retrying.'],
  ],
  test: [
    [EXIT.OK, 'All cases passed.'],
    [EXIT.FAILED, 'A case failed.'],
    [EXIT.USAGE, 'A case file could not be used (each problem as `file:line:col: key.path: problem`), a case could not run, or a bad option.'],
    INTERNAL,
    [EXIT.CANT_CREATE, '`--junit FILE` cannot be written (missing directory, permission denied): checked before any case runs.'],
  ],
  list: [
    [EXIT.OK, 'Listed.'],
    [EXIT.USAGE, 'Bad option.'],
    INTERNAL,
  ],
  config: [
    [EXIT.OK, '`validate`: the file is valid; `schema`: printed.'],
    [EXIT.USAGE, 'Invalid file (every problem is named); no or unknown action.'],
    [EXIT.NO_INPUT, 'The file cannot be read.'],
    INTERNAL,
  ],
};

/** "Exit status:" and the command's codes, for its --help, wrapped to 79 columns. */
export function exitStatusHelp(command: string): string {
  const lines = ['Exit status:'];
  for (const [code, meaning] of EXIT_CODES[command] ?? []) {
    let line = `  ${String(code).padStart(3)}  `;
    for (const word of meaning.replace(/`/g, '').split(' ')) {
      if (line.length + word.length > 79 && line.trim() !== String(code)) {
        lines.push(line.trimEnd());
        line = ' '.repeat(7);
      }
      line += `${word} `;
    }
    lines.push(line.trimEnd());
  }
  return lines.join('\n') + '\n';
}
