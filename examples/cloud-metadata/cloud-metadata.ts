// A container process connects to the cloud instance metadata service
// (169.254.169.254, or fd00:ec2::254 on AWS IPv6). From a container, that is
// how stolen node credentials start: the metadata service hands out the
// node's cloud identity to anyone who asks.
import { addressKey, comm, containerId, defineSignature, Severity, sockaddrArg, type Finding } from 'tracee-sig/sdk';

const METADATA_ADDRESSES = ['169.254.169.254', 'fd00:ec2::254'].map((a) => addressKey(a)!);

interface Config {
  /** More addresses that are a metadata service (e.g. a cloud's own). */
  addresses: string[];
}

export default defineSignature<Config>({
  metadata: {
    id: 'EX-CLOUD-METADATA',
    version: '0.1.0',
    name: 'Cloud metadata service connection from a container',
    eventName: 'cloud_metadata_connection',
    description: 'A process in a container connected to the cloud instance metadata service, which serves the node\'s cloud credentials.',
    tags: ['container', 'cloud'],
    severity: Severity.MEDIUM,
    category: 'credential-access',
    mitre: { tactic: 'Credential Access', technique: { id: 'T1552.005', name: 'Cloud Instance Metadata API' } },
    properties: {},
  },
  selectedEvents: [{ source: 'tracee', name: 'security_socket_connect', origin: 'container' }],
  config: {
    type: 'object',
    properties: { addresses: { type: 'array', items: { type: 'string', format: 'ip-address' }, default: [] } },
  },
  formats: { 'ip-address': { validate: (s) => addressKey(s) !== undefined, expected: 'an IPv4 or IPv6 address' } },

  create(config) {
    const watched = new Set([...METADATA_ADDRESSES, ...config.addresses.map((a) => addressKey(a)!)]);
    let connectsChecked = 0;
    return {
      onEvent(event): Finding[] | undefined {
        connectsChecked++;
        const addr = sockaddrArg(event, 'remote_addr');
        const ip = addr?.sa_family === 'AF_INET' ? addr.sin_addr : addr?.sa_family === 'AF_INET6' ? addr.sin6_addr : undefined;
        const key = ip === undefined ? undefined : addressKey(ip);
        if (key === undefined || !watched.has(key)) return;
        const port = (addr!.sa_family === 'AF_INET' ? addr!.sin_port : addr!.sin6_port) ?? 0;
        return [
          {
            data: [
              { name: 'ip', str: ip },
              { name: 'port', u_int32: port },
              { name: 'container_id', str: containerId(event) },
              { name: 'comm', str: comm(event) },
            ],
          },
        ];
      },
      counters: () => ({ connectsChecked }),
    };
  },
});
