// deploy/kubernetes: every object is valid against the Kubernetes schemas, and
// Tracee's container and tracee-sig's agree on the socket, ports, config and
// events. Each check is also run on a copy of the manifests broken on purpose,
// so a check that stopped looking would fail here.
import { configFromData } from '../../src/config/load.js';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import {
  type Bundle,
  SIDECAR,
  TRACEE,
  configMountProblems,
  container,
  imageVersionProblems,
  kustomizationProblems,
  loadBundle,
  podSpec,
  podWiringProblems,
  probeProblems,
  resourceProblems,
  schemaProblems,
  sharedSocketVolumeProblems,
  sidecarPrivilegeProblems,
  socketPathProblems,
  traceeEventProblems,
  traceeProbeProblems,
} from './kubernetes-checks.js';

const PACKAGE_VERSION: string = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'),
).version;

type Check = (b: Bundle) => string[];

const CHECKS: Record<string, Check> = {
  'the kustomization lists every manifest and sets the bundle namespace': kustomizationProblems,
  'the DaemonSet selects its pods and every mount names a volume': podWiringProblems,
  'Tracee listens on the socket path tracee-sig dials': socketPathProblems,
  'both containers mount one emptyDir at the socket folder': sharedSocketVolumeProblems,
  "tracee-sig's probes and port use --metrics's port": probeProblems,
  'the ConfigMap is mounted where --config points': configMountProblems,
  "Tracee selects the signatures' events and captures environments": traceeEventProblems,
  "Tracee serves /healthz where its readiness probe looks": traceeProbeProblems,
  'tracee-sig runs as root with every other privilege removed': sidecarPrivilegeProblems,
  'every container has requests and a memory limit; the Node heap fits': resourceProblems,
  "the sidecar image is this package's version": (b) => imageVersionProblems(b, PACKAGE_VERSION),
};

function args(b: Bundle, name: string): string[] {
  return container(b, name).args;
}
function replaceArg(b: Bundle, name: string, from: string, to: string): void {
  const a = args(b, name);
  const i = a.indexOf(from);
  if (i < 0) throw new Error(`test setup: ${name} has no arg ${from}`);
  a[i] = to;
}
function removeFlag(b: Bundle, name: string, flag: string, value?: string): void {
  const a = args(b, name);
  const i = a.findIndex((x, j) => x === flag && (value === undefined || a[j + 1] === value));
  if (i < 0) throw new Error(`test setup: ${name} has no ${flag} ${value ?? ''}`);
  a.splice(i, 2);
}
function mount(b: Bundle, name: string, at: string): { name: string; mountPath: string } {
  const m = container(b, name).volumeMounts.find((x: { mountPath: string }) => x.mountPath === at);
  if (!m) throw new Error(`test setup: ${name} mounts nothing at ${at}`);
  return m;
}
function volume(b: Bundle, name: string): Record<string, unknown> {
  return podSpec(b).volumes.find((v: { name: string }) => v.name === name);
}
function configMap(b: Bundle): { data: Record<string, string> } {
  return b.manifests.find((m) => m.object.kind === 'ConfigMap')!.object;
}

