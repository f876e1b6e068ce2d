// Checks on deploy/kubernetes: each Kubernetes object against the Kubernetes
// schemas, and the facts that must agree between Tracee's container and
// tracee-sig's. Every check returns the problems it found, each naming the file
// or field at fault, so a test can also break a manifest on purpose and see the
// check catch it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { DaemonSet } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, ServiceAccount } from 'kubernetes-models/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { signaturesFromConfig } from '../../src/config/signatures.js';
import { defaultConfig } from '../../src/config/load.js';

export const KUBERNETES_DIR = path.join(__dirname, '..', '..', '..', 'deploy', 'kubernetes');

// Loose on purpose: manifests are arbitrary YAML until the schema check passed.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface Manifest {
  file: string;
  object: Json;
}

export interface Bundle {
  /** YAML files in the folder (names), kustomization.yaml included. */
  files: string[];
  kustomization: Json;
  /** Every object of every file the kustomization lists, in order. */
  manifests: Manifest[];
}

export function loadBundle(dir = KUBERNETES_DIR): Bundle {
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const kustomization = YAML.parse(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'));
  const manifests: Manifest[] = [];
  for (const file of (kustomization?.resources ?? []) as string[]) {
    const full = path.join(dir, file);
    if (!fs.existsSync(full)) continue; // reported by kustomizationProblems
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(full, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
      const object = doc.toJS();
      if (object !== null) manifests.push({ file, object });
    }
  }
  return { files, kustomization, manifests };
}

// ---------------------------------------------------------------- schemas

interface Validatable {
  validate(): void;
}
/** The kinds our manifests may hold, by "apiVersion/kind". */
const MODELS: Record<string, new (data: Json) => Validatable> = {
  'apps/v1/DaemonSet': DaemonSet,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};

interface SchemaError {
  instancePath: string;
  message?: string;
}

function schemaErrors(model: new (data: Json) => Validatable, object: Json): SchemaError[] {
  try {
    new model(object).validate();
    return [];
  } catch (e) {
    const errors = (e as { errors?: SchemaError[] }).errors;
    if (!errors) throw e;
    return errors;
  }
}

function pointer(parts: (string | number)[]): string {
  return parts.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/**
 * Problems of one object against the Kubernetes schemas (kubernetes-models:
 * the Kubernetes OpenAPI definitions compiled by ajv): types, required fields,
 * enums, formats (quantities, int-or-string). Those schemas allow unknown
 * fields, which the API server rejects (kubectl's strict field validation); so
 * unknown fields are found here too: a field is known when the schema rejects
 * a wrong value put in its place (every field of these kinds has a type).
 */
export function schemaProblems(object: Json): string[] {
  const key = `${object?.apiVersion}/${object?.kind}`;
  const model = MODELS[key];
  if (!model) return [`no Kubernetes schema for ${key} (add the kind to MODELS)`];
  const problems = schemaErrors(model, object).map((e) => `${e.instancePath || '/'}: ${e.message}`);
  if (problems.length > 0) return problems;

  const unknown: string[] = [];
  const visit = (node: Json, at: (string | number)[]): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, [...at, i]));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const field of Object.keys(node)) {
      const here = pointer([...at, field]);
      const kept = node[field];
      let known = false;
      for (const wrong of [true, 'not-a-valid-value']) {
        node[field] = wrong;
        known = schemaErrors(model, object).some((e) => e.instancePath === here || e.instancePath.startsWith(here + '/'));
        if (known) break;
      }
      node[field] = kept;
      if (!known) unknown.push(`${here}: unknown field "${field}"`);
      else visit(kept, [...at, field]);
    }
  };
  visit(object, []);
  return unknown;
}

// ---------------------------------------------------------- kustomization

