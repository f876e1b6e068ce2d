import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeJsonLine } from '../../src/decode/json.js';
import { LegacySource, legacySourceOf } from '../../src/decode/legacy.js';
import { currentJson } from '../../src/encode/current-json.js';
import { formatFinding } from '../../src/encode/findings.js';
import { type Event, freezeThreat, type Threat } from '../../src/model/event.js';
import { threatOf } from '../../src/host/finding.js';
import { SignatureHost } from '../../src/host/host.js';
import { metadata } from '../../signatures/k8s_api_connection.js';
import { trc1013 } from '../support/run.js';

const EXAMPLES = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'reference-examples.jsonl'), 'utf8').trim().split('\n');
const [curExec, curConnect, , , curDetection, legExec, legConnect, , legDetection, rulesLine] = EXAMPLES;

function findingsOf(lines: string[]): Event[] {
  const out: Event[] = [];
  const host = new SignatureHost([trc1013()], (f) => out.push(f));
  for (const l of lines) host.dispatch(decodeJsonLine(l).event);
  return out;
}

describe('finding output shapes', () => {
  it('current JSON: Tracee main\'s writer, byte for byte, for every example event', () => {
    for (const line of EXAMPLES.slice(0, 5)) expect(currentJson(decodeJsonLine(line).event)).to.equal(line);
  });

  it('json: the detection event Tracee main prints, with our data and MITRE id', () => {
    const [finding] = findingsOf([curExec, curConnect]);
    const ours = JSON.parse(formatFinding(finding, metadata, 'json'));
    const tracee = JSON.parse(curDetection);
    expect(Object.keys(ours)).to.deep.equal(Object.keys(tracee));
    for (const key of ['timestamp', 'name', 'policies', 'workload', 'detected_from']) expect(ours[key], key).to.deep.equal(tracee[key]);
    expect(ours.id).to.equal(7500); // 7500 + registration index, as Tracee numbers detector events
    expect(ours.data).to.deep.equal([
      { name: 'ip', str: '10.96.0.1' },
      { name: 'container_id', str: '8498b67529680758f69b3a165b6ced82d90e7dae7c573dfa795a87925267230b' },
      { name: 'comm', str: 'curl' },
      { name: 'port', u_int32: 443 },
    ]);
    expect(ours.threat).to.deep.equal({
      ...tracee.threat,
      mitre: { tactic: { name: 'Discovery' }, technique: { id: 'T1526', name: 'Cloud Service Discovery' } },
      properties: { ...tracee.threat.properties, signatureID: 'TRC-1013' },
    });
  });

  it('legacy: the detection trace.Event of Tracee v0.24, context copied exactly from the trigger', () => {
    const [finding] = findingsOf([legExec, legConnect]);
    const text = formatFinding(finding, metadata, 'legacy');
    expect(text.startsWith('{"timestamp":1763629200187654321,"threadStartTime":1763629200120001234,')).to.equal(true);
    const ours = JSON.parse(text);
    const tracee = JSON.parse(legDetection);
    expect(Object.keys(ours)).to.deep.equal(Object.keys(tracee));
    for (const key of Object.keys(tracee)) {
      if (['eventId', 'argsNum', 'args', 'metadata', 'timestamp', 'threadStartTime'].includes(key)) continue;
      expect(ours[key], key).to.deep.equal(tracee[key]);
    }
    expect(ours.eventId).to.equal('6000');
    expect(ours.args.map((a: { name: string }) => a.name)).to.deep.equal(['ip', 'container_id', 'comm', 'port', 'detectedFrom']);
    expect(ours.args[4]).to.deep.equal(tracee.args[1]);
    expect(ours.metadata.Properties).to.include({ Category: 'discovery', Severity: 1, signatureID: 'TRC-1013', external_id: 'T1526' });
    expect(ours.metadata.Version).to.equal('0.1.0');
  });

  it('rules: tracee-rules rawjson with the trigger as Context', () => {
    const [finding] = findingsOf([legExec, legConnect]);
    const ours = JSON.parse(formatFinding(finding, metadata, 'rules'));
    const tracee = JSON.parse(rulesLine);
    expect(Object.keys(ours)).to.deep.equal(['Data', 'Context', 'SigMetadata']);
    expect(formatFinding(finding, metadata, 'rules')).to.contain(rulesLine.slice(rulesLine.indexOf('"Context":'), rulesLine.indexOf(',"SigMetadata"')));
    expect(ours.Data).to.deep.equal({ comm: 'curl', container_id: tracee.Context.containerId, ip: '10.96.0.1', port: 443 });
    expect(ours.SigMetadata).to.deep.include({ ID: 'TRC-1013', Version: '0.1.0', EventName: 'k8s_api_connection', Tags: ['container'] });
  });

  it('auto: legacy input gets legacy findings, current input current ones', () => {
    const [fromCurrent] = findingsOf([curExec, curConnect]);
    const [fromLegacy] = findingsOf([legExec, legConnect]);
    expect(JSON.parse(formatFinding(fromCurrent, metadata, 'auto'))).to.have.property('threat');
    expect(JSON.parse(formatFinding(fromLegacy, metadata, 'auto'))).to.have.property('eventName', 'k8s_api_connection');
  });

  it('legacy and rules shapes rebuild a v0.24 context for events from the current shape', () => {
    const [finding] = findingsOf([curExec, curConnect]);
    const ours = JSON.parse(formatFinding(finding, metadata, 'legacy'));
    expect(ours).to.include({ processName: 'curl', containerId: '8498b67529680758f69b3a165b6ced82d90e7dae7c573dfa795a87925267230b', eventName: 'k8s_api_connection', hostProcessId: 48211 });
    expect(formatFinding(finding, metadata, 'legacy')).to.match(/^\{"timestamp":1772446530187654321,/);
    const detectedFrom = ours.args.find((a: { name: string }) => a.name === 'detectedFrom').value;
    expect(detectedFrom.id).to.equal(736);
    expect(detectedFrom.args[2].value).to.deep.equal({ sa_family: 'AF_INET', sin_addr: '10.96.0.1', sin_port: '443' });
  });

  it('a finding keeps its trigger\'s 19-digit timestamp unchanged in every shape', () => {
    const [finding] = findingsOf([legExec, legConnect.replace('1763629200187654321', '1763629200187654399')]);
    expect(formatFinding(finding, metadata, 'legacy')).to.match(/^\{"timestamp":1763629200187654399,/);
    expect(formatFinding(finding, metadata, 'rules')).to.contain('"Context":{"timestamp":1763629200187654399,');
    expect(JSON.parse(formatFinding(finding, metadata, 'json')).timestamp).to.equal('2025-11-20T09:00:00.187654399Z');
  });

  it('current JSON: a frozen threat written once says what the threat says, each its own', () => {
    const [finding] = findingsOf([curExec, curConnect]);
    const open = (t: Threat): Threat => JSON.parse(JSON.stringify(t)) as Threat; // an equal threat, not frozen
    const low = freezeThreat(threatOf(metadata, 1));
    const high = freezeThreat(threatOf({ ...metadata, description: 'another "quoted" one' }, 3));
    for (const threat of [low, high, low, high]) {
      const text = currentJson({ ...finding, threat });
      expect(text).to.equal(currentJson({ ...finding, threat: open(threat) }));
      expect(JSON.parse(text).threat.severity).to.equal(threat.severity);
    }
    // Where the threat goes: after data, before detected_from (and last without it).
    expect(Object.keys(JSON.parse(currentJson({ ...finding, threat: low })))).to.deep.equal(Object.keys(JSON.parse(curDetection)));
    expect(currentJson({ ...finding, threat: low, detected_from: undefined })).to.equal(currentJson({ ...finding, threat: open(low), detected_from: undefined }));
  });
});

describe('writeJson', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { rawNumber, writeJson } = require('../../src/encode/raw-json.js');
  it('writes marked digits unquoted and exact', () => {
    expect(writeJson({ a: rawNumber('18446744073709551615'), b: 'x' })).to.equal('{"a":18446744073709551615,"b":"x"}');
  });
  it('never mistakes an input string for a marker', () => {
    const forged = '\u0001deadbeefdeadbeef:5\u0001';
    expect(JSON.parse(writeJson({ a: forged }))).to.deep.equal({ a: forged });
  });
});

describe('legacy findings from the trigger\'s own line', () => {
  // Same JSON values; the text path also keeps Tracee's own bytes (e.g. Go's \u0026 for &).
  it('say exactly what the object path says, for every legacy fixture finding', () => {
    const dir = path.join(__dirname, '..', '..', '..', 'fixtures');
    let compared = 0;
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.legacy.json'))) {
      const lines = fs.readFileSync(path.join(dir, file), 'utf8').split('\n').filter(Boolean);
      for (const finding of findingsOf(lines)) {
        for (const shape of ['legacy', 'rules'] as const) {
          const fromText = formatFinding(finding, metadata, shape);
          const fromObject = formatFinding({ ...finding, source: new LegacySource(legacySourceOf(finding)!.object, undefined) }, metadata, shape);
          expect(JSON.parse(fromText), `${file} ${shape}`).to.deep.equal(JSON.parse(fromObject));
          compared++;
        }
      }
    }
    expect(compared).to.be.greaterThan(20);
  });

  it('fall back to the object path when the line is not laid out as Tracee writes it', () => {
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(legConnect)).reverse()));
    const [finding] = findingsOf([legExec, reordered]);
    const out = JSON.parse(formatFinding(finding, metadata, 'legacy'));
    expect(out.eventName).to.equal('k8s_api_connection');
    expect(out.args.map((a: { name: string }) => a.name)).to.deep.equal(['ip', 'container_id', 'comm', 'port', 'detectedFrom']);
  });
});
