// The floors replay is measured against, each a whole process over the same
// file, as tight as plain Node code gets:
//   split    read the file and split it into lines (no decoding)
//   parse    split, then JSON.parse every line
//   prefilter split, search the raw bytes for the selected event names, JSON.parse
//            only those lines, and run a minimal TRC-1013 (the floor for our design)
// and the two ways replay can read a selected line, with what TRC-1013 reads of it
// (container id, origin, env summary, remote_addr), no detection:
//   decode   replay's prefilter, then the full decoder (JSON.parse + model): the library way
//   scan     replay's prefilter, then the Tracee-layout scanner (full decoder when it declines)
//   scan-rules the same scanner with its templates off: every line walked by its rules
//
//   node dist/bench/floors.js split|parse|prefilter|decode|scan|scan-rules FILE
import * as fs from 'node:fs';
import { decodeJsonLine } from '../src/decode/json.js';
import { Prefilter } from '../src/decode/prefilter.js';
import { TraceeLineScanner } from '../src/decode/tracee-layout.js';
import { arg, containerId, origin, stringArraySummary } from '../src/model/accessors.js';
import type { Event } from '../src/model/event.js';

const [mode, file] = process.argv.slice(2);
const EXEC = Buffer.from('"sched_process_exec"');
const CONNECT = Buffer.from('"security_socket_connect"');

let lines = 0;
let parsed = 0;
let findings = 0;
const armed = new Map<string, string>();

function detect(o: any): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const legacy = 'eventName' in o;
  const name = legacy ? o.eventName : o.name;
  const cid = legacy ? o.container?.id ?? o.containerId : o.workload?.container?.id;
  const started = legacy ? o.contextFlags?.containerStarted : o.workload?.container?.started;
  if (!cid || !started) return;
  const data = legacy ? o.args : o.data;
  if (name === 'sched_process_exec') {
    for (const a of data) {
      if (a.name !== 'env') continue;
      const env: string[] = legacy ? a.value : a.str_array?.value;
      for (const e of env ?? []) if (e.startsWith('KUBERNETES_SERVICE_HOST=')) armed.set(cid, e.slice(24));
    }
  } else {
    for (const a of data) {
      if (a.name !== 'remote_addr') continue;
      const s = legacy ? a.value : a.sockaddr;
      const ip = s?.sin_addr ?? s?.sin6_addr;
      if (ip !== undefined && armed.get(cid) === ip) findings++;
    }
  }
}

const prefilter = new Prefilter(new Set(['sched_process_exec', 'security_socket_connect', 'container_remove']));
const scanner = new TraceeLineScanner({ templates: mode !== 'scan-rules' });
let reads = 0;

/** What TRC-1013 reads of an event, as it reads it. */
function read(e: Event): void {
  if (origin(e) !== 'container') return;
  reads += containerId(e).length;
  if (e.name === 'sched_process_exec') reads += stringArraySummary(e, 'env', 'KUBERNETES_SERVICE_HOST=')?.withPrefix.length ?? 0;
  else if (e.name === 'security_socket_connect') reads += arg(e, 'remote_addr') ? 1 : 0;
}

function onLine(buf: Buffer, start: number, end: number): void {
  lines++;
  if (mode === 'split') return;
  if (mode === 'decode' || mode === 'scan' || mode === 'scan-rules') {
    if (prefilter.skip(buf, start, end)) return;
    parsed++;
    const name = prefilter.layoutName;
    const scanned = mode !== 'decode' && name !== undefined ? scanner.scan(buf, start, end, name, prefilter.layoutShape) : undefined;
    read(scanned ?? decodeJsonLine(buf.toString('utf8', start, end)).event);
    return;
  }
  const line = buf.subarray(start, end);
  if (mode === 'prefilter' && line.indexOf(EXEC) < 0 && line.indexOf(CONNECT) < 0) return;
  const o = JSON.parse(line.toString('utf8'));
  parsed++;
  if (mode === 'prefilter') detect(o);
}

let rest: Buffer | undefined;
const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
stream.on('data', (chunk) => {
  let buf = chunk as Buffer;
  if (rest) buf = Buffer.concat([rest, buf]);
  let start = 0;
  for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
    onLine(buf, start, nl);
    start = nl + 1;
  }
  rest = start < buf.length ? Buffer.from(buf.subarray(start)) : undefined;
});
stream.on('end', () => {
  if (rest && rest.length) onLine(rest, 0, rest.length);
  process.stderr.write(JSON.stringify({ lines, parsed, findings, reads }) + '\n');
});