/** The kustomization lists every manifest of the folder, and only existing ones. */
export function kustomizationProblems(b: Bundle): string[] {
  const problems: string[] = [];
  const k = b.kustomization ?? {};
  if (k.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || k.kind !== 'Kustomization') {
    problems.push('kustomization.yaml: expected apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization');
  }
  const resources: string[] = Array.isArray(k.resources) ? k.resources : [];
  for (const f of b.files) {
    if (f !== 'kustomization.yaml' && !resources.includes(f)) problems.push(`kustomization.yaml: resources does not list ${f}`);
  }
  for (const r of resources) {
    if (!b.files.includes(r)) problems.push(`kustomization.yaml: resources lists ${r}, which is not in the folder`);
  }
  const namespaces = b.manifests.filter((m) => m.object.kind === 'Namespace').map((m) => m.object.metadata?.name);
  if (!k.namespace || !namespaces.includes(k.namespace)) {
    problems.push(`kustomization.yaml: namespace "${k.namespace}" is not a Namespace the bundle creates (${namespaces.join(', ') || 'none'})`);
  }
  return problems;
}

// ------------------------------------------------------------ the pod

export const TRACEE = 'tracee';
export const SIDECAR = 'tracee-sig';

function daemonSet(b: Bundle): Json {
  const all = b.manifests.filter((m) => m.object.kind === 'DaemonSet');
  if (all.length !== 1) throw new Error(`expected one DaemonSet, found ${all.length}`);
  return all[0].object;
}

export function podSpec(b: Bundle): Json {
  return daemonSet(b).spec.template.spec;
}

export function container(b: Bundle, name: string): Json {
  const c = (podSpec(b).containers ?? []).find((x: Json) => x.name === name);
  if (!c) throw new Error(`daemonset.yaml: no container named "${name}"`);
  return c;
}

/**
 * Values of a command-line flag in `args` (`--name value` or `--name=value`,
 * repeatable), under any of its names (`--events`, `-e`).
 */
export function flagValues(args: string[], ...names: string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    for (const n of names) {
      if (a === n && i + 1 < args.length) values.push(args[++i]);
      else if (a.startsWith(n + '=')) values.push(a.slice(n.length + 1));
    }
  }
  return values;
}

function one(values: string[], what: string, problems: string[]): string | undefined {
  if (values.length !== 1) {
    problems.push(`${what}: expected exactly one, found ${values.length}`);
    return undefined;
  }
  return values[0];
}

/** Tracee's gRPC unix socket path, from `--server grpc-address=unix:PATH`. */
function traceeSocket(b: Bundle, problems: string[]): string | undefined {
  const grpc = flagValues(container(b, TRACEE).args ?? [], '--server')
    .filter((v) => v.startsWith('grpc-address='))
    .map((v) => v.slice('grpc-address='.length));
  const addr = one(grpc, 'tracee: --server grpc-address=', problems);
  if (addr === undefined) return undefined;
  if (!addr.startsWith('unix:/')) {
    problems.push(`tracee: --server grpc-address=${addr} is not a unix socket path (unix:/PATH)`);
    return undefined;
  }
  return addr.slice('unix:'.length);
}

/** tracee-sig's socket path, from `attach --tracee unix:///PATH`. */
function sidecarSocket(b: Bundle, problems: string[]): string | undefined {
  const args: string[] = container(b, SIDECAR).args ?? [];
  if (args[0] !== 'attach') problems.push(`tracee-sig: args must start with the attach command, found "${args[0]}"`);
  const addr = one(flagValues(args, '--tracee'), 'tracee-sig: --tracee', problems);
  if (addr === undefined) return undefined;
  if (!addr.startsWith('unix:///')) {
    problems.push(`tracee-sig: --tracee ${addr} is not a unix socket address (unix:///PATH)`);
    return undefined;
  }
  return addr.slice('unix://'.length);
}

/**
 * What the API server checks beyond the schemas: the selector picks the pod
 * template, and every mount names a volume of the pod.
 */
export function podWiringProblems(b: Bundle): string[] {
  const problems: string[] = [];
  const ds = daemonSet(b);
  const labels = ds.spec.template.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(ds.spec.selector?.matchLabels ?? {})) {
    if (labels[k] !== v) problems.push(`daemonset: selector ${k}=${v} does not match the pod template's labels`);
  }
  const volumes = new Set((podSpec(b).volumes ?? []).map((v: Json) => v.name));
  for (const c of podSpec(b).containers ?? []) {
    for (const m of c.volumeMounts ?? []) {
      if (!volumes.has(m.name)) problems.push(`${c.name}: mounts volume "${m.name}", which the pod does not define`);
    }
  }
  return problems;
}

