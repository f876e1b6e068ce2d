// The Dockerfile, checked without a Docker engine: its stages, user and
// entrypoint read statically (dockerfile-ast), every path it COPYs checked
// against the build context left by .dockerignore, and its two stages replayed
// in temporary folders: the build stage's sources compile on their own, and the
// runtime stage's files run the CLI.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';

const ROOT = path.join(__dirname, '..', '..', '..');
const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

interface Copy {
  from?: string; // a stage name, or undefined for the build context
  sources: string[];
  dest: string; // absolute, in the stage's filesystem
  destIsFolder: boolean; // sources go inside dest (`COPY a b ./`)
}

interface Stage {
  name: string;
  image: string;
  workdir: string;
  instructions: Instruction[];
  runs: string[];
  copies: Copy[];
  users: string[];
}

function parseStages(text: string): Stage[] {
  const dockerfile = DockerfileParser.parse(text);
  const stages: Stage[] = [];
  for (const ins of dockerfile.getInstructions()) {
    const args = ins.getArguments().map((a) => a.getValue());
    const keyword = ins.getKeyword();
    if (keyword === 'FROM') {
      const as = args.findIndex((a) => a.toUpperCase() === 'AS');
      stages.push({ name: as >= 0 ? args[as + 1] : String(stages.length), image: args[0], workdir: '/', instructions: [], runs: [], copies: [], users: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) throw new Error(`Dockerfile: ${keyword} before any FROM`);
    stage.instructions.push(ins);
    if (keyword === 'WORKDIR') stage.workdir = path.posix.resolve(stage.workdir, args[0]);
    if (keyword === 'RUN') stage.runs.push(args.join(' '));
    if (keyword === 'USER') stage.users.push(args[0]);
    if (keyword === 'COPY' || keyword === 'ADD') {
      const flags = 'getFlags' in ins ? (ins as unknown as { getFlags(): { getName(): string; getValue(): string | null }[] }).getFlags() : [];
      const from = flags.find((f) => f.getName() === 'from')?.getValue() ?? undefined;
      const paths = args.filter((a) => !a.startsWith('--'));
      const dest = paths[paths.length - 1];
      stage.copies.push({
        from,
        sources: paths.slice(0, -1),
        dest: path.posix.resolve(stage.workdir, dest),
        destIsFolder: dest.endsWith('/') || paths.length > 2,
      });
    }
  }
  return stages;
}

/** Docker's .dockerignore rules: globs, `!` re-includes, the last match wins, a folder's rule covers what is inside. */
function ignoredBy(dockerignore: string): (file: string) => boolean {
  const rules = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const include = l.startsWith('!');
      const glob = path.posix.normalize((include ? l.slice(1) : l).replace(/^\/+/, ''));
      const source = glob
        .split(/(\*\*|\*|\?)/)
        .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('');
      return { include, re: new RegExp(`^${source}$`) };
    });
  return (file) => {
    const parts = file.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const r of rules) if (prefixes.some((p) => r.re.test(p))) ignored = !r.include;
    return ignored;
  };
}

/** Where a COPY puts one of its sources, in the stage's filesystem. */
function target(c: Copy, src: string): string {
  return c.destIsFolder ? path.posix.join(c.dest, path.posix.basename(src)) : c.dest;
}

/** Does what a stage's COPYs from `from` do, with files from `fromRoot`, in `root` (the stage's filesystem). */
function replayCopies(stage: Stage, from: string | undefined, fromRoot: string, root: string): void {
  for (const c of stage.copies.filter((x) => x.from === from)) {
    for (const src of c.sources) {
      const source = path.join(fromRoot, src);
      if (!fs.existsSync(source)) throw new Error(`${stage.name}: COPY ${from ? `--from=${from} ` : ''}${src}: no such file`);
      const dest = path.join(root, target(c, src));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.cpSync(source, dest, { recursive: true });
    }
  }
}