/** Ways to break the manifests, each with the check that must catch it and what it must say. */
const BREAKAGES: { check: string; breakage: string; apply(b: Bundle): void; says: RegExp }[] = [
  {
    check: 'the kustomization lists every manifest and sets the bundle namespace',
    breakage: 'a manifest missing from resources',
    apply: (b) => b.files.push('serviceaccount.yaml'),
    says: /does not list serviceaccount\.yaml/,
  },
  {
    check: 'the kustomization lists every manifest and sets the bundle namespace',
    breakage: 'a resource that does not exist',
    apply: (b) => b.kustomization.resources.push('rbac.yaml'),
    says: /lists rbac\.yaml, which is not in the folder/,
  },
  {
    check: 'the kustomization lists every manifest and sets the bundle namespace',
    breakage: 'a namespace the bundle does not create',
    apply: (b) => (b.kustomization.namespace = 'security'),
    says: /namespace "security" is not a Namespace the bundle creates/,
  },
  {
    check: 'the DaemonSet selects its pods and every mount names a volume',
    breakage: 'a selector that misses the template',
    apply: (b) => (b.manifests.find((m) => m.object.kind === 'DaemonSet')!.object.spec.selector.matchLabels['app.kubernetes.io/name'] = 'other'),
    says: /selector app\.kubernetes\.io\/name=other does not match/,
  },
  {
    check: 'the DaemonSet selects its pods and every mount names a volume',
    breakage: 'a mount of an undefined volume',
    apply: (b) => (mount(b, TRACEE, '/tmp/tracee').name = 'tmp'),
    says: /tracee: mounts volume "tmp", which the pod does not define/,
  },
  {
    check: 'Tracee listens on the socket path tracee-sig dials',
    breakage: "tracee-sig dials Tracee's default socket",
    apply: (b) => replaceArg(b, SIDECAR, 'unix:///var/run/tracee/tracee.sock', 'unix:///var/run/tracee.sock'),
    says: /socket paths differ: Tracee listens on \/var\/run\/tracee\/tracee\.sock, tracee-sig dials \/var\/run\/tracee\.sock/,
  },
  {
    check: 'Tracee listens on the socket path tracee-sig dials',
    breakage: 'Tracee serves gRPC over TCP',
    apply: (b) => replaceArg(b, TRACEE, 'grpc-address=unix:/var/run/tracee/tracee.sock', 'grpc-address=tcp:4466'),
    says: /grpc-address=tcp:4466 is not a unix socket path/,
  },
  {
    check: 'Tracee listens on the socket path tracee-sig dials',
    breakage: 'no --tracee',
    apply: (b) => removeFlag(b, SIDECAR, '--tracee'),
    says: /--tracee: expected exactly one, found 0/,
  },
  {
    check: 'both containers mount one emptyDir at the socket folder',
    breakage: 'the sidecar mounts the socket volume elsewhere',
    apply: (b) => (mount(b, SIDECAR, '/var/run/tracee').mountPath = '/run/tracee'),
    says: /tracee-sig: nothing is mounted at the socket's folder \/var\/run\/tracee/,
  },
  {
    check: 'both containers mount one emptyDir at the socket folder',
    breakage: 'the socket on a hostPath',
    apply: (b) => {
      const v = volume(b, 'tracee-socket');
      delete v.emptyDir;
      v.hostPath = { path: '/var/run/tracee' };
    },
    says: /volume "tracee-socket" holding the socket is not an emptyDir/,
  },
  {
    check: "tracee-sig's probes and port use --metrics's port",
    breakage: 'metrics on another port',
    apply: (b) => replaceArg(b, SIDECAR, '0.0.0.0:9464', '0.0.0.0:9465'),
    says: /livenessProbe port 9464 is not --metrics's port 9465/,
  },
  {
    check: "tracee-sig's probes and port use --metrics's port",
    breakage: 'metrics on loopback only',
    apply: (b) => replaceArg(b, SIDECAR, '0.0.0.0:9464', '127.0.0.1:9464'),
    says: /does not listen on the pod's IP/,
  },
  {
    check: "tracee-sig's probes and port use --metrics's port",
    breakage: 'readiness probing /healthz',
    apply: (b) => (container(b, SIDECAR).readinessProbe.httpGet.path = '/healthz'),
    says: /readinessProbe path is \/healthz, expected \/readyz/,
  },
  {
    check: "tracee-sig's probes and port use --metrics's port",
    breakage: 'no liveness probe',
    apply: (b) => delete container(b, SIDECAR).livenessProbe,
    says: /no livenessProbe with httpGet/,
  },
  {
    check: 'the ConfigMap is mounted where --config points',
    breakage: '--config outside the mounted folder',
    apply: (b) => replaceArg(b, SIDECAR, '/etc/tracee-sig/config.yaml', '/etc/tracee-sig.yaml'),
    says: /nothing is mounted at \/etc$/,
  },
  {
    check: 'the ConfigMap is mounted where --config points',
    breakage: 'a config file name the ConfigMap lacks',
    apply: (b) => replaceArg(b, SIDECAR, '/etc/tracee-sig/config.yaml', '/etc/tracee-sig/tracee-sig.yaml'),
    says: /ConfigMap "tracee-sig-config" has no key for tracee-sig\.yaml/,
  },
  {
    check: 'the ConfigMap is mounted where --config points',
    breakage: 'a ConfigMap that is not in the bundle',
    apply: (b) => ((volume(b, 'tracee-sig-config').configMap as { name: string }).name = 'tracee-config'),
    says: /ConfigMap "tracee-config" is mounted but not in the bundle/,
  },
  {
    check: 'the ConfigMap is mounted where --config points',
    breakage: 'a config that is not YAML',
    apply: (b) => (configMap(b).data['config.yaml'] = 'allowlist: [\n'),
    says: /key config\.yaml is not YAML/,
  },
  {
    check: "Tracee selects the signatures' events and captures environments",
    breakage: 'no security_socket_connect',
    apply: (b) => replaceArg(b, TRACEE, 'sched_process_exec,security_socket_connect,container_remove', 'sched_process_exec,container_remove'),
    says: /--events does not select security_socket_connect/,
  },
  {
    check: "Tracee selects the signatures' events and captures environments",
    breakage: 'no sched_process_exec',
    apply: (b) => replaceArg(b, TRACEE, 'sched_process_exec,security_socket_connect,container_remove', 'security_socket_connect,container_remove'),
    says: /--events does not select sched_process_exec/,
  },
  {
    check: "Tracee selects the signatures' events and captures environments",
    breakage: 'no environment capture',
    apply: (b) => removeFlag(b, TRACEE, '--output', 'option:exec-env'),
    says: /no environment capture \(Tracee up to v0\.24 needs --output option:exec-env\)/,
  },
  {
    check: "Tracee selects the signatures' events and captures environments",
    breakage: "a newer Tracee with v0.24's env flag",
    apply: (b) => (container(b, TRACEE).image = 'docker.io/aquasec/tracee:0.25.0'),
    says: /Tracee after v0\.24 needs --enrichment environment/,
  },
  {
    check: 'Tracee serves /healthz where its readiness probe looks',
    breakage: 'no --server healthz',
    apply: (b) => removeFlag(b, TRACEE, '--server', 'healthz'),
    says: /--server healthz is missing/,
  },
  {
    check: 'Tracee serves /healthz where its readiness probe looks',
    breakage: "Tracee's HTTP on another port",
    apply: (b) => replaceArg(b, TRACEE, 'http-address=0.0.0.0:3366', 'http-address=0.0.0.0:3367'),
    says: /readinessProbe port 3366 is not --server http-address's port 3367/,
  },
  {
    check: 'tracee-sig runs as root with every other privilege removed',
    breakage: "the image's non-root user",
    apply: (b) => delete container(b, SIDECAR).securityContext.runAsUser,
    says: /runAsUser must be 0/,
  },
  {
    check: 'tracee-sig runs as root with every other privilege removed',
    breakage: 'capabilities kept',
    apply: (b) => (container(b, SIDECAR).securityContext.capabilities = { add: ['NET_ADMIN'] }),
    says: /capabilities must drop ALL[^]*must add no capabilities/,
  },
  {
    check: 'tracee-sig runs as root with every other privilege removed',
    breakage: 'a writable root filesystem',
    apply: (b) => (container(b, SIDECAR).securityContext.readOnlyRootFilesystem = false),
    says: /readOnlyRootFilesystem must be true/,
  },
  {
    check: 'tracee-sig runs as root with every other privilege removed',
    breakage: 'a service account token in the pod',
    apply: (b) => delete podSpec(b).automountServiceAccountToken,
    says: /automountServiceAccountToken must be false/,
  },
  {
    check: 'every container has requests and a memory limit; the Node heap fits',
    breakage: "no memory limit on Tracee",
    apply: (b) => delete container(b, TRACEE).resources.limits,
    says: /tracee: no memory limit/,
  },
  {
    check: 'every container has requests and a memory limit; the Node heap fits',
    breakage: 'a heap larger than the limit',
    apply: (b) => (container(b, SIDECAR).resources.limits.memory = '256Mi'),
    says: /--max-old-space-size=384 MiB does not fit the memory limit of 256 MiB/,
  },
  {
    check: "the sidecar image is this package's version",
    breakage: 'an old tag in the kustomization',
    apply: (b) => (b.kustomization.images.find((i: { name: string }) => i.name === 'tracee-sig').newTag = '0.0.9'),
    says: /image tag 0\.0\.9 is not the package's version/,
  },
];