/** The socket path in Tracee's args is the one tracee-sig dials. */
export function socketPathProblems(b: Bundle): string[] {
  const problems: string[] = [];
  const tracee = traceeSocket(b, problems);
  const sidecar = sidecarSocket(b, problems);
  if (tracee && sidecar && tracee !== sidecar) {
    problems.push(`socket paths differ: Tracee listens on ${tracee}, tracee-sig dials ${sidecar}`);
  }
  return problems;
}

/** Both containers mount one emptyDir at the socket's folder. */
export function sharedSocketVolumeProblems(b: Bundle): string[] {
  const problems: string[] = [];
  const socket = traceeSocket(b, problems);
  if (!socket) return problems;
  const folder = path.posix.dirname(socket);
  const volumes: Json[] = podSpec(b).volumes ?? [];
  const mountedAt = (c: Json): string | undefined =>
    (c.volumeMounts ?? []).find((m: Json) => m.mountPath === folder && !m.subPath)?.name;
  const t = mountedAt(container(b, TRACEE));
  const s = mountedAt(container(b, SIDECAR));
  if (!t) problems.push(`tracee: nothing is mounted at the socket's folder ${folder}`);
  if (!s) problems.push(`tracee-sig: nothing is mounted at the socket's folder ${folder}`);
  if (t && s && t !== s) problems.push(`the socket folder ${folder} is volume "${t}" in tracee but "${s}" in tracee-sig`);
  if (t && s && t === s) {
    const v = volumes.find((x) => x.name === t);
    if (!v) problems.push(`volume "${t}" is mounted but not defined`);
    else if (!v.emptyDir) problems.push(`volume "${t}" holding the socket is not an emptyDir`);
  }
  return problems;
}

function metricsPort(b: Bundle, problems: string[]): number | undefined {
  const addr = one(flagValues(container(b, SIDECAR).args ?? [], '--metrics'), 'tracee-sig: --metrics', problems);
  if (addr === undefined) return undefined;
  const m = /^(.*):(\d+)$/.exec(addr);
  if (!m) {
    problems.push(`tracee-sig: --metrics ${addr} is not HOST:PORT`);
    return undefined;
  }
  // The kubelet probes the pod's IP, so a loopback-only listener fails every probe.
  if (!['0.0.0.0', '[::]', '::', ''].includes(m[1])) {
    problems.push(`tracee-sig: --metrics ${addr} does not listen on the pod's IP (the kubelet's probes could not reach it)`);
  }
  return Number(m[2]);
}

function probePort(c: Json, port: Json): number | undefined {
  if (typeof port === 'number') return port;
  return (c.ports ?? []).find((p: Json) => p.name === port)?.containerPort;
}

/** tracee-sig's probes, container port and scrape annotation use --metrics's port. */
export function probeProblems(b: Bundle): string[] {
  const problems: string[] = [];
  const port = metricsPort(b, problems);
  if (port === undefined) return problems;
  const c = container(b, SIDECAR);
  for (const [probe, urlPath] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
    const get = c[probe]?.httpGet;
    if (!get) {
      problems.push(`tracee-sig: no ${probe} with httpGet`);
      continue;
    }
    if (get.path !== urlPath) problems.push(`tracee-sig: ${probe} path is ${get.path}, expected ${urlPath}`);
    const p = probePort(c, get.port);
    if (p !== port) problems.push(`tracee-sig: ${probe} port ${get.port} is not --metrics's port ${port}`);
  }
  if (!(c.ports ?? []).some((p: Json) => p.containerPort === port)) {
    problems.push(`tracee-sig: no containerPort ${port} (--metrics)`);
  }
  const annotations = daemonSet(b).spec.template.metadata?.annotations ?? {};
  if (annotations['prometheus.io/port'] !== undefined && annotations['prometheus.io/port'] !== String(port)) {
    problems.push(`pod annotation prometheus.io/port ${annotations['prometheus.io/port']} is not --metrics's port ${port}`);
  }
  return problems;
}

