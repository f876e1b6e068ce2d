// Who can reach `tracee-sig serve`: its unix socket is 0600 and owned by the
// user it runs as; TCP listens on loopback unless the address names another
// host; with --tls-ca, only clients with a certificate signed by that CA get in
// (certificates made here with the openssl CLI, as an operator would).
import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { SignatureClient, type ClientTls } from '../../src/server/client.js';
import { parseAddress } from '../../src/server/listen-address.js';
import { decodeFindingBatch } from '../../src/wire/services.js';
import { expectPairFinding, pairIn } from './fault-support.js';
import { batchOf, BIN, runToEnd, tempDir } from './helpers.js';
import { OTHER_USER } from '../support/cli.js';

/** Another user to run the server as when the tests run as root (else the test's own user). */
const SERVICE_USER = OTHER_USER; // root: serve runs as this user, when it can run this checkout

interface Started {
  proc: ChildProcess;
  stderr: () => string;
  address: string; // as printed: unix:///... or tcp://HOST:PORT
}

/** Starts serve (as SERVICE_USER, with umask 000 to show the mode does not come from it); resolves once it listens. */
function startServe(args: string[], children: ChildProcess[]): Promise<Started> {
  const proc = spawn('/bin/sh', ['-c', 'umask 000; exec "$0" "$@"', process.execPath, BIN, 'serve', '--log-format', 'text', ...args], { stdio: ['ignore', 'ignore', 'pipe'], ...SERVICE_USER });
  children.push(proc);
  let err = '';
  proc.stderr!.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    proc.stderr!.on('data', (d: string) => {
      err += d;
      const m = /: listening on ((?:unix|tcp):\/\/\S+)/.exec(err);
      if (m) resolve({ proc, stderr: () => err, address: m[1] });
    });
    proc.once('exit', (code) => reject(new Error(`serve exited with ${code} before listening: ${err}`)));
  });
}

/** LISTEN sockets on `port` in /proc/net/tcp and tcp6, as [hex local address]. */
function listeners(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== '0A') continue; // 0A = LISTEN
      const [addr, portHex] = f[1].split(':');
      if (parseInt(portHex, 16) === port) out.push(addr);
    }
  }
  return out;
}

const LOOPBACK_V4 = '0100007F'; // 127.0.0.1, little-endian as /proc prints it
const LOOPBACK_V6 = '00000000000000000000000001000000'; // ::1

