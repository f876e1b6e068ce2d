// A clone has nothing beside it: no test, benchmark, doc or script may point
// outside the repository. Scans every tracked text file for relative paths
// that climb out of the repository, code paths built from __dirname that do,
// and absolute paths to what lies beside the repository.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../support/cli.js';

const TEXT = /\.(ts|js|mjs|cjs|md|ya?ml|json|proto|sh|txt)$|(^|\/)(Makefile|Dockerfile|\.dockerignore|\.gitignore|run|tracee-sig)$/;
export interface Leak {
  file: string;
  line: number;
  path: string;
  why: string;
}

function trackedFiles(): string[] {
  const git = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  if (git.status === 0 && git.stdout) return git.stdout.split('\0').filter((f) => f !== '');
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      if (['node_modules', 'dist', '.git'].includes(e.name)) continue;
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory()) walk(rel);
      else out.push(rel);
    }
  };
  walk('');
  return out;
}

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function strictlyInside(dir: string, p: string): boolean {
  return inside(dir, p) && path.relative(dir, p) !== '';
}

/** Where `__dirname` points when the file runs: tsc puts a .ts file's output under dist/. */
function runtimeDir(root: string, file: string): string {
  const dir = path.dirname(path.join(root, file));
  return file.endsWith('.ts') ? path.join(root, 'dist', path.relative(root, dir)) : dir;
}

