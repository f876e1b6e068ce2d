// deploy/kubernetes-plugin: deploy/kubernetes with its DaemonSet patched so that
// Tracee loads tracee-sig.so and `serve` is the sidecar. The patch is applied
// here with kustomize's strategic-merge rules for the fields it touches
// (containers, env and volumes by name, mounts by path, args replaced), and the
// result checked against the Kubernetes schema and for the facts the two
// containers must agree on.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { flagValues, KUBERNETES_DIR, loadBundle, schemaProblems } from './kubernetes-checks.js';

const PLUGIN_DIR = path.join(KUBERNETES_DIR, '..', 'kubernetes-plugin');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Merges a list of objects by key, patch entries merged into the base's or appended. */
function mergeBy(base: Json[] = [], patch: Json[] = [], key: string, merge: (a: Json, b: Json) => Json): Json[] {
  const out = base.map((x) => ({ ...x }));
  for (const p of patch) {
    const i = out.findIndex((x) => x[key] === p[key]);
    if (i >= 0) out[i] = merge(out[i], p);
    else out.push(p);
  }
  return out;
}

function mergeContainer(base: Json, patch: Json): Json {
  return {
    ...base,
    ...patch,
    env: mergeBy(base.env, patch.env, 'name', (a, b) => ({ ...a, ...b })),
    volumeMounts: mergeBy(base.volumeMounts, patch.volumeMounts, 'mountPath', (a, b) => ({ ...a, ...b })),
    securityContext: { ...base.securityContext, ...patch.securityContext },
  };
}

function patchedDaemonSet(): { daemonSet: Json; kustomization: Json } {
  const kustomization = YAML.parse(fs.readFileSync(path.join(PLUGIN_DIR, 'kustomization.yaml'), 'utf8'));
  const base = loadBundle(path.join(PLUGIN_DIR, kustomization.resources[0]));
  const daemonSet = structuredClone(base.manifests.find((m) => m.object.kind === 'DaemonSet')!.object);
  const patch = YAML.parse(fs.readFileSync(path.join(PLUGIN_DIR, kustomization.patches[0].path), 'utf8'));
  const spec = daemonSet.spec.template.spec;
  const patchSpec = patch.spec.template.spec;
  spec.containers = mergeBy(spec.containers, patchSpec.containers, 'name', mergeContainer);
  spec.volumes = mergeBy(spec.volumes, patchSpec.volumes, 'name', (a, b) => ({ ...a, ...b }));
  for (const image of kustomization.images ?? []) {
    for (const c of spec.containers) {
      if (c.image.split(':')[0] === image.name) c.image = `${image.newName ?? image.name}:${image.newTag}`;
    }
  }
  return { daemonSet, kustomization };
}

describe('deploy/kubernetes-plugin', () => {
  const { daemonSet, kustomization } = patchedDaemonSet();
  const spec = daemonSet.spec.template.spec;
  const tracee = spec.containers.find((c: Json) => c.name === 'tracee');
  const sidecar = spec.containers.find((c: Json) => c.name === 'tracee-sig');

  it('is deploy/kubernetes plus one patch of the DaemonSet', () => {
    expect(kustomization.resources).to.deep.equal(['../kubernetes']);
    expect(daemonSet.metadata.name).to.equal('tracee');
  });

  it('the patched DaemonSet is valid against the Kubernetes schema', () => {
    expect(schemaProblems(daemonSet)).to.deep.equal([]);
  });

  it("runs the Tracee image built with the plugin (deploy/tracee-image) and selects the plugin's event", () => {
    expect(tracee.image).to.equal('tracee-sig/tracee:v0.24.1');
    expect(flagValues(tracee.args, '--events', '-e').flatMap((v: string) => v.split(','))).to.include('k8s_api_connection');
    expect(flagValues(tracee.args, '--output', '-o')).to.include('option:exec-env');
  });

  it("the plugin's address is serve's --listen socket, on a volume both containers mount", () => {
    expect(sidecar.args[0]).to.equal('serve');
    const listen = flagValues(sidecar.args, '--listen')[0];
    const address = tracee.env.find((e: Json) => e.name === 'TRACEE_SIG_ADDRESS')?.value;
    expect(address).to.equal(listen);
    const socketDir = path.posix.dirname(new URL(listen).pathname);
    const mountOf = (c: Json) => c.volumeMounts.find((m: Json) => m.mountPath === socketDir)?.name;
    expect(mountOf(tracee)).to.be.a('string');
    expect(mountOf(sidecar)).to.equal(mountOf(tracee));
    expect(spec.volumes.find((v: Json) => v.name === mountOf(tracee))?.emptyDir).to.be.an('object');
  });

  it('serve runs without root', () => {
    expect(sidecar.securityContext).to.include({ runAsNonRoot: true, runAsUser: 1000 });
    expect(sidecar.securityContext.capabilities.drop).to.deep.equal(['ALL']);
  });
});
