// README has one exit-code table per command; each must be the code's own list
// (src/commands/exit-codes.ts), and that list must hold every code the command's
// source returns.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT_CODES } from '../../src/commands/exit-codes.js';
import { EXIT } from '../../src/commands/usage.js';
import { ATTACH_HELP } from '../../src/commands/attach.js';
import { CONFIG_HELP } from '../../src/commands/config.js';
import { LIST_HELP } from '../../src/commands/list.js';
import { REPLAY_HELP } from '../../src/commands/replay.js';
import { SEND_HELP } from '../../src/commands/send.js';
import { SERVE_HELP } from '../../src/commands/serve.js';
import { TEST_HELP } from '../../src/commands/test.js';
import { ROOT, runCli } from '../support/cli.js';

const HELP: Record<string, string> = { replay: REPLAY_HELP, serve: SERVE_HELP, send: SEND_HELP, attach: ATTACH_HELP, test: TEST_HELP, list: LIST_HELP, config: CONFIG_HELP };

/** README's "### Exit codes: `COMMAND`" tables, as [code, meaning] rows. */
function readmeTables(readme: string): Map<string, [number, string][]> {
  const tables = new Map<string, [number, string][]>();
  const sections = readme.split(/^### Exit codes: `([a-z]+)`\n/m);
  for (let i = 1; i < sections.length; i += 2) {
    const command = sections[i];
    expect(tables.has(command), `two tables for ${command}`).to.equal(false);
    const table = sections[i + 1].trimStart().split('\n\n')[0].split('\n');
    expect(table.slice(0, 2), `${command}: table header`).to.deep.equal(['| Code | Meaning |', '| --- | --- |']);
    tables.set(
      command,
      table.slice(2).map((row) => {
        const m = /^\| (\d+) \| (.*) \|$/.exec(row);
        if (!m) throw new Error(`README, exit codes of ${command}: not a table row: ${row}`);
        return [Number(m[1]), m[2]];
      }),
    );
  }
  return tables;
}

describe('exit codes: one table per command, the code and README agree', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

  it('README has exactly one table for every command tracee-sig has, equal to its list in the code', async () => {
    const help = (await runCli(['--help'])).stdout;
    const commands = [...help.slice(help.indexOf('Commands:')).matchAll(/^ {2}([a-z]+) {2}/gm)].map((m) => m[1]);
    expect(commands).to.have.length.greaterThan(5);
    expect(Object.keys(EXIT_CODES).sort()).to.deep.equal([...commands].sort());
    const tables = readmeTables(readme);
    expect([...tables.keys()].sort()).to.deep.equal([...commands].sort());
    for (const [command, rows] of tables) expect(rows, `README, exit codes of ${command}`).to.deep.equal(EXIT_CODES[command].map(([c, m]) => [c, m]));
  });

  it('each list holds every code its command returns, once, in order', async () => {
    const names = new Map(Object.entries(EXIT).map(([name, code]) => [name, code as number]));
    for (const [command, rows] of Object.entries(EXIT_CODES)) {
      const codes = rows.map(([c]) => c);
      expect(codes, command).to.deep.equal([...new Set(codes)].sort((a, b) => a - b));
      const source = fs.readFileSync(path.join(ROOT, 'src', 'commands', `${command}.ts`), 'utf8');
      for (const m of source.matchAll(/EXIT\.([A-Z_]+)/g)) expect(codes, `${command} returns EXIT.${m[1]}`).to.include(names.get(m[1]));
    }
  });

  it("each command's --help names every code of its list", async () => {
    for (const [command, rows] of Object.entries(EXIT_CODES)) {
      const help = HELP[command];
      const from = help.indexOf('xit status');
      expect(from, `${command} --help has an exit status part`).to.be.greaterThan(0);
      for (const [code] of rows) expect(help.slice(from), `${command} --help, exit ${code}`).to.match(new RegExp(`\\b${code}\\b`));
    }
  });

  it('the check reads README tables as a person writes them (a split table is caught)', async () => {
    const split = '### Exit codes: `replay`\n\n| Code | Meaning |\n| --- | --- |\n| 0 | ok |\n\n| 3 | lost |\n';
    expect(readmeTables(split).get('replay')).to.deep.equal([[0, 'ok']]);
    expect(() => readmeTables('### Exit codes: `x`\n\n| Code | Meaning |\n| --- | --- |\n| 66 | a | b |\nnot a row\n')).to.throw(/not a table row/);
  });
});

describe('unknown commands', () => {
  it('exit 2 naming the command, Object.prototype member names included', async () => {
    for (const name of ['frobnicate', 'constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const r = await runCli([name]);
      expect(r.status, name).to.equal(EXIT.USAGE);
      expect(r.stderr, name).to.include(`unknown command "${name}"`);
    }
  });
});