const JOIN = /path\.(?:join|resolve)\(\s*([A-Za-z_$][\w$]*)((?:\s*,\s*'[^']*')+)/g;
const DEFINITION = /(?:const|let)\s+([A-Za-z_$][\w$]*)\s*=\s*path\.(?:join|resolve)\(\s*__dirname((?:\s*,\s*'[^']*')+)\s*\)/g;
const RELATIVE = /(?<![\w.\/-])(?:\.\.\/)+[\w.@-]*(?:\/[\w.@-]+)*\/?/g;
const ABSOLUTE = /(?<![\w.:\/\]-])(?:\/[\w.-]+)+/g;

function segments(list: string): string[] {
  return [...list.matchAll(/'([^']*)'/g)].map((m) => m[1]);
}

/** Every place in `files` (path -> text) that leads outside `root`. */
export function leaksIn(root: string, files: Map<string, string>): Leak[] {
  const leaks: Leak[] = [];
  // A checkout's siblings; not checked when that is a home directory, where
  // recorded events legitimately name paths such as /root/.kube.
  const beside = path.dirname(root);
  const checkAbsolute = beside !== '/' && beside !== os.homedir();
  // Directories named once from __dirname (ROOT, REPO, ...), by file and by exported name.
  const defined = new Map<string, Map<string, string>>();
  const exported = new Map<string, string>();
  for (const [file, text] of files) {
    const names = new Map<string, string>();
    for (const m of text.matchAll(DEFINITION)) {
      const dir = path.resolve(runtimeDir(root, file), ...segments(m[2]));
      names.set(m[1], dir);
      exported.set(m[1], dir);
    }
    defined.set(file, names);
  }
  for (const [file, text] of files) {
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      const at = (p: string, why: string): void => {
        leaks.push({ file, line: i + 1, path: p, why });
      };
      for (const m of line.matchAll(JOIN)) {
        const base = m[1] === '__dirname' ? runtimeDir(root, file) : (defined.get(file)?.get(m[1]) ?? exported.get(m[1]));
        if (base === undefined) continue;
        const target = path.resolve(base, ...segments(m[2]));
        if (!inside(root, target)) at(m[0], `resolves to ${target}, outside the repository`);
      }
      // In code, a relative path is read from where the compiled file runs; in a
      // script line that starts with `cd DIR &&`, from DIR.
      const cd = /(?:^|\s)cd\s+([\w./-]+)\s*&&/.exec(line);
      const from = cd ? path.resolve(root, path.dirname(file), cd[1]) : runtimeDir(root, file);
      for (const m of line.matchAll(RELATIVE)) {
        if (cd && m[0] === cd[1]) continue;
        const target = path.resolve(from, m[0]);
        if (!inside(root, target)) at(m[0], `climbs out of the repository from ${path.dirname(file) || '.'}/`);
      }
      for (const m of line.matchAll(ABSOLUTE)) {
        if (checkAbsolute && strictlyInside(beside, m[0]) && !inside(root, m[0])) at(m[0], `an absolute path beside the repository (${beside})`);
      }
    });
  }
  return leaks;
}

function repositoryTexts(): Map<string, string> {
  const files = new Map<string, string>();
  for (const f of trackedFiles()) {
    // This file's own examples of leaks (below) are meant to be found by the check, not to fail it.
    if (!TEXT.test(f) || f === 'package-lock.json' || f === 'test/repo/self-contained.test.ts') continue;
    const full = path.join(ROOT, f);
    if (!fs.existsSync(full)) continue; // deleted, not yet committed
    files.set(f, fs.readFileSync(full, 'utf8'));
  }
  return files;
}

describe('the repository is self-contained (a clone has nothing beside it)', () => {
  it('no test, benchmark, doc or script points outside the repository', () => {
    const texts = repositoryTexts();
    expect(texts.size).to.be.greaterThan(100);
    const leaks = leaksIn(ROOT, texts).map((l) => `${l.file}:${l.line}: ${l.path}: ${l.why}`);
    expect(leaks, leaks.join('\n')).to.deep.equal([]);
  });

  it('every relative link in the Markdown files leads to a file in the repository', () => {
    const missing: string[] = [];
    for (const [file, text] of repositoryTexts()) {
      if (!file.endsWith('.md')) continue;
      for (const m of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(m[1])) continue; // a URL
        if (!fs.existsSync(path.resolve(ROOT, path.dirname(file), m[1]))) missing.push(`${file}: ${m[1]}`);
      }
    }
    expect(missing, missing.join('\n')).to.deep.equal([]);
  });

  describe('the check finds what a clone would miss', () => {
    const root = '/repo/tracee-sig';
    const leaks = (file: string, text: string): string[] => leaksIn(root, new Map([[file, text]])).map((l) => l.path);

    it('a relative path in a script line, read from the directory it changes to', () => {
      expect(leaks('Makefile', '\tcd plugin/host && go run ./cmd/bench -root ../.. -results ../../bench/RESULTS.md')).to.deep.equal([]);
      expect(leaks('Makefile', '\tcd plugin && go run . -root ../../sibling')).to.deep.equal(['../../sibling']);
    });

    it('a relative path in a doc that climbs out', () => {
      expect(leaks('README.md', 'The design is `../sibling/DESIGN.md`.')).to.deep.equal(['../sibling/DESIGN.md']);
      expect(leaks('fixtures/README.md', 'see `../../sibling/fixtures-upstream/`')).to.deep.equal(['../../sibling/fixtures-upstream/']);
      expect(leaks('fixtures/README.md', 'see `../docs/reference/tracee-formats.md`')).to.deep.equal([]);
    });

    it('a path built from __dirname, or from a directory named after it, that climbs out', () => {
      const support = "export const ROOT = path.join(__dirname, '..', '..', '..');\n";
      expect(leaks('test/support/cli.ts', support + "const F = path.join(ROOT, '..', 'sibling', 'x.gz');")).to.have.length(1);
      expect(leaks('test/support/cli.ts', support + "const F = path.join(ROOT, 'fixtures', 'x.gz');")).to.deep.equal([]);
      expect(leaks('test/decode/json.test.ts', "path.join(__dirname, '..', '..', '..', '..', 'sibling', 'a.gz')")).to.have.length(1);
      expect(leaks('test/decode/json.test.ts', "path.join(__dirname, '..', '..', '..', 'fixtures', 'a.gz')")).to.deep.equal([]);
    });

    it('an absolute path to what lies beside the repository, not a system path', () => {
      expect(leaks('fixtures/lib/shapes.ts', '// Key order follows /repo/sibling/reference/tracee-formats.md')).to.deep.equal(['/repo/sibling/reference/tracee-formats.md']);
      expect(leaks('fixtures/lib/shapes.ts', '// see /repo/tracee-sig/docs/reference/tracee-formats.md')).to.deep.equal([]);
      expect(leaks('deploy/x.yaml', 'mountPath: /var/run/tracee and /proc/self/fd')).to.deep.equal([]);
    });
  });
});
