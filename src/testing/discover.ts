// PATH arguments -> case files. A file named on the command line is a case
// file whatever its name. In a folder (searched recursively, in name order),
// case files are *.yaml, *.yml and *.case.json: other JSON files there are
// taken for recordings (Tracee writes those as .json), which cases refer to.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CASE_FILE_PATTERNS = ['*.yaml', '*.yml', '*.case.json'];

export function isCaseFileName(name: string): boolean {
  return name.endsWith('.yaml') || name.endsWith('.yml') || name.endsWith('.case.json');
}

export interface FoundCaseFiles {
  files: string[];
  /** Paths that do not exist or cannot be read, with the reason. */
  unreadable: string[];
}

export function findCaseFiles(paths: string[]): FoundCaseFiles {
  const found: FoundCaseFiles = { files: [], unreadable: [] };
  const seenDirs = new Set<string>();
  const walk = (dir: string): void => {
    let real: string;
    let entries: fs.Dirent[];
    try {
      real = fs.realpathSync(dir);
      if (seenDirs.has(real)) return; // a symlink loop, or the same folder given twice
      seenDirs.add(real);
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      found.unreadable.push(`${dir}: cannot read folder: ${(e as Error).message}`);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = path.join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const st = fs.statSync(full);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          found.unreadable.push(`${full}: broken symbolic link`);
          continue;
        }
      }
      if (isDir) walk(full);
      else if (isFile && isCaseFileName(entry.name)) found.files.push(full);
    }
  };
  for (const p of paths) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      found.unreadable.push(`${p}: ${code === 'ENOENT' ? 'no such file or folder' : (e as Error).message}`);
      continue;
    }
    if (st.isDirectory()) walk(p);
    else found.files.push(p);
  }
  return found;
}
