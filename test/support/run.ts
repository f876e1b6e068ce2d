// Runs events through a real host with TRC-1013 and collects the findings.
import type { Event } from '../../src/model/event.js';
import { SignatureHost } from '../../src/host/host.js';
import { HostedSignature } from '../../src/host/instance.js';
import type { HostSection } from '../../src/host/signature-section.js';
import k8sApiConnection, { type K8sApiConnectionConfig } from '../../signatures/k8s_api_connection.js';

export interface Finding {
  ip?: string;
  container_id?: string;
  comm?: string;
  port?: number;
}

/** TRC-1013's config section: its own keys and the host's (allowlist, dedup, maxContainers). */
export type Trc1013Section = Partial<K8sApiConnectionConfig> & HostSection;

/** TRC-1013 as every host runs it, configured by its section. */
export function trc1013(section: Trc1013Section = {}): HostedSignature {
  return new HostedSignature(k8sApiConnection, section as Record<string, unknown>);
}

export function findingData(f: Event): Finding {
  const out: Record<string, unknown> = {};
  for (const v of f.data) out[v.name] = v.str ?? v.u_int32;
  return out as Finding;
}

export function runTrc1013(events: Event[], section?: Trc1013Section) {
  const signature = trc1013(section);
  const findings: Event[] = [];
  const host = new SignatureHost([signature], (f) => findings.push(f));
  for (const e of events) host.dispatch(e);
  host.sourceComplete();
  host.close();
  return { findings, data: findings.map(findingData), counters: signature.counters(), host };
}
