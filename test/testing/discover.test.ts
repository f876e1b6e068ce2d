import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findCaseFiles } from '../../src/testing/discover.js';
import { TempDir } from './helpers.js';

describe('finding case files', () => {
  let tmp: TempDir;
  beforeEach(() => (tmp = new TempDir()));
  afterEach(() => tmp.remove());

  it('takes *.yaml, *.yml and *.case.json from folders, recursively, in name order; leaves recordings', () => {
    for (const f of ['b.yaml', 'a.yml', 'sub/c.case.json', 'sub/deeper/d.yaml', 'rec.json', 'rec.json.gz', 'notes.md', '.hidden/e.yaml', 'node_modules/f.yaml']) tmp.write(f, '');
    fs.symlinkSync(tmp.dir, path.join(tmp.dir, 'sub', 'loop'));
    const found = findCaseFiles([tmp.dir]);
    expect(found.unreadable).to.deep.equal([]);
    expect(found.files.map((f) => path.relative(tmp.dir, f))).to.deep.equal(['a.yml', 'b.yaml', 'sub/c.case.json', 'sub/deeper/d.yaml']);
  });

  it('takes a file named on the command line whatever its name, and reports missing paths', () => {
    const named = tmp.write('cases.json', '');
    const found = findCaseFiles([named, path.join(tmp.dir, 'missing')]);
    expect(found.files).to.deep.equal([named]);
    expect(found.unreadable).to.deep.equal([`${path.join(tmp.dir, 'missing')}: no such file or folder`]);
  });
});
