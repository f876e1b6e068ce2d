import { expect } from 'chai';
import { TraceeLineScanner, type ScannedEvent } from '../../src/decode/tracee-layout.js';
import { arg } from '../../src/model/accessors.js';
import { REFERENCE_EXAMPLES } from '../support/cli.js';

const [, curConnect, , , , , legConnect] = REFERENCE_EXAMPLES;

/** Scans `line` with `scanner` as replay does (inside a larger chunk). */
function scan(scanner: TraceeLineScanner, line: string, shape: 'current' | 'legacy' = 'current'): ScannedEvent | undefined {
  const buf = Buffer.from(`xx${line}yy`);
  return scanner.scan(buf, 2, buf.length - 2, 'security_socket_connect', shape);
}

describe('TraceeLineScanner', () => {
  it('matches a line laid out like one scanned before against its template, and reads it as the rules do', () => {
    const scanner = new TraceeLineScanner();
    expect(scan(scanner, curConnect)).to.not.equal(undefined);
    expect(scanner.templateMatches).to.equal(0);
    // Other values in the holes (a string, a number, the address): the template still matches.
    const other = curConnect.replace(/"sin_addr":"[^"]*"/, '"sin_addr":"10.0.0.9"').replace(/"pid":\d+/, '"pid":4242');
    expect(other).to.not.equal(curConnect);
    const ev = scan(scanner, other)!;
    expect(scanner.templateMatches).to.equal(1);
    expect(arg(ev, 'remote_addr')?.sockaddr?.sin_addr).to.equal('10.0.0.9');
    expect(ev.full().workload?.process?.pid).to.equal(4242);
  });

  it('declines a line whose hole holds what the rule there refuses, with or without templates', () => {
    const scanner = new TraceeLineScanner();
    scan(scanner, curConnect);
    const wrongKind = curConnect.replace(/"pid":\d+/, '"pid":"4242"');
    expect(scan(new TraceeLineScanner({ templates: false }), wrongKind)).to.equal(undefined);
    expect(scan(scanner, wrongKind)).to.equal(undefined);
  });

  it('stops trying templates for a name whose lines do not repeat their layout, and scans them by the rules', () => {
    const scanner = new TraceeLineScanner();
    const unique = (i: number) => curConnect.replace('"workload":{', `"workload":{"x${i}":1,`);
    for (let i = 0; i < 400; i++) expect(scan(scanner, unique(i)), `line ${i}`).to.not.equal(undefined);
    expect(scanner.templateMatches).to.equal(0);
    // Off now: the same layout twice is scanned by the rules, not matched.
    scan(scanner, unique(1000));
    expect(scan(scanner, unique(1000))).to.not.equal(undefined);
    expect(scanner.templateMatches).to.equal(0);
    // Another name still learns and matches.
    const exec = curConnect.replace('"security_socket_connect"', '"sched_process_exec"');
    const buf = Buffer.from(exec);
    for (let i = 0; i < 2; i++) expect(scanner.scan(buf, 0, buf.length, 'sched_process_exec', 'current')).to.not.equal(undefined);
    expect(scanner.templateMatches).to.equal(1);
  });

  it('gives each event its own copy of a remote_addr decoded before: changing one changes no other', () => {
    for (const [line, shape] of [[curConnect, 'current'], [legConnect, 'legacy']] as const) {
      const scanner = new TraceeLineScanner({ deferNotedItems: true });
      const [a, b] = [scan(scanner, line, shape)!, scan(scanner, line, shape)!];
      expect(a.decodeNotedItems() && b.decodeNotedItems()).to.equal(true);
      const [ra, rb] = [arg(a, 'remote_addr')!, arg(b, 'remote_addr')!];
      expect(ra).to.deep.equal(rb);
      expect(ra).to.not.equal(rb);
      expect(ra.sockaddr).to.not.equal(rb.sockaddr);
      ra.sockaddr!.sin_addr = '192.0.2.1';
      const c = scan(scanner, line, shape)!;
      c.decodeNotedItems();
      expect(arg(c, 'remote_addr')).to.deep.equal(rb);
    }
  });
});
