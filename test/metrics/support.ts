// Helpers for the metrics tests: a small parser of the Prometheus text
// exposition format, an HTTP GET on loopback, and the JSON log lines of a child.
import { expect } from 'chai';
import * as http from 'node:http';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  /** `# TYPE` of each metric family. */
  types: Map<string, string>;
  samples: Sample[];
}

/** Parses the text format (version 0.0.4): comments, samples, escaped label values. Throws on anything else. */
export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    const where = `line ${i + 1} "${line}"`;
    if (line.startsWith('#')) {
      const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      if (type) types.set(type[1], type[2]);
      else if (!/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* /.test(line)) throw new Error(`${where}: not a HELP or TYPE comment`);
      return;
    }
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!name) throw new Error(`${where}: no metric name`);
    let pos = name[0].length;
    const labels: Record<string, string> = {};
    if (line[pos] === '{') {
      pos++;
      while (line[pos] !== '}') {
        const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(pos));
        if (!label) throw new Error(`${where}: bad label at ${pos}`);
        pos += label[0].length;
        let value = '';
        for (;;) {
          const c = line[pos++];
          if (c === undefined) throw new Error(`${where}: unterminated label value`);
          if (c === '"') break;
          if (c === '\\') {
            const e = line[pos++];
            value += e === 'n' ? '\n' : e;
          } else value += c;
        }
        labels[label[1]] = value;
        if (line[pos] === ',') pos++;
      }
      pos++;
    }
    const rest = line.slice(pos).trim().split(/\s+/);
    if (rest.length < 1 || rest.length > 2) throw new Error(`${where}: expected a value (and an optional timestamp)`);
    // Special values case-insensitively, as Prometheus' parser (Go's ParseFloat) reads them: prom-client writes "Nan".
    const special: Record<string, number> = { '+inf': Infinity, inf: Infinity, '-inf': -Infinity, nan: NaN };
    const word = rest[0].toLowerCase();
    const value = word in special ? special[word] : Number(rest[0]);
    if (Number.isNaN(value) && word !== 'nan') throw new Error(`${where}: "${rest[0]}" is not a number`);
    samples.push({ name: name[0], labels, value });
  });
  return { types, samples };
}

/** The sum of the samples of `name` whose labels include `labels` (0 when none). */
export function total(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  return e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((acc, s) => acc + s.value, 0);
}

/** The one sample of `name` with exactly these labels; fails when there is not exactly one. */
export function one(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = e.samples.filter((s) => s.name === name && Object.keys(s.labels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  expect(found, `${name}${JSON.stringify(labels)} in\n${e.samples.map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`).join('\n')}`).to.have.length(1);
  return found[0].value;
}

export interface Response {
  status: number;
  contentType: string;
  body: string;
}

/** GET on loopback, with a bound. */
export function get(url: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 10_000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 10 s`)));
    req.on('error', reject);
  });
}

export async function scrape(base: string): Promise<Exposition> {
  const r = await get(`${base}/metrics`);
  expect(r.status, r.body).to.equal(200);
  expect(r.contentType).to.match(/^text\/plain; version=0\.0\.4/);
  return parseExposition(r.body);
}

export interface LogRecord {
  level: string;
  time: string;
  msg: string;
  [field: string]: unknown;
}

/** A summary record's counts for one signature (by its event name). */
export function signatureSummary(record: LogRecord, eventName: string): Record<string, number> {
  return (record.signatures as Record<string, Record<string, number>>)[eventName];
}

/** Every stderr line as a JSON log record; fails on a line that is not one. */
export function logRecords(stderr: string): LogRecord[] {
  return stderr
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      let r: LogRecord;
      try {
        r = JSON.parse(line) as LogRecord;
      } catch {
        throw new Error(`stderr line is not JSON: ${line}`);
      }
      expect(r.level, line).to.be.oneOf(['debug', 'info', 'warn', 'error']);
      expect(r.msg, line).to.be.a('string');
      expect(Number.isNaN(Date.parse(r.time)), line).to.equal(false);
      return r;
    });
}

/** The base URL the child logged for its metrics endpoint ("metrics on http://..."), once logged. */
export function metricsUrl(stderr: string): string | undefined {
  const complete = stderr.split('\n').slice(0, -1); // the last piece may be a line still arriving
  for (const line of complete) {
    if (!line.startsWith('{')) continue;
    const r = JSON.parse(line) as LogRecord;
    if (typeof r.url === 'string' && r.msg.startsWith('metrics on ')) return r.url;
  }
  return undefined;
}

/** Waits (polling, bounded) until `ready` holds; fails naming `what` otherwise. A bound, not a measurement. */
export async function until(what: string, ready: () => boolean | Promise<boolean>, boundMs = 15_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${boundMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
