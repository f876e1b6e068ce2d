// The signature's tests, as a user writes them: its case files through
// tracee-sig/testing, and its detection called directly.
import { expect } from 'chai';
import * as path from 'node:path';
import { assertCase, loadCases, runCase } from 'tracee-sig/testing';
import type { Event } from 'tracee-sig/sdk';
import cloudMetadata from '../cloud-metadata.js';

const CASES = path.join(__dirname, '..', '..', 'cases', 'cloud-metadata.case.yaml');

describe('EX-CLOUD-METADATA (example signature)', () => {
  for (const c of loadCases(CASES, { signatures: [cloudMetadata] })) {
    it(c.name, async () => assertCase(await runCase(c, { signatures: [cloudMetadata] })));
  }

  it('onEvent returns one finding for a metadata connect, none for another address', () => {
    const detector = cloudMetadata.create({ addresses: [] }, { containers: { get: () => undefined, touch: () => undefined, set: () => undefined, size: 0 }, dataSources: {} });
    const connect = (ip: string): Event => ({
      id: 0,
      name: 'security_socket_connect',
      data: [{ name: 'remote_addr', sockaddr: { sa_family: 'AF_INET', sin_addr: ip, sin_port: 80 } }],
      workload: { container: { id: 'c1', started: true }, process: { thread: { name: 'curl' } } },
    });
    expect(detector.onEvent(connect('169.254.169.254'))).to.have.length(1);
    expect(detector.onEvent(connect('10.0.0.1'))).to.equal(undefined);
  });
});
