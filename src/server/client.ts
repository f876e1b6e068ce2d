// A host-side client of tracee.sig.v1.SignatureService (used by `send`, the
// tests and the benchmark): unary calls as promises, OnEvents as raw bytes.
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { SignatureMetadata } from '../model/signature.js';
import { grpcTarget, type ListenAddress } from './listen-address.js';
import { healthServiceDefinition, signatureServiceDefinition } from '../wire/services.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ClientTls {
  ca?: string; // verify the server against this CA (PEM file); default: system roots
  cert?: string; // client certificate for mutual TLS
  key?: string;
}

export interface ClientOptions {
  tls?: ClientTls;
  maxMessageBytes?: number;
}

export class SignatureClient {
  private readonly client: grpc.Client & Obj;
  private readonly health: grpc.Client & Obj;

  constructor(address: ListenAddress, options: ClientOptions = {}) {
    const creds = clientCredentials(options.tls);
    const channelOptions: grpc.ChannelOptions = {};
    if (options.maxMessageBytes) {
      channelOptions['grpc.max_receive_message_length'] = options.maxMessageBytes;
      channelOptions['grpc.max_send_message_length'] = options.maxMessageBytes;
    }
    const Client = grpc.makeGenericClientConstructor(signatureServiceDefinition(), 'SignatureService');
    const Health = grpc.makeGenericClientConstructor(healthServiceDefinition(), 'Health');
    this.client = new Client(grpcTarget(address), creds, channelOptions) as grpc.Client & Obj;
    // The health client shares the signature client's channel.
    this.health = new Health(grpcTarget(address), creds, { ...channelOptions, channelOverride: grpc.getClientChannel(this.client) }) as grpc.Client & Obj;
  }

  /** Resolves once connected; rejects after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => this.client.waitForReady(Date.now() + timeoutMs, (e?: Error) => (e ? reject(e) : resolve())));
  }

  private unary(client: Obj, method: string, request: Obj, deadlineMs?: number): Promise<Obj> {
    const options: grpc.CallOptions = deadlineMs ? { deadline: Date.now() + deadlineMs } : {};
    return new Promise((resolve, reject) => client[method](request, options, (e: grpc.ServiceError | null, r: Obj) => (e ? reject(e) : resolve(r))));
  }

  getMetadata(): Promise<Obj> {
    return this.unary(this.client, 'GetMetadata', {});
  }

  /** With `deadlineMs`, fails with DEADLINE_EXCEEDED when no answer comes in time (UNAVAILABLE at once when it cannot connect). */
  getSelectedEvents(deadlineMs?: number): Promise<Obj> {
    return this.unary(this.client, 'GetSelectedEvents', {}, deadlineMs);
  }

  onSignal(signal: Obj): Promise<Obj> {
    return this.unary(this.client, 'OnSignal', signal);
  }

  healthCheck(service = ''): Promise<Obj> {
    return this.unary(this.health, 'Check', { service });
  }

  /** An OnEvents stream: write encoded EventBatch bytes, read encoded FindingBatch bytes. */
  onEvents(): grpc.ClientDuplexStream<Buffer, Buffer> {
    return this.client.OnEvents() as grpc.ClientDuplexStream<Buffer, Buffer>;
  }

  close(): void {
    this.health.close();
    this.client.close();
  }
}

function clientCredentials(tls: ClientTls | undefined): grpc.ChannelCredentials {
  if (!tls || (!tls.ca && !tls.cert && !tls.key)) return grpc.credentials.createInsecure();
  const read = (f: string | undefined) => (f ? fs.readFileSync(f) : null);
  return grpc.credentials.createSsl(read(tls.ca), read(tls.key), read(tls.cert));
}

/** Names of the events some selector names; undefined when one selects any name ("*"). */
export function selectedNamesOf(response: Obj): Set<string> | undefined {
  const names = new Set<string>();
  for (const s of response.selectors ?? []) {
    if (!s.source) continue;
    if (s.name === '*' || s.name === '') return undefined;
    names.add(s.name);
  }
  return names;
}

/** A SignatureMetadata message back in the model's form (for formatting findings). */
export function metadataFromMessage(m: Obj): SignatureMetadata {
  const props: Record<string, string> = { ...(m.properties ?? {}) };
  for (const derived of ['Severity', 'Category', 'Technique', 'external_id']) delete props[derived];
  const severity = typeof m.severity === 'number' ? m.severity : ['INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'].indexOf(m.severity);
  return {
    id: m.id ?? '',
    version: m.version ?? '',
    name: m.name ?? '',
    eventName: m.event_name ?? '',
    description: m.description ?? '',
    tags: m.tags ?? [],
    severity: severity < 0 ? 0 : severity,
    category: m.category ?? '',
    mitre: { tactic: m.mitre?.tactic?.name ?? '', technique: { id: m.mitre?.technique?.id ?? '', name: m.mitre?.technique?.name ?? '' } },
    properties: props,
  };
}