describe('deploy/kubernetes', () => {
  const bundle = loadBundle();

  describe('every object is valid against the Kubernetes schemas', () => {
    it('holds a Namespace, a ConfigMap and a DaemonSet', () => {
      expect(bundle.manifests.map((m) => `${m.file}: ${m.object.kind}`)).to.deep.equal([
        'namespace.yaml: Namespace',
        'configmap.yaml: ConfigMap',
        'daemonset.yaml: DaemonSet',
      ]);
    });
    for (const m of bundle.manifests) {
      it(`${m.file}: ${m.object.kind} ${m.object.metadata?.name}`, () => {
        expect(schemaProblems(m.object)).to.deep.equal([]);
      });
    }

    it('rejects a wrong type, a bad quantity, a missing required field and an unknown field', () => {
      const ds = structuredClone(bundle.manifests.find((m) => m.object.kind === 'DaemonSet')!.object);
      const sidecar = ds.spec.template.spec.containers.find((c: { name: string }) => c.name === SIDECAR);
      sidecar.ports[0].containerPort = '9464';
      expect(schemaProblems(ds)).to.include('/spec/template/spec/containers/1/ports/0/containerPort: must be integer');
      sidecar.ports[0].containerPort = 9464;
      sidecar.resources.limits.memory = '512 MB';
      expect(schemaProblems(ds)).to.include('/spec/template/spec/containers/1/resources/limits/memory: must match format "quantity"');
      sidecar.resources.limits.memory = '512Mi';
      delete ds.spec.template.spec.containers[0].name;
      expect(schemaProblems(ds)).to.include('/spec/template/spec/containers/0: must have required property name');
      ds.spec.template.spec.containers[0].name = TRACEE;
      sidecar.readinesProbe = sidecar.readinessProbe; // a typo the API server would refuse
      sidecar.securityContext.readOnlyRootFileSystem = true;
      expect(schemaProblems(ds)).to.have.members([
        '/spec/template/spec/containers/1/readinesProbe: unknown field "readinesProbe"',
        '/spec/template/spec/containers/1/securityContext/readOnlyRootFileSystem: unknown field "readOnlyRootFileSystem"',
      ]);
      expect(schemaProblems({ apiVersion: 'apps/v1', kind: 'Deployment' })).to.deep.equal([
        'no Kubernetes schema for apps/v1/Deployment (add the kind to MODELS)',
      ]);
    });
  });

  describe('the containers agree', () => {
    for (const [name, check] of Object.entries(CHECKS)) {
      describe(name, () => {
        it('holds for the manifests', () => {
          expect(check(bundle)).to.deep.equal([]);
        });
        for (const b of BREAKAGES.filter((x) => x.check === name)) {
          it(`fails on ${b.breakage}`, () => {
            const broken = structuredClone(bundle);
            b.apply(broken);
            expect(check(broken).join('\n')).to.match(b.says);
          });
        }
      });
    }

    it('every breakage belongs to a check, and every check has a breakage', () => {
      for (const b of BREAKAGES) expect(CHECKS, b.breakage).to.have.property(b.check);
      for (const name of Object.keys(CHECKS)) expect(BREAKAGES.some((b) => b.check === name), name).to.equal(true);
    });
  });

  describe("tracee-sig's config", () => {
    it('is valid for tracee-sig (the same loader as --config), and each allow rule matches on something and says why', () => {
      const config = configFromData(YAML.parse(configMap(bundle).data['config.yaml']), 'configmap config.yaml');
      expect(config.warnings).to.deep.equal([]); // no deprecated key
      const trc1013 = config.signatures['TRC-1013'] as { allowlist: { rules: { name: string; reason?: string }[] }; addresses: string[] };
      expect(trc1013.allowlist.rules).to.not.be.empty;
      for (const rule of trc1013.allowlist.rules) expect(rule.reason, rule.name).to.be.a('string').that.is.not.empty;
      expect(trc1013.addresses).to.be.an('array');
    });
  });
});