describe('Dockerfile', () => {
  const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const stages = parseStages(text);
  const build = stages.find((s) => s.name === 'build');
  const runtime = stages[stages.length - 1];
  const isIgnored = ignoredBy(fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8'));

  it('has a build stage and a separate runtime stage, both on Node 20 (package.json engines)', () => {
    expect(build, 'a stage named build').to.not.equal(undefined);
    expect(runtime.name).to.not.equal('build');
    for (const s of stages) expect(s.image, s.name).to.equal('node:20-bookworm-slim');
    expect(PACKAGE.engines.node).to.equal('>=20');
  });

  it('builds with npm ci and tsc in the build stage', () => {
    expect(build!.runs.some((r) => /\bnpm ci\b/.test(r) && !/--omit=dev/.test(r)), 'npm ci with dev dependencies').to.equal(true);
    expect(build!.runs.some((r) => /\bnpx tsc\b/.test(r)), 'npx tsc').to.equal(true);
  });

  it('installs only production dependencies in the runtime stage', () => {
    const installs = runtime.runs.filter((r) => /\bnpm (ci|install|i)\b/.test(r));
    expect(installs).to.have.length(1);
    expect(installs[0]).to.match(/\bnpm ci\b.*--omit=dev/);
    for (const c of runtime.copies) {
      expect(c.sources.some((s) => /node_modules/.test(s)), `COPY ${c.sources.join(' ')}`).to.equal(false);
    }
  });

  it('copies only bin/, dist/, proto/ and package*.json into the runtime stage', () => {
    const dests = runtime.copies.flatMap((c) => c.sources.map((s) => target(c, s)));
    expect(dests.sort()).to.deep.equal(['/app/bin', '/app/dist', '/app/package-lock.json', '/app/package.json', '/app/proto']);
  });

  it('runs as a numeric non-root user in the runtime stage', () => {
    const user = runtime.users[runtime.users.length - 1];
    expect(user, 'USER').to.be.a('string');
    const uid = user.split(':')[0];
    expect(uid).to.match(/^\d+$/, 'numeric, so that Kubernetes runAsNonRoot can verify it');
    expect(Number(uid)).to.be.greaterThan(0);
    const lastUser = runtime.instructions.map((i) => i.getKeyword()).lastIndexOf('USER');
    expect(runtime.instructions.slice(lastUser).some((i) => i.getKeyword() === 'RUN'), 'no RUN after USER').to.equal(false);
  });

  it('starts bin/tracee-sig with node, in exec form', () => {
    const entrypoints = DockerfileParser.parse(text).getENTRYPOINTs();
    expect(entrypoints).to.have.length(1);
    expect(entrypoints[0].getJSONStrings().map((s) => s.getJSONValue())).to.deep.equal(['node', '/app/bin/tracee-sig']);
  });

  it('copies only paths that exist and that .dockerignore lets into the build context', () => {
    for (const s of stages) {
      for (const c of s.copies.filter((x) => x.from === undefined)) {
        for (const src of c.sources) {
          expect(fs.existsSync(path.join(ROOT, src)), `${s.name}: COPY ${src} exists`).to.equal(true);
          expect(isIgnored(src), `${s.name}: COPY ${src} is not in .dockerignore`).to.equal(false);
        }
      }
    }
  });

  it('keeps node_modules, dist, .git and recordings out of the build context', () => {
    for (const p of ['node_modules', 'node_modules/yaml/package.json', 'dist', 'dist/src/cli.js', '.git', 'fixtures/x.json', 'test', '.env']) {
      expect(isIgnored(p), p).to.equal(true);
    }
    for (const p of ['src/cli.ts', 'signatures/index.ts', 'proto/tracee/v1beta1/event.proto', 'bin/tracee-sig', 'package.json']) {
      expect(isIgnored(p), p).to.equal(false);
    }
  });

  it('needs at run time only packages listed in dependencies', () => {
    // Every package the compiled code requires must come with `npm ci --omit=dev`.
    const required = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.js')) {
          for (const m of fs.readFileSync(p, 'utf8').matchAll(/require\("([^".][^"]*)"\)/g)) {
            if (m[1].startsWith('node:')) continue;
            required.add(m[1].startsWith('@') ? m[1].split('/').slice(0, 2).join('/') : m[1].split('/')[0]);
          }
        }
      }
    };
    walk(path.join(ROOT, 'dist', 'src'));
    walk(path.join(ROOT, 'dist', 'signatures'));
    expect(required.size).to.be.greaterThan(0);
    for (const name of required) expect(PACKAGE.dependencies, `${name} is required by dist/`).to.have.property(name);
  });

  describe('its stages, replayed without Docker', () => {
    let work: string;
    before(() => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'tracee-sig-docker-'));
    });
    after(() => {
      fs.rmSync(work, { recursive: true, force: true });
    });

    it("compiles the build stage's sources alone, and runs the CLI from the runtime stage's files", function () {
      this.timeout(120_000);
      // build stage: its COPYs, node_modules standing for its `npm ci`, its tsc.
      const buildRoot = path.join(work, 'build');
      replayCopies(build!, undefined, ROOT, buildRoot);
      const buildApp = path.join(buildRoot, build!.workdir);
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(buildApp, 'node_modules'));
      const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(buildApp, 'tsconfig.json')], {
        encoding: 'utf8',
      });
      expect(tsc.status, tsc.stdout + tsc.stderr).to.equal(0);

      // runtime stage: its COPYs from the context and from the build stage.
      const runRoot = path.join(work, 'runtime');
      replayCopies(runtime, undefined, ROOT, runRoot);
      replayCopies(runtime, build!.name, buildRoot, runRoot);
      const app = path.join(runRoot, runtime.workdir);
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'));

      // The entrypoint's script, run with the image's arguments for a replay.
      const entry = path.join(runRoot, '/app/bin/tracee-sig');
      const recording = path.join(ROOT, 'fixtures', fs.readdirSync(path.join(ROOT, 'fixtures')).find((f) => f.endsWith('.json'))!);
      const run = spawnSync(process.execPath, [entry, 'replay', '--output', 'json', recording], { encoding: 'utf8', cwd: os.tmpdir() });
      expect(run.status, run.stderr).to.equal(0);
      const findings = run.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      expect(findings.length).to.be.greaterThan(0);
      for (const f of findings) expect(f.name).to.equal('k8s_api_connection');
    });
  });
});
