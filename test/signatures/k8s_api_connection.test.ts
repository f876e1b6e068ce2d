import { expect } from 'chai';
import { apiServerValues, looksTruncated, metadata } from '../../signatures/k8s_api_connection.js';
import { trc1013 } from '../support/run.js';
import { CONTAINER_A, CONTAINER_B, connect, containerRemove, exec, inet, inet6, K8S_ENV, unix } from '../support/events.js';
import { runTrc1013 } from '../support/run.js';
import { traceeFindings } from '../support/tracee-trc1013.js';

const ips = (d: { ip?: string }[]) => d.map((f) => f.ip);

describe('TRC-1013 k8s_api_connection', () => {
  describe('metadata', () => {
    it('is documented TRC-1013 with the real MITRE technique id', () => {
      expect(metadata).to.include({ id: 'TRC-1013', version: '0.1.0', eventName: 'k8s_api_connection', severity: 1, category: 'discovery' });
      expect(metadata.name).to.equal('Kubernetes API server connection detected');
      expect(metadata.tags).to.deep.equal(['container']);
      expect(metadata.mitre).to.deep.equal({ tactic: 'Discovery', technique: { id: 'T1526', name: 'Cloud Service Discovery' } });
      expect(metadata.description).to.match(/^A connection to the kubernetes API server was detected\./);
    });

    it('selects exec and connect from started containers, and container_remove from anywhere', () => {
      expect(trc1013().selectedEvents).to.deep.equal([
        { source: 'tracee', name: 'sched_process_exec', origin: 'container' },
        { source: 'tracee', name: 'security_socket_connect', origin: 'container' },
        { source: 'tracee', name: 'container_remove', origin: '*' },
      ]);
    });
  });

  describe('the documented behaviour', () => {
    it('reports a connect to the learned address with ip, container_id, comm and port', () => {
      const { data, findings } = runTrc1013([exec(K8S_ENV), connect(inet('10.96.0.1', 443), { comm: 'kubectl' })]);
      expect(data).to.deep.equal([{ ip: '10.96.0.1', container_id: CONTAINER_A, comm: 'kubectl', port: 443 }]);
      expect(findings[0].data.map((v) => Object.keys(v).find((k) => k !== 'name'))).to.deep.equal(['str', 'str', 'str', 'u_int32']);
    });

    it('stays quiet for other addresses: DNS, services, the metadata endpoint', () => {
      const { data } = runTrc1013([exec(K8S_ENV), connect(inet('10.96.0.10', 53)), connect(inet('10.96.12.34', 8080)), connect(inet('169.254.169.254', 80))]);
      expect(data).to.deep.equal([]);
    });

    it('learns per container: another container is not armed', () => {
      const { data } = runTrc1013([exec(K8S_ENV, { container: CONTAINER_A }), connect(inet('10.96.0.1'), { container: CONTAINER_B })]);
      expect(data).to.deep.equal([]);
    });

    it('reports every matching connect (no dedup by default), in order', () => {
      const { data } = runTrc1013([exec(K8S_ENV), connect(inet('10.96.0.1'), { comm: 'a' }), connect(inet('10.96.0.1'), { comm: 'b' })]);
      expect(data.map((d) => d.comm)).to.deep.equal(['a', 'b']);
    });
  });

  describe('improvements over Tracee (each case fails on Tracee\'s logic)', () => {
    it('learns only the variable named exactly KUBERNETES_SERVICE_HOST', () => {
      const events = [exec(['FAKE_KUBERNETES_SERVICE_HOST=8.8.8.8', ...K8S_ENV]), connect(inet('10.96.0.1')), connect(inet('8.8.8.8'))];
      expect(ips(runTrc1013(events).data)).to.deep.equal(['10.96.0.1']);
      expect(ips(traceeFindings(events))).to.deep.equal(['8.8.8.8']);
    });

    it('does not unlearn the real address when a later exec forges another', () => {
      const events = [exec(K8S_ENV), exec(['KUBERNETES_SERVICE_HOST=8.8.8.8']), connect(inet('10.96.0.1'))];
      expect(ips(runTrc1013(events).data)).to.deep.equal(['10.96.0.1']);
      expect(traceeFindings(events)).to.deep.equal([]);
    });

    it('keeps the earliest addresses when the set is full and counts the dropped ones', () => {
      const forged = Array.from({ length: 20 }, (_, i) => exec([`KUBERNETES_SERVICE_HOST=203.0.113.${i + 1}`]));
      const events = [exec(K8S_ENV), ...forged, connect(inet('10.96.0.1')), connect(inet('203.0.113.20'))];
      const { data, counters } = runTrc1013(events, { maxAddressesPerContainer: 4 });
      expect(ips(data)).to.deep.equal(['10.96.0.1']);
      expect(counters.addressesDropped).to.equal(17);
      expect(ips(traceeFindings(events))).to.deep.equal(['203.0.113.20']);
    });

    it('matches IPv6 addresses in any valid spelling', () => {
      for (const spelling of ['FD00:10:96::1', 'fd00:10:96:0:0:0:0:1', 'fd00:0010:0096:0000:0000:0000:0000:0001']) {
        const events = [exec([`KUBERNETES_SERVICE_HOST=${spelling}`]), connect(inet6('fd00:10:96::1'))];
        expect(ips(runTrc1013(events).data), spelling).to.deep.equal(['fd00:10:96::1']);
        expect(traceeFindings(events), spelling).to.deep.equal([]);
      }
    });

    it('matches an IPv4-mapped IPv6 connect to an IPv4 address, whichever way it is printed', () => {
      const events = [exec(K8S_ENV), connect(inet6('::ffff:10.96.0.1')), connect(inet6('10.96.0.1'))];
      expect(ips(runTrc1013(events).data)).to.deep.equal(['::ffff:10.96.0.1', '10.96.0.1']);
      expect(ips(traceeFindings(events))).to.deep.equal(['10.96.0.1']);
    });

    it('reports all four documented data fields (Tracee emits only ip)', () => {
      const { findings } = runTrc1013([exec(K8S_ENV), connect(inet('10.96.0.1', 6443))]);
      expect(findings[0].data.map((v) => v.name)).to.deep.equal(['ip', 'container_id', 'comm', 'port']);
      expect(findings[0].data[3].u_int32).to.equal(6443);
    });

    it('notices truncated environments and counts those that lost the variable', () => {
      const big = Array.from({ length: 120 }, (_, i) => `VAR_${i}=${'x'.repeat(60)}`);
      const cut = [...big, 'KUBERNETES_SERV', '?', '?'];
      const { data, counters } = runTrc1013([exec(cut), connect(inet('10.96.0.1'))]);
      expect(data).to.deep.equal([]);
      expect(counters.envTruncated).to.equal(1);
      expect(counters.envTruncatedWithoutAddress).to.equal(1);
    });
  });

  // Each non-match has its positive control in the same test: the same
  // container, armed the same way, is hit by the plain connect; only the
  // variation is not.
  describe('non-matches', () => {
    const API_CONNECT = () => connect(inet('10.96.0.1'));
    const connectCases: [string, ReturnType<typeof connect>][] = [
      ['AF_UNIX connects', connect(unix('/var/run/10.96.0.1'))],
      ['unknown families', connect({ sa_family: 'AF_NETLINK' })],
      ['invalid text in the connect', connect(inet('not-an-ip'))],
    ];
    for (const [what, variation] of connectCases) {
      it(`never matches ${what}, and never throws (the armed container is hit by a plain connect)`, () => {
        const { findings } = runTrc1013([exec(K8S_ENV), API_CONNECT(), variation]);
        expect(findings.map((f) => f.detected_from?.data)).to.deep.equal([API_CONNECT().data]);
      });
    }

    const envCases: [string, string[] | undefined, ReturnType<typeof connect>][] = [
      ['invalid address text in the env', ['KUBERNETES_SERVICE_HOST=10.96.0.999'], connect(inet('10.96.0.999'))],
      ['a hostname value', ['KUBERNETES_SERVICE_HOST=kubernetes.default.svc'], API_CONNECT()],
      ['an empty value', ['KUBERNETES_SERVICE_HOST=', 'KUBERNETES_SERVICE_HOST=   '], API_CONNECT()],
      ['no environment captured', undefined, API_CONNECT()],
    ];
    for (const [what, env, conn] of envCases) {
      it(`never matches ${what}, and never throws (the same container with the address in its env is hit)`, () => {
        expect(ips(runTrc1013([exec(K8S_ENV), API_CONNECT()]).data)).to.deep.equal(['10.96.0.1']);
        expect(runTrc1013([exec(env), conn]).data).to.deep.equal([]);
      });
    }

    it('ignores host processes and containers still in init (a started container is hit)', () => {
      const { data } = runTrc1013([
        exec(K8S_ENV, { container: '' }),
        connect(inet('10.96.0.1'), { container: '' }),
        exec(K8S_ENV, { container: CONTAINER_B, started: false }),
        connect(inet('10.96.0.1'), { container: CONTAINER_B, started: false }),
        exec(K8S_ENV, { container: CONTAINER_A }),
        connect(inet('10.96.0.1'), { container: CONTAINER_A }),
      ]);
      expect(data.map((d) => d.container_id)).to.deep.equal([CONTAINER_A]);
    });

    it('forgets a container on container_remove (hit before it, not after)', () => {
      const { data, counters } = runTrc1013([exec(K8S_ENV), API_CONNECT(), containerRemove(CONTAINER_A), API_CONNECT()]);
      expect(data).to.have.length(1);
      expect(counters.containersRemoved).to.equal(1);
    });

    it('does not report a connect that came before the exec (the one after it is)', () => {
      expect(runTrc1013([API_CONNECT(), exec(K8S_ENV), API_CONNECT()]).data).to.have.length(1);
    });
  });

  describe('helpers', () => {
    it('apiServerValues trims, skips empty values and other variables', () => {
      expect(apiServerValues(['A=1', 'KUBERNETES_SERVICE_HOST= 10.0.0.1\t', 'KUBERNETES_SERVICE_HOST=', 'KUBERNETES_SERVICE_HOSTX=1', 'X_KUBERNETES_SERVICE_HOST=2'])).to.deep.equal(['10.0.0.1']);
    });
    it('looksTruncated sees "?" padding and the 8 KiB cap', () => {
      expect(looksTruncated(['A=1'])).to.equal(false);
      expect(looksTruncated(['A=1', '?'])).to.equal(true);
      expect(looksTruncated(['A=' + 'x'.repeat(8200)])).to.equal(true);
    });
    it('bounds the number of containers and evicts the least recently used', () => {
      const events = [exec(K8S_ENV, { container: CONTAINER_A }), exec(K8S_ENV, { container: CONTAINER_B }), connect(inet('10.96.0.1'), { container: CONTAINER_A })];
      const { data, counters } = runTrc1013(events, { maxContainers: 1 });
      expect(data).to.deep.equal([]);
      expect(counters.containersEvicted).to.equal(1);
    });
  });
});
