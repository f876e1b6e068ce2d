import { expect } from 'chai';
import { Prefilter } from '../../src/decode/prefilter.js';
import { REFERENCE_EXAMPLES } from '../support/cli.js';

const [curExec, curConnect, , curRemove, , legExec, legConnect, legRemove] = REFERENCE_EXAMPLES;
const skip = (line: string): string | undefined => {
  const p = new Prefilter(new Set(['sched_process_exec', 'security_socket_connect']));
  const buf = Buffer.from(`xx${line}yy`); // the line sits inside a larger chunk
  return p.skip(buf, 2, buf.length - 2) ? p.takeSkipped()[0]?.[0] : undefined;
};

describe('Prefilter', () => {
  it('parses selected events of both shapes and skips the others with their name', () => {
    for (const l of [curExec, curConnect, legExec, legConnect]) expect(skip(l)).to.equal(undefined);
    expect(skip(curRemove)).to.equal('container_remove');
    expect(skip(legRemove)).to.equal('container_remove');
    expect(skip(curRemove.replace('"id":2018', '"id":"container_remove"'))).to.equal('container_remove'); // protojson id
  });

  it('never skips a selected event however its line is laid out', () => {
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(curConnect)).reverse()));
    expect(skip(reordered)).to.equal(undefined);
    const escaped = curConnect.replace('"name":"security_socket_connect"', '"name":"security\\u005fsocket_connect"');
    expect(skip(escaped)).to.equal(undefined);
    const legacyEscaped = legConnect.replace('"eventName":"security_socket_connect"', '"eventName":"security_socket\\u005fconnect"');
    expect(skip(legacyEscaped)).to.equal(undefined);
  });

  it('parses lines that are not whole objects, so they are reported as malformed', () => {
    expect(skip(curRemove.slice(0, 200))).to.equal(undefined);
    expect(skip('garbage')).to.equal(undefined);
    expect(skip('[1,2,3]')).to.equal(undefined);
    expect(skip('{"x":1}')).to.equal(undefined);
  });

  it('parses lines laid out otherwise, so each is counted under its real name or reported', () => {
    // The event's own name after a nested "name" (the thread's, an argument's): skipping it
    // counted it as an event named "curl" or "pathname".
    const o = JSON.parse(curRemove);
    const reordered = JSON.stringify({ workload: o.workload, data: o.data, name: o.name, timestamp: o.timestamp, id: o.id });
    expect(skip(reordered)).to.equal(undefined);
    const spaced = legRemove.replace('"eventName":"container_remove"', '"eventName" : "container_remove"');
    expect(skip(spaced)).to.equal(undefined);
    // A corrupted line that still ends in "}" is not an event: parse it, so it is reported.
    expect(skip('{"workload":{"process":{"thread":{"name":"curl"}}},"name":"openat", broken}')).to.equal(undefined);
  });

  it('parses everything when a signature selects every event', () => {
    const b = Buffer.from(curRemove);
    expect(new Prefilter(undefined).skip(b, 0, b.length)).to.equal(false);
  });
});