/** --config points into a mounted ConfigMap that has that key. */
export function configMountProblems(b: Bundle): string[] {
  const problems: string[] = [];
  const c = container(b, SIDECAR);
  const file = one(flagValues(c.args ?? [], '--config'), 'tracee-sig: --config', problems);
  if (file === undefined) return problems;
  const folder = path.posix.dirname(file);
  const mount = (c.volumeMounts ?? []).find((m: Json) => m.mountPath === folder && !m.subPath);
  if (!mount) return [...problems, `tracee-sig: --config ${file}, but nothing is mounted at ${folder}`];
  const volume = (podSpec(b).volumes ?? []).find((v: Json) => v.name === mount.name);
  const name = volume?.configMap?.name;
  if (!name) return [...problems, `tracee-sig: volume "${mount.name}" at ${folder} is not a ConfigMap`];
  const cm = b.manifests.find((m) => m.object.kind === 'ConfigMap' && m.object.metadata?.name === name);
  if (!cm) return [...problems, `tracee-sig: ConfigMap "${name}" is mounted but not in the bundle`];
  const base = path.posix.basename(file);
  const items: Json[] | undefined = volume.configMap.items;
  const key = items ? items.find((i) => i.path === base)?.key : base;
  if (!key || cm.object.data?.[key] === undefined) {
    problems.push(`tracee-sig: --config ${file}, but ConfigMap "${name}" has no key for ${base}`);
  } else {
    try {
      YAML.parse(cm.object.data[key]);
    } catch (e) {
      problems.push(`ConfigMap "${name}" key ${key} is not YAML: ${(e as Error).message}`);
    }
  }
  return problems;
}

