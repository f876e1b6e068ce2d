// --metrics, --log-level and --log-format: what is refused (exit 2), a port
// in use (exit 3), levels filtering, the text format, and the address parser.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseMetricsAddress } from '../../src/metrics/http.js';
import { TraceeSig } from '../support/child.js';
import { runCli } from '../support/cli.js';
import { logRecords } from './support.js';

describe('--metrics, --log-level, --log-format', function () {
  this.timeout(30_000);

  describe('parseMetricsAddress', () => {
    it('reads HOST:PORT, [IPv6]:PORT and :PORT (host 127.0.0.1)', async () => {
      expect(parseMetricsAddress('127.0.0.1:9464')).to.deep.equal({ host: '127.0.0.1', port: 9464 });
      expect(parseMetricsAddress('0.0.0.0:9464')).to.deep.equal({ host: '0.0.0.0', port: 9464 });
      expect(parseMetricsAddress(':9464')).to.deep.equal({ host: '127.0.0.1', port: 9464 });
      expect(parseMetricsAddress('[::1]:0')).to.deep.equal({ host: '::1', port: 0 });
      expect(parseMetricsAddress('localhost:80')).to.deep.equal({ host: 'localhost', port: 80 });
    });

    it('refuses anything else, saying what is wrong', async () => {
      const cases: [string, RegExp][] = [
        ['9464', /"9464" is not an address/],
        ['localhost', /"localhost" is not an address/],
        ['http://127.0.0.1:9464', /is not an address/],
        ['127.0.0.1:', /port "" is not a number/],
        ['127.0.0.1:65536', /port "65536" is not a number from 0 to 65535/],
        [':x', /port "x" is not a number/],
        ['1.2.3:9464', /"1.2.3" is not an IPv4 address or host name/],
        ['[::zz]:9464', /"::zz" is not an IPv6 address/],
        ['::1:9464', /is not an address/],
        ['a b:1', /"a b" is not an IPv4 address or host name/],
      ];
      for (const [text, says] of cases) expect(() => parseMetricsAddress(text), text).to.throw(says);
    });
  });

  for (const command of ['replay', 'serve', 'attach']) {
    it(`${command}: a bad --metrics, --log-level or --log-format exits 2 with one line`, async () => {
      const extra = command === 'replay' ? ['-'] : [];
      for (const [args, says] of [
        [['--metrics', 'nope'], /^tracee-sig \w+: --metrics: "nope" is not an address; expected HOST:PORT/],
        [['--metrics', '127.0.0.1:99999'], /--metrics: "127.0.0.1:99999": port "99999" is not a number from 0 to 65535/],
        [['--log-level', 'verbose'], /--log-level must be one of debug, info, warn, error; got "verbose"/],
        [['--log-format', 'xml'], /--log-format must be one of json, text; got "xml"/],
      ] as [string[], RegExp][]) {
        const r = await runCli([command, ...args, ...extra]);
        expect(r.status, `${command} ${args.join(' ')}: ${r.stderr}`).to.equal(2);
        expect(r.stderr).to.match(says);
        expect(r.stderr.trim().split('\n')).to.have.length(1);
      }
    });
  }

  it('a --metrics port in use: exit 3, saying so', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const r = await runCli(['replay', '--metrics', `127.0.0.1:${port}`, '--log-format', 'json', '/dev/null']);
      expect(r.status, r.stderr).to.equal(3);
      const records = logRecords(r.stderr);
      expect(records).to.have.length(1);
      expect(records[0]).to.include({ level: 'error', msg: `cannot serve --metrics on http://127.0.0.1:${port}: the port is in use` });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  describe('attach with no Tracee (--max-retries 1)', () => {
    let dir: string;
    let child: TraceeSig | undefined;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsig-log-'));
    });
    afterEach(() => {
      child?.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const attach = async (...args: string[]) => {
      child = new TraceeSig(['attach', '--tracee', `unix://${path.join(dir, 'none.sock')}`, '--max-retries', '1', '--retry-initial-ms', '10', ...args]);
      const exit = await child.exitWithin();
      expect(exit.code, child.stderr).to.equal(3);
      return child.stderr;
    };

    it('logs JSON lines by default when stderr is not a terminal: level, time, msg, command, pid', async () => {
      const records = logRecords(await attach());
      expect(records.map((r) => r.level)).to.deep.equal(['info', 'warn', 'error', 'info']);
      expect(records[0].msg).to.equal(`attaching to Tracee at unix://${path.join(dir, 'none.sock')} (policies: all)`);
      expect(records[2].msg).to.match(/^giving up: cannot reach Tracee/);
      expect(records[3].msg).to.match(/^summary: 0 stream messages, 0 events/);
      for (const r of records) expect(r).to.include({ command: 'attach', pid: child!.proc.pid });
    });

    it('--log-level warn keeps warnings and errors only; debug adds the connection attempts', async () => {
      expect(logRecords(await attach('--log-level', 'warn')).map((r) => r.level)).to.deep.equal(['warn', 'error']);
      const debug = logRecords(await attach('--log-level', 'debug'));
      expect(debug.filter((r) => r.level === 'debug').map((r) => r.msg)).to.deep.equal([
        `connecting to Tracee at unix://${path.join(dir, 'none.sock')} (attempt 1)`,
        `connecting to Tracee at unix://${path.join(dir, 'none.sock')} (attempt 2)`,
      ]);
    });

    it('--log-format text writes the lines a person reads, warnings marked', async () => {
      const lines = (await attach('--log-format', 'text')).trim().split('\n');
      expect(lines[0]).to.equal(`tracee-sig attach: attaching to Tracee at unix://${path.join(dir, 'none.sock')} (policies: all)`);
      expect(lines[1]).to.match(/^tracee-sig attach: warning: cannot reach Tracee at .*; retry 1\/1 in \d+ ms$/);
      expect(lines[2]).to.match(/^tracee-sig attach: giving up: /);
      expect(lines[3]).to.match(/^tracee-sig attach: summary: 0 stream messages/);
    });
  });
});
