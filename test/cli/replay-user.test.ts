// What a new user meets first with replay: an output file that is an input,
// "-" for stdout, the wrong file, an empty file, Ctrl-C, progress, escape
// sequences inside a recording, and the time it took.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, REFERENCE_EXAMPLES, ROOT, runCli, tempDir } from '../support/cli.js';
import { TraceeSig } from '../support/child.js';

const [curExec, curConnect] = REFERENCE_EXAMPLES;
const lines = (s: string) => s.split('\n').filter((l) => l !== '');
const ESC = '\u001b';

describe('tracee-sig replay, as a new user meets it', () => {
  let tmp: ReturnType<typeof tempDir>;
  let children: TraceeSig[];
  beforeEach(() => {
    tmp = tempDir();
    children = [];
  });
  afterEach(() => {
    for (const c of children) c.kill();
    tmp.remove();
  });
  /** A replay running as its own process, stdin a pipe the test writes to. */
  const live = (...args: string[]): TraceeSig => {
    const c = new TraceeSig(args, { stdin: 'pipe' });
    children.push(c);
    return c;
  };

  describe('--output-file', () => {
    it('refuses an output that is one of the inputs, however spelled, and leaves the recording whole', async () => {
      const recording = [curExec, curConnect].join('\n') + '\n';
      const file = tmp.file('rec.json', recording);
      const link = path.join(tmp.dir, 'link.json');
      fs.symlinkSync(file, link);
      const hard = path.join(tmp.dir, 'hard.json');
      fs.linkSync(file, hard);
      for (const [inputs, output] of [
        [[file, file], file],
        [[link], path.join(tmp.dir, '.', 'rec.json')],
        [[tmp.file('other.json', curExec + '\n'), file], hard],
      ] as const) {
        const r = await runCli(['replay', ...inputs, '--output-file', output]);
        expect(r.status, r.stderr).to.equal(2);
        expect(r.stderr).to.match(new RegExp(`^tracee-sig replay: --output-file ${output.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is the input \\S+ \\(the same file\\); writing findings there would destroy the recording; choose another path\\n$`));
        expect(r.stdout).to.equal('');
        expect(fs.readFileSync(file, 'utf8')).to.equal(recording);
      }
    });

    it('refuses stdin redirected from the output file', async () => {
      const recording = [curExec, curConnect].join('\n') + '\n';
      const file = tmp.file('rec.json', recording);
      const r = spawnSyncWithStdinFile(['replay', '-', '--output-file', file], file);
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr).to.contain('is the input stdin (-) (the same file)');
      expect(fs.readFileSync(file, 'utf8')).to.equal(recording);
    });

    it('"-" is stdout, not a file named "-"', async () => {
      const file = tmp.file('rec.json', [curExec, curConnect].join('\n') + '\n');
      const r = await runCli(['replay', file, '--output-file', '-']);
      expect(r.status, r.stderr).to.equal(0);
      expect(lines(r.stdout)).to.have.length(1);
      expect(JSON.parse(lines(r.stdout)[0]).name).to.equal('k8s_api_connection');
      expect(fs.existsSync(path.join(ROOT, '-'))).to.equal(false);
    });
  });

  describe('the wrong file', () => {
    it('says in one line that a file with no Tracee event is not a recording, and exits 65', async () => {
      const readme = path.join(ROOT, 'README.md');
      const r = await runCli(['replay', readme]);
      expect(r.status).to.equal(65);
      const said = r.stderr.split('\n').filter((l) => l.includes('does not look like'));
      expect(said).to.deep.equal([
        `tracee-sig replay: ${readme} does not look like a Tracee JSON recording: none of its lines is a Tracee event; ` +
          'a recording is what `tracee --output json` (or `tracee-ebpf --output json`) writes: one JSON event per line, such as {"timestamp":...,"name":"sched_process_exec",...}',
      ]);
    });

    it('still replays the good inputs beside it', async () => {
      const good = tmp.file('rec.json', [curExec, curConnect].join('\n') + '\n');
      const wrong = tmp.file('notes.txt', 'remember the milk\n{"not": "an event"}\n');
      const r = await runCli(['replay', wrong, good]);
      expect(r.status).to.equal(65);
      expect(lines(r.stdout)).to.have.length(1);
      expect(r.stderr).to.contain(`${wrong} does not look like a Tracee JSON recording`);
      expect(r.stderr).not.to.contain(`${good} does not look like`);
    });

    it('warns about an empty input (or one of blank lines) and exits 0', async () => {
      const empty = tmp.file('empty.json', '');
      const blank = tmp.file('blank.json', '\n  \n');
      const r = await runCli(['replay', empty, blank]);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stderr).to.contain(`tracee-sig replay: warning: ${empty} is empty: no event in it\n`);
      expect(r.stderr).to.contain(`tracee-sig replay: warning: ${blank} is empty: no event in it\n`);
      expect(r.stderr).not.to.contain('does not look like');
    });
  });

  describe('escape sequences inside a recording', () => {
    // As Tracee writes it: JSON escapes, which decode to the raw control characters.
    const evil = curConnect.replace('"name":"security_socket_connect"', '"name":"\\u001b[31mred\\u001b]0;title\\u0007"');
    const badLine = '{"name": broken';

    it('are shown escaped in the summary and in text logs, never raw (event names, file names)', async () => {
      expect(evil).not.to.equal(curConnect);
      const file = tmp.file(`rec${ESC}[2J.json`, [evil, badLine].join('\n') + '\n');
      const empty = tmp.file(`empty${ESC}[2J.json`, '');
      const r = await runCli(['replay', file, empty]);
      expect(r.stderr).not.to.contain(ESC);
      expect(r.stderr).not.to.contain('\u0007');
      expect(r.stderr).to.contain('events by name: \\x1b[31mred\\x1b]0;title\\x07 1');
      expect(r.stderr).to.contain(`malformed: ${tmp.dir}/rec\\x1b[2J.json:2: not valid JSON`);
      expect(r.stderr).to.contain(`warning: ${tmp.dir}/empty\\x1b[2J.json is empty`);
    });

    it('stay valid JSON in JSON logs', async () => {
      const file = tmp.file('rec.json', [evil, badLine].join('\n') + '\n');
      const r = await runCli(['replay', '--log-format', 'json', file]);
      const records = lines(r.stderr).map((l) => JSON.parse(l) as { msg: string; eventsByName?: Record<string, number> });
      const summary = records.find((x) => x.msg.startsWith('summary:'))!;
      expect(summary.eventsByName).to.deep.equal({ [`${ESC}[31mred${ESC}]0;title\u0007`]: 1 });
    });
  });

  it('gives the elapsed time and events/s in the summary (text and JSON)', async () => {
    const file = tmp.file('rec.json', [curExec, curConnect].join('\n') + '\n');
    const text = await runCli(['replay', file]);
    expect(text.stderr).to.match(/\ntracee-sig replay: {3}elapsed \d+\.\d\d s, [\d,]+ events\/s\n/);
    const json = await runCli(['replay', '--log-format', 'json', file]);
    const summary = lines(json.stderr).map((l) => JSON.parse(l)).find((x) => String(x.msg).startsWith('summary:'));
    expect(summary.elapsedSeconds).to.be.a('number').and.at.least(0);
    expect(summary.eventsPerSecond).to.be.a('number').and.at.least(0);
  });

  describe('SIGINT and SIGTERM part way', () => {
    for (const [signal, code, thread] of [['SIGINT', 130, 'off'], ['SIGTERM', 143, 'off'], ['SIGINT', 130, 'on']] as const) {
      it(`on ${signal} (--scan-thread ${thread}): writes the findings made, prints the partial summary saying where it stopped, exits ${code}`, async () => {
        // --progress: its line says when the three lines have been read.
        const child = live('replay', '--progress', '--scan-thread', thread, '-');
        child.proc.stdin!.write([curExec, curConnect, curConnect].join('\n') + '\n'); // stdin stays open: the replay waits for more
        await child.waitForStderr(/ 3 lines, /);
        const exit = await child.stop(signal);
        expect(exit.code, child.stderr).to.equal(code);
        expect(child.stdoutLines()).to.have.length(2);
        expect(child.stderr).to.contain(`tracee-sig replay:   interrupted by ${signal} after <stdin>:3: the findings up to there were written, the rest of the input was not read\n`);
        expect(child.stderr).to.match(/summary: 1 input\(s\), 3 lines, 3 events, \d+ dispatched, \d+ findings/);
        expect(child.stderr).to.match(/k8s_api_connection: dispatched 3, findings 2,/);
      });
    }
  });

  describe('progress', () => {
    it('--progress shows a line on stderr while reading, erased at the end; stdout holds findings only', async () => {
      const child = live('replay', '--progress', '-');
      child.proc.stdin!.write([curExec, curConnect].join('\n') + '\n');
      await child.waitForStderr(/events\/s/);
      child.proc.stdin!.end();
      expect((await child.exitWithin()).code, child.stderr).to.equal(0);
      expect(child.stderr).to.match(/^\r\u001b\[Ktracee-sig replay: [\d.]+ (B|KiB) read, 2 lines, [\d,]+ events\/s, 1 findings/);
      expect(child.stderr).to.match(/\r\u001b\[Ktracee-sig replay: summary:/); // erased before the summary
      expect(child.stdoutLines().map((l) => JSON.parse(l).name)).to.deep.equal(['k8s_api_connection']);
    });

    it('is on by default when stderr is a terminal (a pty from script(1)), erased before the summary', function () {
      if (spawnSync('script', ['--version']).status !== 0) this.skip(); // util-linux, essential on Debian
      // The recording comes through a FIFO held open for longer than one progress interval.
      const recording = tmp.file('rec.json', [curExec, curConnect].join('\n') + '\n');
      const fifo = path.join(tmp.dir, 'rec.fifo');
      expect(spawnSync('mkfifo', [fifo]).status).to.equal(0);
      const replay = shellQuote(`${BIN} replay ${fifo} >/dev/null`);
      const r = spawnSync('sh', ['-c', `(cat ${recording}; sleep 1.6) > ${fifo} & script -qefc ${replay} /dev/null </dev/null`], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^\r\u001b\[Ktracee-sig replay: [\d.]+ (B|KiB) read, 2 lines, [\d,]+ events\/s, 1 findings/);
      expect(r.stdout).to.match(/\r\u001b\[Ktracee-sig replay: summary: 1 input\(s\), 2 lines/);
    });

    it('is off when stderr is not a terminal, and with --no-progress', async () => {
      const file = tmp.file('rec.json', [curExec, curConnect].join('\n') + '\n');
      for (const args of [[file], ['--no-progress', file]]) {
        const r = await runCli(['replay', ...args]);
        expect(r.stderr).not.to.contain('\r');
        expect(r.stderr).not.to.contain(ESC);
      }
      expect((await runCli(['replay', '--progress', '--no-progress', file])).status).to.equal(2);
    });
  });
});

function spawnSyncWithStdinFile(args: string[], stdinFile: string): { status: number | null; stderr: string } {
  const fd = fs.openSync(stdinFile, 'r');
  try {
    const r = spawnSync(process.execPath, [BIN, ...args], { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8' });
    return { status: r.status, stderr: r.stderr };
  } finally {
    fs.closeSync(fd);
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
