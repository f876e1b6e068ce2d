import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { decodeJsonLine } from '../../src/decode/json.js';
import { DecodeError } from '../../src/decode/errors.js';
import { origin, containerId, comm, stringArrayArg, sockaddrArg } from '../../src/model/accessors.js';
import { toNanosText } from '../../src/model/time.js';
import { UPSTREAM_RECORDING } from '../support/cli.js';

const EXAMPLES = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'reference-examples.jsonl'), 'utf8').trim().split('\n');
const [curExec, curConnect, curConnect6, curRemove, curDetection, legExec, legConnect, legRemove, legDetection, rulesFinding] = EXAMPLES;
const ID_A = '8498b67529680758f69b3a165b6ced82d90e7dae7c573dfa795a87925267230b';

function decode(line: string) {
  return decodeJsonLine(line).event;
}
function mutate(line: string, f: (o: any) => void): string { // eslint-disable-line @typescript-eslint/no-explicit-any
  const o = JSON.parse(line);
  f(o);
  return JSON.stringify(o);
}
function errorOf(line: string): DecodeError {
  try {
    decodeJsonLine(line);
  } catch (e) {
    expect(e).to.be.instanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

describe('decodeJsonLine', () => {
  describe('current shape (Tracee main)', () => {
    it('decodes an exec with env into the model', () => {
      const { event, shape } = decodeJsonLine(curExec);
      expect(shape).to.equal('current');
      expect(event.name).to.equal('sched_process_exec');
      expect(event.id).to.equal(1015);
      expect(event.timestamp).to.deep.equal({ seconds: 1772446530, nanos: 123456789 });
      expect(origin(event)).to.equal('container');
      expect(containerId(event)).to.equal(ID_A);
      expect(comm(event)).to.equal('curl');
      expect(stringArrayArg(event, 'env')).to.include('KUBERNETES_SERVICE_HOST=10.96.0.1');
      expect(event.data.find((d) => d.name === 'ctime')?.u_int64).to.equal('1740000000123456789');
      expect(event.policies).to.deep.equal({ matched: ['k8s-watch'] });
    });

    it('decodes IPv4 and IPv6 sockaddrs with numeric ports', () => {
      expect(sockaddrArg(decode(curConnect), 'remote_addr')).to.deep.equal({ sa_family: 'AF_INET', sin_addr: '10.96.0.1', sin_port: 443 });
      expect(sockaddrArg(decode(curConnect6), 'remote_addr')).to.deep.equal({ sa_family: 'AF_INET6', sin6_addr: 'fd00:10:96::1', sin6_port: 443 });
    });

    it('reads env capture off ({"str_array":{}}) as no environment', () => {
      const off = mutate(curExec, (o) => (o.data.find((d: { name: string }) => d.name === 'env').str_array = {}));
      expect(stringArrayArg(decode(off), 'env')).to.equal(undefined);
    });

    it('decodes host events (no container) as host origin, and container_remove args', () => {
      const e = decode(curRemove);
      expect(origin(e)).to.equal('host');
      expect(e.data[1]).to.deep.equal({ name: 'container_id', str: ID_A });
    });

    it('decodes a detection event with threat and detected_from', () => {
      const e = decode(curDetection);
      expect(e.threat?.severity).to.equal(1);
      expect(e.detected_from?.id).to.equal(736);
      expect(e.detected_from?.data?.[2].sockaddr?.sin_addr).to.equal('10.96.0.1');
    });

    it('accepts the protojson variant (enum-name id, started omitted when false, string severity)', () => {
      const line = mutate(curExec, (o) => {
        o.id = 'sched_process_exec';
        delete o.workload.container.started;
      });
      const e = decode(line);
      expect(e.id).to.equal(1015);
      expect(origin(e)).to.equal('container-init');
      const det = mutate(curDetection, (o) => (o.threat.severity = 'LOW'));
      expect(decode(det).threat?.severity).to.equal(1);
    });

    it('accepts the generic "value" variant of December 2025', () => {
      const line = mutate(curConnect, (o) => {
        o.data = [{ name: 'sockfd', value: 5 }, { name: 'remote_addr', value: { sa_family: 'AF_INET', sin_addr: '10.96.0.1', sin_port: 443 } }];
      });
      expect(sockaddrArg(decode(line), 'remote_addr')?.sin_addr).to.equal('10.96.0.1');
      const exec = mutate(curExec, (o) => (o.data = [{ name: 'env', value: ['KUBERNETES_SERVICE_HOST=10.96.0.1'] }]));
      expect(stringArrayArg(decode(exec), 'env')).to.deep.equal(['KUBERNETES_SERVICE_HOST=10.96.0.1']);
    });

    it('reads the "null" timestamp Tracee writes for a nil one', () => {
      expect(decode(mutate(curConnect, (o) => (o.timestamp = 'null'))).timestamp).to.equal(undefined);
    });
  });

  describe('legacy trace.Event shape, every era', () => {
    it('v0.24.1: exact 19-digit timestamps, nested container, Go types', () => {
      const { event, shape } = decodeJsonLine(legExec);
      expect(shape).to.equal('legacy');
      expect(toNanosText(event.timestamp!)).to.equal('1763629200123456789');
      expect(toNanosText(event.workload!.process!.thread!.start_time!)).to.equal('1763629200120001234');
      expect(event.id).to.equal(715);
      expect(origin(event)).to.equal('container');
      expect(containerId(event)).to.equal(ID_A);
      expect(stringArrayArg(event, 'env')).to.include('KUBERNETES_SERVICE_HOST=10.96.0.1');
      expect(event.workload?.k8s).to.deep.equal({ pod: { name: 'app-c-8b9cd456c-5h54z', uid: '7618a938-2586-486a-abaf-dd9a1b0c64d8' }, namespace: { name: 'team-green' } });
      expect(event.workload?.container?.image).to.deep.equal({ id: '', repo_digests: ['sha256:b1211f6d19afd012477bd34fdcabb6b663d680e0f4b0537da6e6b0fd057a3ec3'], name: 'docker.io/library/debian:bookworm-slim' });
    });

    it('v0.24.1: sockaddr with string ports becomes numbers; IPv6 keeps every key', () => {
      expect(sockaddrArg(decode(legConnect), 'remote_addr')).to.deep.equal({ sa_family: 'AF_INET', sin_addr: '10.96.0.1', sin_port: 443 });
      const v6 = mutate(legConnect, (o) => (o.args[2].value = { sa_family: 'AF_INET6', sin6_addr: 'fd00:10:96::1', sin6_flowinfo: '0', sin6_port: '443', sin6_scopeid: '0' }));
      expect(sockaddrArg(decode(v6), 'remote_addr')).to.deep.equal({ sa_family: 'AF_INET6', sin6_addr: 'fd00:10:96::1', sin6_flowinfo: 0, sin6_port: 443, sin6_scopeid: 0 });
    });

    it('v0.23: C-style types, env as const char**', () => {
      const line = mutate(legExec, (o) => {
        for (const a of o.args) a.type = ({ string: 'const char*', uint32: 'dev_t', uint64: 'unsigned long', uint16: 'umode_t', '[]string': 'const char**' } as Record<string, string>)[a.type] ?? a.type;
      });
      const e = decode(line);
      expect(stringArrayArg(e, 'env')).to.include('KUBERNETES_SERVICE_HOST=10.96.0.1');
      expect(e.data.find((d) => d.name === 'dev')?.u_int32).to.equal(45);
      const conn = mutate(legConnect, (o) => {
        o.args[0].type = 'int';
        o.args[2].type = 'struct sockaddr*';
      });
      expect(sockaddrArg(decode(conn), 'remote_addr')?.sin_port).to.equal(443);
    });

    it('missing env in each era: zero value [] (v0.23+), null (v0.11-v0.22), absent (<= v0.10)', () => {
      const withEnv = (v: unknown) => mutate(legExec, (o) => (o.args.find((a: { name: string }) => a.name === 'env').value = v));
      expect(stringArrayArg(decode(withEnv([])), 'env')).to.deep.equal([]);
      expect(stringArrayArg(decode(withEnv(null)), 'env')).to.equal(undefined);
      expect(stringArrayArg(decode(mutate(legExec, (o) => (o.args = o.args.filter((a: { name: string }) => a.name !== 'env')))), 'env')).to.equal(undefined);
    });

    it('v0.15-v0.17: containerId top level, no executable or entity ids', () => {
      const line = mutate(legConnect, (o) => {
        delete o.executable;
        delete o.threadEntityId;
        delete o.processEntityId;
        delete o.parentEntityId;
      });
      expect(containerId(decode(line))).to.equal(ID_A);
    });

    it('v0.13-v0.14: nested container and kubernetes, no top-level containerId', () => {
      const line = mutate(legConnect, (o) => delete o.containerId);
      const e = decode(line);
      expect(containerId(e)).to.equal(ID_A);
      expect(origin(e)).to.equal('container');
    });

    it('v0.8-v0.12: flat containerId/containerImage/podName fields', () => {
      const line = mutate(legConnect, (o) => {
        delete o.container;
        delete o.kubernetes;
        Object.assign(o, { containerImage: 'docker.io/library/debian:bookworm-slim', containerName: 'app', podName: 'app-1', podNamespace: 'ns', podUID: 'u-1' });
      });
      const e = decode(line);
      expect(containerId(e)).to.equal(ID_A);
      expect(e.workload?.container?.image?.name).to.equal('docker.io/library/debian:bookworm-slim');
      expect(e.workload?.k8s?.pod?.name).to.equal('app-1');
    });

    it('v0.7-v0.8 without contextFlags: a container id marks a container event', () => {
      const line = mutate(legConnect, (o) => delete o.contextFlags);
      expect(origin(decode(line))).to.equal('container');
      const host = mutate(legConnect, (o) => {
        delete o.contextFlags;
        o.containerId = '';
        o.container = {};
      });
      expect(origin(decode(host))).to.equal('host');
    });

    it('containerStarted false is container-init', () => {
      expect(origin(decode(mutate(legConnect, (o) => (o.contextFlags.containerStarted = false))))).to.equal('container-init');
    });

    it('decodes a legacy detection event as input without error', () => {
      const e = decode(legDetection);
      expect(e.name).to.equal('k8s_api_connection');
      expect(e.data[0]).to.deep.equal({ name: 'ip', str: '10.96.0.1' });
    });

    it('decodes every line of a real Tracee recording (2022, tracee-ebpf)', () => {
      const lines = zlib.gunzipSync(fs.readFileSync(UPSTREAM_RECORDING)).toString('utf8').trim().split('\n');
      expect(lines.length).to.equal(10534);
      const names = new Map<string, number>();
      for (const l of lines) {
        const e = decode(l);
        names.set(e.name, (names.get(e.name) ?? 0) + 1);
        expect(origin(e)).to.equal('host');
      }
      expect(names.get('sched_process_exec')).to.equal(39);
      expect(names.get('security_socket_connect')).to.equal(2);
    });

    it('keeps 19-digit timestamps exact even where another key holds the same digits', () => {
      const line = legConnect.replace('"timestamp":1763629200187654321', '"timestamp":1763629200187654399');
      expect(toNanosText(decode(line).timestamp!)).to.equal('1763629200187654399');
    });
  });

  describe('malformed input names the field and the problem', () => {
    const cases: [string, string, RegExp][] = [
      ['bad JSON', '{"eventName": ', /not valid JSON/],
      ['a JSON array', '[1,2]', /expected a JSON object, got an array/],
      ['a rawjson finding', rulesFinding, /not a Tracee event/],
      ['a missing name', '{"timestamp":"2026-03-02T10:15:30Z","id":1}', /not a Tracee event/],
      ['an empty legacy name', legConnect.replace('"eventName":"security_socket_connect"', '"eventName":""'), /^eventName: missing or empty/],
      ['a string legacy timestamp', legConnect.replace('"timestamp":1763629200187654321', '"timestamp":"x"'), /^timestamp: expected a number/],
      ['a bad current timestamp', curConnect.replace('"2026-03-02T10:15:30.187654321Z"', '"yesterday"'), /^timestamp: not an RFC 3339 time/],
      ['env of the wrong type', mutate(legExec, (o) => (o.args.find((a: { name: string }) => a.name === 'env').value = 'PATH=/bin')), /args\[16\]\.value \(env\): expected an array of strings/],
      ['a non-string env entry', mutate(legExec, (o) => (o.args.find((a: { name: string }) => a.name === 'env').value = ['A=1', 7])), /args\[16\]\.value \(env\)\[1\]: expected a string/],
      ['remote_addr not an object', mutate(legConnect, (o) => (o.args[2].value = '10.96.0.1')), /args\[2\]\.value \(remote_addr\): expected a sockaddr object/],
      ['a sockaddr port that is not a number', mutate(legConnect, (o) => (o.args[2].value.sin_port = 'https')), /remote_addr\)\.sin_port: expected a decimal number/],
      ['args not an array', mutate(legConnect, (o) => (o.args = {})), /^args: expected an array/],
      ['container id of the wrong type', mutate(curConnect, (o) => (o.workload.container.id = 7)), /^workload\.container\.id: expected a string/],
      ['started of the wrong type', mutate(curConnect, (o) => (o.workload.container.started = 'yes')), /^workload\.container\.started: expected true or false/],
      ['a str_array that is not an object', mutate(curExec, (o) => (o.data.find((d: { name: string }) => d.name === 'env').str_array = ['x'])), /\(env\)\.str_array: expected/],
      ['a sockaddr port of the wrong type', mutate(curConnect, (o) => (o.data[2].sockaddr.sin_port = '443')), /sockaddr\.sin_port: expected a number/],
      // Nested deep enough to overflow the stack of the decoder (detected_from.parent) or of an encoder.
      ['detected_from nested 20,000 deep', curConnect.slice(0, -1) + ',"detected_from":' + '{"id":1,"name":"x","parent":'.repeat(20000) + '{}' + '}'.repeat(20000) + '}', /^nested deeper than 64 levels/],
      ['a legacy container nested 5,000 deep', legConnect.replace(/"container":\{[^}]*\}/, '"container":' + '{"a":'.repeat(5000) + '{}' + '}'.repeat(5000)), /^nested deeper than 64 levels/],
    ];
    for (const [what, line, expected] of cases) {
      it(what, () => expect(errorOf(line).message).to.match(expected));
    }
  });
});
