// How fast `tracee-sig attach` drains a Tracee StreamEvents stream: our test
// Tracee server writes N pre-encoded events as fast as the client takes them
// (honouring HTTP/2 flow control), then an unreadable marker; the clock stops
// when attach reports the marker, i.e. when every event before it was handled.
// Run: npx tsc -p . && node dist/bench/attach.js [N]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { protoType } from '../src/wire/proto.js';
import { TraceeSig } from '../test/support/child.js';
import { CURRENT_CONNECT_V4, CURRENT_CONTAINER_REMOVE, CURRENT_EXEC } from '../test/support/examples.js';
import { prepare, TraceeServer } from '../test/support/tracee-server.js';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 200_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsig-bench-'));
  const socket = path.join(dir, 'tracee.sock');
  const server = await TraceeServer.start({ address: `unix:${socket}`, era: 'main' });
  const child = new TraceeSig(['attach', '--tracee', `unix://${socket}`, '--output-file', '/dev/null']);
  try {
    await server.waitForStream();
    // 80% events no signature selected, 10% execs with environment, 10% connects (each a finding).
    const openat = prepare(CURRENT_CONTAINER_REMOVE.replace('"name":"container_remove"', '"name":"openat"'), 'main').bytes;
    const exec = prepare(CURRENT_EXEC, 'main').bytes;
    const connect = prepare(CURRENT_CONNECT_V4, 'main').bytes;
    const pick = (i: number): Buffer => (i % 10 === 0 ? exec : i % 10 === 1 ? connect : openat);
    const t = protoType('tracee.v1beta1.StreamEventsResponse');
    const marker = Buffer.from(t.encode(t.fromObject({ event: { id: 1 } })).finish());
    const call = server.streams[0].call;
    let bytes = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const b = pick(i);
      bytes += b.length;
      if (!call.write(b)) await new Promise((resolve) => call.once('drain', resolve));
    }
    call.write(marker);
    await child.waitForStderr(/skipped an event that could not be read/);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const exit = await child.stop();
    const summary = /summary: .*/.exec(child.stderr)?.[0];
    process.stdout.write(
      `attach drained ${n} events (${(bytes / 1048576).toFixed(1)} MiB) in ${seconds.toFixed(2)} s: ` +
        `${Math.round(n / seconds)} events/s, ${(bytes / 1048576 / seconds).toFixed(1)} MiB/s; exit ${exit.code}\n${summary}\n`,
    );
  } finally {
    child.kill();
    server.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