describe('tracee-sig serve: exposure', function () {
  this.timeout(30000);
  let dir: string;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    dir = tempDir();
    if (SERVICE_USER) fs.chownSync(dir, SERVICE_USER.uid, SERVICE_USER.gid);
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates its unix socket 0600 (even under umask 000), owned by the user it runs as', async () => {
    const socket = path.join(dir, 'sig.sock');
    const s = await startServe(['--listen', `unix://${socket}`], children);
    expect(s.address).to.equal(`unix://${socket}`);
    const st = fs.lstatSync(socket);
    expect(st.isSocket()).to.equal(true);
    expect(st.mode & 0o777).to.equal(0o600);
    expect(st.uid).to.equal(SERVICE_USER?.uid ?? process.getuid!());
    expect(st.gid).to.equal(SERVICE_USER?.gid ?? process.getgid!());
  });

  for (const [listen, expected] of [
    ['tcp://:0', [LOOPBACK_V4]],
    ['tcp://0', [LOOPBACK_V4]],
    ['tcp://127.0.0.1:0', [LOOPBACK_V4]],
    ['tcp://[::1]:0', [LOOPBACK_V6]],
  ] as const) {
    it(`--listen ${listen} listens on loopback only`, async () => {
      const s = await startServe(['--listen', listen], children);
      const port = Number(/:(\d+)$/.exec(s.address)![1]);
      expect(port).to.be.greaterThan(0);
      expect(listeners(port)).to.deep.equal(expected);
      expect(s.stderr()).to.not.match(/warning: listening on/);
    });
  }

  describe('mutual TLS', () => {
    let pki: string;
    let served: Started;
    const files = (name: string) => ({ cert: path.join(pki, `${name}.pem`), key: path.join(pki, `${name}.key`) });

    before(function () {
      this.timeout(60000);
      pki = tempDir();
      const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: pki, stdio: ['ignore', 'ignore', 'pipe'] });
      const key = (name: string) => openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`);
      const ca = (name: string) => {
        key(name);
        openssl('req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-days', '2', '-out', `${name}.pem`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
      };
      const leaf = (name: string, signer: string, ext: string) => {
        key(name);
        openssl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`);
        fs.writeFileSync(path.join(pki, `${name}.ext`), ext);
        openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.pem`, '-CAkey', `${signer}.key`, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
      };
      ca('ca');
      ca('other-ca');
      leaf('server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
      leaf('client', 'ca', 'extendedKeyUsage=clientAuth\n');
      leaf('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');
      if (SERVICE_USER) for (const f of fs.readdirSync(pki)) fs.chownSync(path.join(pki, f), SERVICE_USER.uid, SERVICE_USER.gid);
      if (SERVICE_USER) fs.chownSync(pki, SERVICE_USER.uid, SERVICE_USER.gid);
    });
    after(() => fs.rmSync(pki, { recursive: true, force: true }));

    beforeEach(async () => {
      const server = files('server');
      served = await startServe(['--listen', 'tcp://127.0.0.1:0', '--tls-cert', server.cert, '--tls-key', server.key, '--tls-ca', path.join(pki, 'ca.pem')], children);
      expect(served.stderr()).to.match(/listening on tcp:\/\/127\.0\.0\.1:\d+ \(.*, mutual TLS; gRPC on /);
    });

    const address = () => parseAddress(served.address);
    const ca = () => path.join(pki, 'ca.pem');

    /** Resolves with the finding batch for a pair, or rejects with the call's error. */
    async function exchange(tls: ClientTls | undefined): Promise<void> {
      const client = new SignatureClient(address(), { tls });
      try {
        await client.getSelectedEvents(5000);
        const call = client.onEvents();
        const { lines, container } = pairIn(7);
        const answer = new Promise<Buffer>((resolve, reject) => {
          call.once('data', resolve);
          call.on('error', reject);
        });
        call.write(batchOf(lines));
        expectPairFinding(decodeFindingBatch(await answer), container);
        call.end();
      } finally {
        client.close();
      }
    }

    async function refused(tls: ClientTls | undefined): Promise<grpc.ServiceError> {
      const e = await exchange(tls).then(
        () => undefined,
        (err: grpc.ServiceError) => err,
      );
      expect(e, 'the server took a client it should refuse').to.not.equal(undefined);
      expect(e!.code).to.equal(grpc.status.UNAVAILABLE);
      await exchange({ ca: ca(), ...files('client') }); // a valid client right after is still served
      return e!;
    }

    it('serves a client whose certificate the CA signed', async () => {
      await exchange({ ca: ca(), ...files('client') });
    });

    it('refuses a client without a certificate', async () => {
      await refused({ ca: ca() });
    });

    it('refuses a client whose certificate another CA signed', async () => {
      await refused({ ca: ca(), ...files('stranger') });
    });

    it('refuses a plain-text client', async () => {
      await refused(undefined);
    });

    it('send: streams over mutual TLS, and says what to do when refused (exit 3)', async () => {
      const recording = path.join(dir, 'pair.json');
      fs.writeFileSync(recording, pairIn(8).lines.join('\n') + '\n');
      const client = files('client');
      const ok = await runToEnd(['send', '-q', '--to', served.address, '--tls-ca', ca(), '--tls-cert', client.cert, '--tls-key', client.key, recording]);
      expect(ok.code, ok.stderr).to.equal(0);
      expect(ok.stdout.trim().split('\n')).to.have.length(1);
      const plain = await runToEnd(['send', '-q', '--to', served.address, recording]);
      expect(plain.code).to.equal(3);
      expect(plain.stderr).to.match(/^tracee-sig send: cannot reach the signature service at tcp:\/\/127\.0\.0\.1:\d+: .*; the service may require TLS: give --tls-ca \(and --tls-cert\/--tls-key for mutual TLS\)\n$/);
      const noCert = await runToEnd(['send', '-q', '--to', served.address, '--tls-ca', ca(), recording]);
      expect(noCert.code).to.equal(3);
      expect(noCert.stderr).to.match(/^tracee-sig send: cannot reach the signature service at \S+: the service requires a client certificate \(mutual TLS\): give --tls-cert and --tls-key, signed by the CA the service trusts\n$/);
      const stranger = files('stranger');
      const other = await runToEnd(['send', '-q', '--to', served.address, '--tls-ca', ca(), '--tls-cert', stranger.cert, '--tls-key', stranger.key, recording]);
      expect(other.code).to.equal(3);
      expect(other.stderr, other.stderr).to.match(/^tracee-sig send: cannot reach the signature service at \S+: the service (refused the client certificate|closed the connection during the TLS handshake: it does not trust --tls-cert)/);
      const wrongCa = await runToEnd(['send', '-q', '--to', served.address, '--tls-ca', path.join(pki, 'other-ca.pem'), '--tls-cert', client.cert, '--tls-key', client.key, recording]);
      expect(wrongCa.code).to.equal(3);
      expect(wrongCa.stderr).to.match(/^tracee-sig send: cannot reach the signature service at \S+: the service's certificate is not trusted \(.*\): give as --tls-ca the CA that signed it, and make sure it names 127\.0\.0\.1\n$/);
    });
  });
});
