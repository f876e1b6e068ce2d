// A tiny authoritative DNS server on loopback UDP for tests: A and AAAA
// answers from a table, NXDOMAIN for unknown names, silence for names listed
// as `unanswered` (to exercise timeouts). Counts the queries it got.
import * as dgram from 'node:dgram';

export interface Zone {
  [name: string]: { a?: string[]; aaaa?: string[]; ttl?: number };
}

export class TestDnsServer {
  private socket?: dgram.Socket;
  readonly queries: { name: string; type: number }[] = [];
  readonly unanswered = new Set<string>();

  constructor(public zone: Zone) {}

  async start(): Promise<string> {
    const socket = dgram.createSocket('udp4');
    this.socket = socket;
    socket.on('message', (msg, rinfo) => {
      const reply = this.answer(msg);
      if (reply) socket.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return `127.0.0.1:${socket.address().port}`;
  }

  async stop(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private answer(msg: Buffer): Buffer | undefined {
    if (msg.length < 12) return undefined;
    let i = 12;
    const labels: string[] = [];
    while (i < msg.length && msg[i] !== 0) {
      const len = msg[i];
      labels.push(msg.toString('latin1', i + 1, i + 1 + len));
      i += 1 + len;
    }
    const questionEnd = i + 5;
    if (questionEnd > msg.length) return undefined;
    const type = msg.readUInt16BE(i + 1);
    const name = labels.join('.').toLowerCase();
    this.queries.push({ name, type });
    if (this.unanswered.has(name)) return undefined;
    const entry = this.zone[name];
    const addresses = !entry ? [] : type === 1 ? entry.a ?? [] : type === 28 ? entry.aaaa ?? [] : [];
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(entry ? 0x8580 : 0x8583, 2); // response, authoritative, RD+RA; NXDOMAIN when unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(addresses.length, 6);
    const question = msg.subarray(12, questionEnd);
    const answers = addresses.map((a) => {
      const rdata = type === 1 ? Buffer.from(a.split('.').map(Number)) : ipv6Bytes(a);
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // name: pointer to the question
      rr.writeUInt16BE(type, 2);
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(entry?.ttl ?? 300, 6);
      rr.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([rr, rdata]);
    });
    return Buffer.concat([header, question, ...answers]);
  }
}

function ipv6Bytes(text: string): Buffer {
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, k) => out.writeUInt16BE(parseInt(g, 16), k * 2));
  return out;
}
