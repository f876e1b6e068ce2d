// Tools for the fault tests of `tracee-sig serve`: a raw HTTP/2 client (to send
// what no well-behaved gRPC library would), a witness stream that must keep
// getting correct findings through every fault, and the server's RSS.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { SignatureClient } from '../../src/server/client.js';
import { parseAddress } from '../../src/server/listen-address.js';
import { decodeFindingBatch, type FindingBatch } from '../../src/wire/services.js';
import { CURRENT } from './examples.js';
import { batchOf } from './helpers.js';

export const ON_EVENTS_PATH = '/tracee.sig.v1.SignatureService/OnEvents';
const EXAMPLE_CONTAINER = '8498b67529680758f69b3a165b6ced82d90e7dae7c573dfa795a87925267230b';

/** The reference exec + connect pair moved into container `n` (a 64-hex id): one finding each time. */
export function pairIn(n: number): { lines: string[]; container: string } {
  const container = n.toString(16).padStart(64, 'c');
  return { lines: [CURRENT.exec, CURRENT.connect].map((l) => l.split(EXAMPLE_CONTAINER).join(container)), container };
}

/** Asserts an answer to `pairIn(n)`: both events processed, the one TRC-1013 finding for that container. */
export function expectPairFinding(answer: FindingBatch, container: string): void {
  expect(answer.events_processed).to.equal(2);
  expect(answer.events_unusable).to.equal(0);
  expect(answer.trigger_indexes).to.deep.equal([1]);
  expect(answer.findings).to.have.length(1);
  expect(answer.findings[0].name).to.equal('k8s_api_connection');
  expect(answer.findings[0].data).to.deep.equal([
    { name: 'ip', str: '10.96.0.1' },
    { name: 'container_id', str: container },
    { name: 'comm', str: 'curl' },
    { name: 'port', u_int32: 443 },
  ]);
}

/** A gRPC length-prefixed message (flag 0 = not compressed). */
export function grpcFrame(message: Buffer, flag = 0, declaredLength = message.length): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(declaredLength >>> 0, 1);
  return Buffer.concat([head, message]);
}

export function h2Connect(socketPath: string): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect('http://localhost', { createConnection: () => net.connect(socketPath) });
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

export interface RawOutcome {
  httpStatus?: number;
  grpcStatus?: number;
  grpcMessage?: string;
}

/** A raw OnEvents request; `outcome` resolves with the HTTP status and gRPC status (trailers or trailers-only). */
export function rawOnEvents(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders = {}): { req: http2.ClientHttp2Stream; outcome: Promise<RawOutcome> } {
  const req = session.request({ ':method': 'POST', ':path': ON_EVENTS_PATH, 'content-type': 'application/grpc', te: 'trailers', ...headers });
  const out: RawOutcome = {};
  let settle: (o: RawOutcome) => void = () => undefined;
  const outcome = new Promise<RawOutcome>((resolve) => (settle = resolve));
  // The status ends the server's side; ours may still be open (a request that did not half-close).
  const take = (h: http2.IncomingHttpHeaders) => {
    if (h[':status'] !== undefined) out.httpStatus = Number(h[':status']);
    if (h['grpc-message'] !== undefined) out.grpcMessage = decodeURIComponent(String(h['grpc-message']));
    if (h['grpc-status'] !== undefined) {
      out.grpcStatus = Number(h['grpc-status']);
      settle(out);
    }
  };
  req.on('response', take);
  req.on('trailers', take);
  req.on('error', () => undefined); // a reset shows as the outcome without a gRPC status
  req.on('close', () => settle(out));
  return { req, outcome };
}

/**
 * A well-behaved host on its own connection: one long-lived OnEvents stream,
 * each check() sends an exec + connect pair in a fresh container and asserts
 * the finding that comes back. Faults elsewhere must never disturb it.
 */
export class Witness {
  private readonly client: SignatureClient;
  private call: grpc.ClientDuplexStream<Buffer, Buffer> | undefined;
  private readonly waiting: ((a: FindingBatch) => void)[] = [];
  private next = 1;
  checks = 0;
  status: Promise<grpc.StatusObject> | undefined;

  constructor(address: string, private readonly base = 0x10000) {
    this.client = new SignatureClient(parseAddress(address));
  }

  async open(): Promise<void> {
    await this.client.ready(10000);
    const call = this.client.onEvents();
    call.on('data', (b: Buffer) => this.waiting.shift()?.(decodeFindingBatch(b)));
    call.on('error', () => undefined);
    this.status = new Promise((resolve) => call.on('status', resolve));
    this.call = call;
  }

  async check(): Promise<void> {
    const { lines, container } = pairIn(this.base + this.next++);
    const answer = new Promise<FindingBatch>((resolve) => this.waiting.push(resolve));
    this.call!.write(batchOf(lines));
    expectPairFinding(await answer, container);
    this.checks++;
  }

  close(): void {
    this.call?.cancel();
    this.client.close();
  }
}

/** Resident set size of a process, in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

/** Resolves on `emitter`'s `event`, or with false after `ms` (a wait, not an assertion). */
export function eventWithin(emitter: NodeJS.EventEmitter, event: string, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      resolve(false);
    }, ms);
    const on = () => {
      clearTimeout(timer);
      resolve(true);
    };
    emitter.once(event, on);
  });
}
