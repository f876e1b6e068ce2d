// A host that dies mid-batch, run as its own process by the fault tests:
// `node fault-client.js SOCKET` opens an OnEvents stream over raw HTTP/2,
// sends two whole EventBatches, then the head and half the body of a third
// (large) one, prints "mid-batch" once those bytes are on the wire, and waits
// to be killed (SIGKILL: no goodbye reaches the server).
import { CURRENT } from './examples.js';
import { grpcFrame, h2Connect, rawOnEvents } from './fault-support.js';
import { batchOf } from './helpers.js';

async function main(socketPath: string): Promise<void> {
  const session = await h2Connect(socketPath);
  const { req } = rawOnEvents(session);
  req.resume(); // read answers: this host is only killed, not slow
  const small = grpcFrame(batchOf([CURRENT.exec, CURRENT.connect]));
  req.write(small);
  req.write(small);
  const big = grpcFrame(batchOf(new Array(4000).fill(CURRENT.connect)));
  req.write(big.subarray(0, big.length >> 1), () => process.stdout.write('mid-batch\n'));
  setInterval(() => undefined, 60_000); // wait for the kill
}

main(process.argv[2]).catch((e: Error) => {
  process.stderr.write(`fault-client: ${e.message}\n`);
  process.exit(1);
});
