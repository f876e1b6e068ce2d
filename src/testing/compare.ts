// Expected findings against actual ones: in order, each expected key equal,
// exactly as many; and the side-by-side view a person reads when they differ.
import type { Event, EventValue } from '../model/event.js';
import { SEVERITY_NAMES } from '../model/event.js';
import type { SignatureMetadata } from '../model/signature.js';
import { formatRfc3339Nano, fromNanosText, toNanosText } from '../model/time.js';
import type { ExpectedFinding, FindingValue } from './case-file.js';

/** What a test can check of a finding: its data fields, and signature, event, severity, timestamp. */
export interface ActualFinding {
  fields: Map<string, FindingValue>;
}

/** Finding fields (not data) a case may check; shown in reports only when some expectation names them. */
const FINDING_KEYS = ['signature', 'event', 'severity', 'timestamp'];

export function actualFinding(finding: Event, meta: SignatureMetadata): ActualFinding {
  const fields = new Map<string, FindingValue>();
  fields.set('signature', meta.id);
  fields.set('event', finding.name);
  fields.set('severity', finding.threat?.severity ?? meta.severity);
  if (finding.timestamp) fields.set('timestamp', toNanosText(finding.timestamp));
  for (const v of finding.data) {
    const value = dataValue(v);
    if (value !== undefined && !fields.has(v.name)) fields.set(v.name, value);
  }
  return { fields };
}

function dataValue(v: EventValue): FindingValue | undefined {
  if (v.str !== undefined) return v.str;
  if (v.u_int32 !== undefined) return v.u_int32;
  if (v.int32 !== undefined) return v.int32;
  if (v.bool !== undefined) return v.bool;
  if (v.int64 !== undefined) return v.int64;
  if (v.u_int64 !== undefined) return v.u_int64;
  return undefined;
}

/** Keys of `expected` whose value `actual` does not have (all of them when there is no actual). */
export function mismatchedKeys(expected: ExpectedFinding, actual: ActualFinding | undefined): string[] {
  const out: string[] = [];
  for (const [key, want] of expected.fields) if (actual?.fields.get(key) !== want) out.push(key);
  return out;
}

export function findingsMatch(expected: ExpectedFinding[], actual: ActualFinding[]): boolean {
  return expected.length === actual.length && expected.every((e, i) => mismatchedKeys(e, actual[i]).length === 0);
}

/**
 * Expected and actual findings side by side, one row per key, `!=` marking
 * each difference. Data fields of actual findings are always shown; finding
 * fields only when an expectation names them.
 */
export function sideBySide(expected: ExpectedFinding[], actual: ActualFinding[]): string[] {
  const shownFindingKeys = new Set(FINDING_KEYS.filter((k) => expected.some((e) => e.fields.has(k))));
  const style = expected.find((e) => e.timestampStyle)?.timestampStyle ?? 'rfc3339';
  type Row = { n: string; left: string; right: string; differs: boolean };
  const rows: Row[] = [];
  const count = Math.max(expected.length, actual.length);
  for (let i = 0; i < count; i++) {
    const e = expected[i];
    const a = actual[i];
    const keys = orderedKeys(e, a, shownFindingKeys);
    const bad = new Set(e ? mismatchedKeys(e, a) : []);
    const first = rows.length;
    if (keys.length === 0) rows.push({ n: '', left: e ? '(any finding)' : '(none)', right: a ? '(a finding)' : '(none)', differs: !e || !a });
    for (const key of keys) {
      const left = !e ? '' : e.fields.has(key) ? `${key}: ${show(key, e.fields.get(key)!, e.timestampStyle ?? style)}` : '';
      const right = !a ? '' : a.fields.has(key) ? `${key}: ${show(key, a.fields.get(key)!, e?.timestampStyle ?? style)}` : e?.fields.has(key) ? `${key}: (absent)` : '';
      rows.push({ n: '', left, right, differs: bad.has(key) });
    }
    if (!e) rows[first].left = '(none)';
    if (!a) rows[first].right = '(none)';
    if (!e || !a) rows[first].differs = true;
    rows[first].n = `${i + 1}`;
  }
  const nWidth = Math.max(1, String(count).length);
  const leftWidth = Math.max('expected'.length, ...rows.map((r) => r.left.length));
  const line = (n: string, left: string, mark: string, right: string): string => `${n.padStart(nWidth)}  ${left.padEnd(leftWidth)}  ${mark}  ${right}`.trimEnd();
  return [line('#', 'expected', '  ', 'actual'), ...rows.map((r) => line(r.n, r.left, r.differs ? '!=' : '  ', r.right))];
}

function orderedKeys(e: ExpectedFinding | undefined, a: ActualFinding | undefined, shownFindingKeys: Set<string>): string[] {
  const keys: string[] = [];
  const add = (k: string): void => {
    if (!keys.includes(k)) keys.push(k);
  };
  for (const k of FINDING_KEYS) if (e?.fields.has(k) || (shownFindingKeys.has(k) && a?.fields.has(k))) add(k);
  for (const k of e?.fields.keys() ?? []) if (!FINDING_KEYS.includes(k)) add(k);
  for (const k of a?.fields.keys() ?? []) if (!FINDING_KEYS.includes(k)) add(k);
  return keys;
}

function show(key: string, value: FindingValue, timestampStyle: 'rfc3339' | 'nanos'): string {
  if (key === 'severity' && typeof value === 'number') return `${value} (${SEVERITY_NAMES[value] ?? 'unknown'})`;
  if (key === 'timestamp' && typeof value === 'string') {
    if (timestampStyle === 'nanos') return value;
    const ts = fromNanosText(value);
    return ts ? formatRfc3339Nano(ts) : value;
  }
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