/** Tracee's image tag as [major, minor], e.g. 0.24.1 -> [0, 24]. */
function traceeVersion(b: Bundle): [number, number] | undefined {
  const m = /:v?(\d+)\.(\d+)\.\d+$/.exec(container(b, TRACEE).image ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * Tracee produces what the shipped signatures select and need: every selected
 * event in --events, and environment capture in the spelling of Tracee's
 * version (tracee-formats.md §4.1).
 */
export function traceeEventProblems(b: Bundle): string[] {
  const problems: string[] = [];
  const args: string[] = container(b, TRACEE).args ?? [];
  const selected = new Set(flagValues(args, '--events', '-e').flatMap((v) => v.split(',')).map((s) => s.trim()));
  const signatures = signaturesFromConfig(defaultConfig());
  for (const sig of signatures) {
    for (const sel of sig.selectedEvents) {
      if (sel.name !== '*' && !selected.has(sel.name)) {
        problems.push(`tracee: --events does not select ${sel.name} (${sig.metadata.name} needs it)`);
      }
    }
  }
  if (signatures.some((s) => s.requires?.includes('environment'))) {
    const version = traceeVersion(b);
    if (!version) {
      problems.push(`tracee: cannot tell Tracee's version from image "${container(b, TRACEE).image}"`);
    } else if (version[0] === 0 && version[1] <= 24) {
      if (!flagValues(args, '--output', '-o').includes('option:exec-env')) {
        problems.push('tracee: no environment capture (Tracee up to v0.24 needs --output option:exec-env)');
      }
    } else if (!flagValues(args, '--enrichment').includes('environment')) {
      problems.push('tracee: no environment capture (Tracee after v0.24 needs --enrichment environment)');
    }
  }
  return problems;
}

/** Tracee serves /healthz where its readiness probe looks. */
export function traceeProbeProblems(b: Bundle): string[] {
  const problems: string[] = [];
  const c = container(b, TRACEE);
  const server = flagValues(c.args ?? [], '--server');
  const http = one(
    server.filter((v) => v.startsWith('http-address=')).map((v) => v.slice('http-address='.length)),
    'tracee: --server http-address=',
    problems,
  );
  if (!server.includes('healthz')) problems.push('tracee: --server healthz is missing, so /healthz is not served');
  const get = c.readinessProbe?.httpGet;
  if (!get) return [...problems, 'tracee: no readinessProbe with httpGet'];
  if (get.path !== '/healthz') problems.push(`tracee: readinessProbe path is ${get.path}, expected /healthz`);
  const port = http ? Number(/:(\d+)$/.exec(http)?.[1]) : undefined;
  if (http !== undefined && probePort(c, get.port) !== port) {
    problems.push(`tracee: readinessProbe port ${get.port} is not --server http-address's port ${port}`);
  }
  return problems;
}

/**
 * tracee-sig runs as root only to open Tracee's 0600 root socket, with every
 * other privilege taken away.
 */
export function sidecarPrivilegeProblems(b: Bundle): string[] {
  const problems: string[] = [];
  const sc = container(b, SIDECAR).securityContext ?? {};
  if (sc.runAsUser !== 0) problems.push('tracee-sig: runAsUser must be 0 to open Tracee\'s socket (mode 0600, owner root)');
  if (sc.privileged) problems.push('tracee-sig: must not be privileged');
  if (sc.allowPrivilegeEscalation !== false) problems.push('tracee-sig: allowPrivilegeEscalation must be false');
  if (sc.readOnlyRootFilesystem !== true) problems.push('tracee-sig: readOnlyRootFilesystem must be true');
  if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push('tracee-sig: capabilities must drop ALL');
  if ((sc.capabilities?.add ?? []).length > 0) problems.push('tracee-sig: must add no capabilities');
  if (sc.seccompProfile?.type !== 'RuntimeDefault') problems.push('tracee-sig: seccompProfile must be RuntimeDefault');
  if (podSpec(b).automountServiceAccountToken !== false) {
    problems.push('pod: automountServiceAccountToken must be false (neither container uses the Kubernetes API)');
  }
  return problems;
}

const MEBI: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024 };
function mebibytes(q: string | undefined): number | undefined {
  const m = /^(\d+)(Ki|Mi|Gi)$/.exec(q ?? '');
  return m ? Number(m[1]) * MEBI[m[2]] : undefined;
}

/** Every container has CPU and memory requests and a memory limit; Node's heap fits the limit. */
export function resourceProblems(b: Bundle): string[] {
  const problems: string[] = [];
  for (const c of podSpec(b).containers ?? []) {
    const r = c.resources ?? {};
    if (!r.requests?.cpu) problems.push(`${c.name}: no CPU request`);
    if (!r.requests?.memory) problems.push(`${c.name}: no memory request`);
    if (!r.limits?.memory) problems.push(`${c.name}: no memory limit`);
  }
  const c = container(b, SIDECAR);
  const limit = mebibytes(c.resources?.limits?.memory);
  const nodeOptions = (c.env ?? []).find((e: Json) => e.name === 'NODE_OPTIONS')?.value ?? '';
  const heap = Number(/--max-old-space-size=(\d+)/.exec(nodeOptions)?.[1]);
  if (!heap) problems.push('tracee-sig: NODE_OPTIONS has no --max-old-space-size (V8 would size its heap from the node, not the limit)');
  else if (limit === undefined) problems.push(`tracee-sig: memory limit ${c.resources?.limits?.memory} is not in Ki, Mi or Gi`);
  else if (heap >= limit) problems.push(`tracee-sig: --max-old-space-size=${heap} MiB does not fit the memory limit of ${limit} MiB`);
  return problems;
}

/** The sidecar's image, after the kustomization's `images`, is this package's version. */
export function imageVersionProblems(b: Bundle, packageVersion: string): string[] {
  const image: string = container(b, SIDECAR).image ?? '';
  const name = image.replace(/:[^:/]*$/, '');
  const override = (b.kustomization?.images ?? []).find((i: Json) => i.name === name);
  const tag = override?.newTag ?? /:([^:/]+)$/.exec(image)?.[1];
  return tag === packageVersion ? [] : [`tracee-sig: image tag ${tag} is not the package's version ${packageVersion}`];
}
