// Runs events through a real host with TRC-1013 and collects the findings.
import type { Event } from '../../src/model/event.js';
import { SignatureHost } from '../../src/host/host.js';
import { K8sApiConnection, type K8sApiConnectionOptions } from '../../signatures/k8s_api_connection.js';

export interface Finding {
  ip?: string;
  container_id?: string;
  comm?: string;
  port?: number;
}

export function findingData(f: Event): Finding {
  const out: Record<string, unknown> = {};
  for (const v of f.data) out[v.name] = v.str ?? v.u_int32;
  return out as Finding;
}

export function runTrc1013(events: Event[], options?: K8sApiConnectionOptions) {
  const signature = new K8sApiConnection(options);
  const findings: Event[] = [];
  const host = new SignatureHost([signature], (f) => findings.push(f));
  for (const e of events) host.dispatch(e);
  host.sourceComplete();
  host.close();
  return { findings, data: findings.map(findingData), counters: signature.counters(), host };
}
