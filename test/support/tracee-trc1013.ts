// Tracee's own TRC-1013 matching logic (reference §6.3), restated for tests:
// each improvement test also runs this and shows Tracee gets the case wrong.
import type { Event } from '../../src/model/event.js';
import { origin } from '../../src/model/accessors.js';

export function traceeFindings(events: Event[]): { ip: string }[] {
  const cache = new Map<string, string>();
  const out: { ip: string }[] = [];
  for (const e of events) {
    if (origin(e) !== 'container') continue;
    const id = e.workload?.container?.id ?? '';
    if (id === '') continue;
    if (e.name === 'sched_process_exec') {
      const env = e.data.find((d) => d.name === 'env')?.str_array?.value ?? [];
      const entry = env.find((x) => x.includes('KUBERNETES_SERVICE_HOST='));
      if (entry === undefined) continue;
      const value = entry.slice(entry.indexOf('=') + 1).trim();
      if (value !== '') cache.set(id, value);
    } else if (e.name === 'security_socket_connect') {
      const cached = cache.get(id);
      const addr = e.data.find((d) => d.name === 'remote_addr')?.sockaddr;
      if (cached === undefined || !addr) continue;
      const ip = addr.sa_family === 'AF_INET' ? addr.sin_addr : addr.sa_family === 'AF_INET6' ? addr.sin6_addr : undefined;
      if (ip !== undefined && ip === cached) out.push({ ip: cached });
    }
  }
  return out;
}
