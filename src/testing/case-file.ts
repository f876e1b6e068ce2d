// Case files in: YAML or JSON text -> checked, decoded test cases, or every
// problem found, each as `file:line:col: key.path: problem`.
//
// Numbers: the YAML parser reads every integer as a BigInt, so a 19-digit
// legacy timestamp in an inline event reaches the replay decoder with all its
// digits (the event is re-serialised to JSON text from the exact values; JSON
// numbers would round past 2^53). The schema is checked on a copy where
// integers are plain numbers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import { LineCounter, parseDocument, isMap, isNode, isScalar, type Document } from 'yaml';
import type { Event, Timestamp } from '../model/event.js';
import { parseRfc3339, fromNanosText, toNanosText } from '../model/time.js';
import { decodeJsonLine } from '../decode/json.js';
import { checkInputs } from '../sources/replay.js';
import type { AnyDefinition } from '../sdk/signature.js';
import { allDefinitions } from '../config/signatures.js';
import { CASE_FILE_SCHEMA, SEVERITY_NAMES } from './case-schema.js';
import { ConfigErrors, signaturesFor } from './signatures-for.js';

/** Values an expected finding can hold, normalised: severity as a number, timestamp as nanosecond digits. */
export type FindingValue = string | number | boolean;

export interface ExpectedFinding {
  /** Keys to check and their expected values; keys left out are not checked. */
  fields: Map<string, FindingValue>;
  /** How the case wrote its timestamp, so reports show both sides the same way. */
  timestampStyle?: 'rfc3339' | 'nanos';
}

export type CaseInput = { kind: 'events'; events: Event[] } | { kind: 'recording'; path: string; written: string };

export interface TestCase {
  name: string;
  description?: string;
  /** The case file, as given, and where the case starts in it. */
  file: string;
  line: number;
  config?: Record<string, unknown>;
  /** The signature id whose findings the case compares; "all" (or left out): every signature's. */
  signature?: string;
  input: CaseInput;
  expect: {
    findings: ExpectedFinding[];
    malformed: number;
    counters?: Record<string, Record<string, number>>;
  };
}

/** What cases run with beyond the built-in signatures. */
export interface CaseOptions {
  /** User signatures (e.g. loaded from --signatures-dir), run beside the built-in ones. */
  signatures?: readonly AnyDefinition[];
}

export interface CaseProblem {
  file: string;
  line?: number;
  col?: number;
  /** Key path inside the file, e.g. `[2].expect.findings[0].port`; empty for the whole file. */
  path: string;
  problem: string;
}

export function formatProblem(p: CaseProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}:${p.col ?? 1}` : p.file;
  return `${where}: ${p.path ? `${p.path}: ` : ''}${p.problem}`;
}

/** A case file that cannot be used, with every problem found in it. */
export class CaseFileError extends Error {
  constructor(readonly file: string, readonly problems: CaseProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'CaseFileError';
  }
}

type Segment = string | number;

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, verbose: true });
const validateCaseFile = ajv.compile(CASE_FILE_SCHEMA);

/** Reads and checks one case file; throws CaseFileError listing every problem. */
export function loadCases(file: string, options: CaseOptions = {}): TestCase[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new CaseFileError(file, [{ file, path: '', problem: `cannot read: ${why}` }]);
  }
  return parseCases(text, file, options);
}

/** Checks case file text; `file` names it in problems and anchors relative recordings. */
export function parseCases(text: string, file: string, options: CaseOptions = {}): TestCase[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, intAsBigInt: true, prettyErrors: false });
  const problems: CaseProblem[] = [];
  const at = (segments: Segment[], problem: string): void => {
    problems.push({ file, ...positionOf(doc, lines, segments), path: pathText(segments), problem });
  };
  for (const err of doc.errors) {
    const pos = lines.linePos(err.pos[0]);
    problems.push({ file, line: pos.line, col: pos.col, path: '', problem: `not valid YAML/JSON: ${err.message.split('\n')[0]}` });
  }
  if (problems.length > 0) throw new CaseFileError(file, problems);

  const exact = doc.toJS() as unknown;
  if (exact === null || exact === undefined) {
    throw new CaseFileError(file, [{ file, path: '', problem: 'empty: expected a case (name, events or recording, expect) or a list of cases' }]);
  }
  const plain = toPlain(exact);
  if (!validateCaseFile(plain)) {
    for (const e of schemaProblems(validateCaseFile.errors ?? [])) at(e.segments, e.problem);
    throw new CaseFileError(file, problems);
  }

  const list = Array.isArray(exact);
  const exactCases = (list ? exact : [exact]) as Record<string, unknown>[];
  const plainCases = (list ? plain : [plain]) as Record<string, unknown>[];
  const cases: TestCase[] = [];
  const firstLineOf = new Map<string, number>();
  exactCases.forEach((exactCase, i) => {
    const base: Segment[] = list ? [i] : [];
    const plainCase = plainCases[i];
    const name = plainCase.name as string;
    const line = positionOf(doc, lines, base).line ?? 1;
    const seen = firstLineOf.get(name);
    if (seen !== undefined) at([...base, 'name'], `duplicate name; the case at line ${seen} has it too`);
    else firstLineOf.set(name, line);

    const signature = plainCase.signature as string | undefined;
    const known = allDefinitions(options.signatures).map((d) => d.metadata.id);
    if (signature !== undefined && signature !== 'all' && !known.includes(signature)) {
      at([...base, 'signature'], `no signature ${JSON.stringify(signature)} is loaded; expected one of ${[...known, 'all'].join(', ')}`);
    }
    const config = plainCase.config as Record<string, unknown> | undefined;
    if (config !== undefined) {
      try {
        signaturesFor(config, options.signatures);
      } catch (e) {
        if (!(e instanceof ConfigErrors)) throw e;
        for (const err of e.errors) at([...base, 'config', ...(err.path ? err.path.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k)) : [])], err.problem);
      }
    }

    let input: CaseInput;
    if (exactCase.events !== undefined) {
      const events: Event[] = [];
      (exactCase.events as unknown[]).forEach((item, j) => {
        const where = [...base, 'events', j];
        try {
          const text = typeof item === 'string' ? item : exactJson(item);
          events.push(decodeJsonLine(text).event);
        } catch (e) {
          at(where, (e as Error).message);
        }
      });
      input = { kind: 'events', events };
    } else {
      const written = plainCase.recording as string;
      // Relative to the case file, kept relative so reports name it as the user would.
      const resolved = path.isAbsolute(written) ? written : path.join(path.dirname(file), written);
      const unreadable = checkInputs([resolved]);
      if (unreadable) at([...base, 'recording'], unreadable.replace(resolved, written));
      input = { kind: 'recording', path: resolved, written };
    }

    const expect = plainCase.expect as Record<string, unknown>;
    const exactExpect = exactCase.expect as Record<string, unknown>;
    const findings = (exactExpect.findings as Record<string, unknown>[]).map((f, j) => {
      const parsed = expectedFinding(f);
      if (typeof parsed === 'string') at([...base, 'expect', 'findings', j, 'timestamp'], parsed);
      return typeof parsed === 'string' ? { fields: new Map() } : parsed;
    });
    cases.push({
      name,
      description: plainCase.description as string | undefined,
      file,
      line,
      config,
      signature: plainCase.signature as string | undefined,
      input,
      expect: {
        findings,
        malformed: (expect.malformed as number | undefined) ?? 0,
        counters: expect.counters as Record<string, Record<string, number>> | undefined,
      },
    });
  });
  if (problems.length > 0) throw new CaseFileError(file, problems);
  return cases;
}

/** One expected finding, normalised; a string is the timestamp's problem. */
function expectedFinding(f: Record<string, unknown>): ExpectedFinding | string {
  const out: ExpectedFinding = { fields: new Map() };
  for (const [key, raw] of Object.entries(f)) {
    if (key === 'timestamp') {
      const digits = typeof raw === 'bigint' || typeof raw === 'number' ? String(raw) : /^\d+$/.test(raw as string) ? (raw as string) : undefined;
      let ts: Timestamp | undefined;
      if (digits !== undefined) {
        ts = fromNanosText(digits);
        out.timestampStyle = 'nanos';
      } else {
        ts = parseRfc3339(raw as string);
        out.timestampStyle = 'rfc3339';
      }
      if (!ts) return `not an RFC 3339 time or a whole number of nanoseconds: ${JSON.stringify(String(raw))}`;
      out.fields.set(key, toNanosText(ts));
    } else if (key === 'severity') {
      out.fields.set(key, typeof raw === 'string' ? SEVERITY_NAMES.indexOf(raw) : Number(raw));
    } else {
      out.fields.set(key, typeof raw === 'bigint' ? Number(raw) : (raw as FindingValue));
    }
  }
  return out;
}

/** Where a key path is written: its key (or list item), else the nearest parent's; line and column. */
function positionOf(doc: Document, lines: LineCounter, segments: Segment[]): { line?: number; col?: number } {
  const nodeAt = (n: number): unknown => (n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true));
  for (let n = segments.length; n >= 0; n--) {
    let node = nodeAt(n);
    const last = segments[n - 1];
    if (typeof last === 'string') {
      const parent = nodeAt(n - 1);
      const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && String(p.key.value) === last) : undefined;
      if (pair && isNode(pair.key)) node = pair.key;
    }
    if (isNode(node) && node.range) {
      const pos = lines.linePos(node.range[0]);
      return { line: pos.line, col: pos.col };
    }
  }
  return {};
}

/** `[2].expect.findings[0].port`, or `expect.findings[0].port` in a one-case file. */
export function pathText(segments: Segment[]): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

/** A copy with BigInts as plain numbers, for the schema check. */
function toPlain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(toPlain);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toPlain(x);
    return out;
  }
  return v;
}

/** JSON text of a parsed YAML value with every integer's digits kept. */
function exactJson(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`${v} has no JSON form`);
    return JSON.stringify(v);
  }
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(exactJson).join(',')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${JSON.stringify(k)}:${exactJson(x)}`).join(',')}}`;
  }
  throw new Error(`a ${typeof v} has no JSON form`);
}

interface SchemaProblem {
  segments: Segment[];
  problem: string;
}

/** Ajv's errors as one plain sentence per real problem, without the noise of if/anyOf branches. */
function schemaProblems(errors: ErrorObject[]): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  const anyOfAt = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => `${e.instancePath}|${e.schemaPath}`));
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    // An alternative that did not match: the anyOf error itself says it once.
    const branch = /^(.*\/anyOf)\/\d+\//.exec(e.schemaPath);
    if (branch && [...anyOfAt].some((k) => k === `${e.instancePath}|${branch[1]}`)) continue;
    let segments = pointerSegments(e.instancePath);
    let problem: string;
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = (e.params as { additionalProperty: string }).additionalProperty;
        segments = [...segments, key];
        const known = Object.keys(((e.parentSchema as { properties?: object })?.properties ?? {}) as object);
        problem = `unknown key${known.length ? `; expected one of: ${known.join(', ')}` : ''}`;
        break;
      }
      case 'required':
        problem = `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
        break;
      case 'type':
        problem = `must be ${article((e.params as { type: string | string[] }).type)}, got ${describe(e.data)}`;
        break;
      case 'anyOf':
        problem = isCaseLevel(e)
          ? 'needs its input: either "events" (inline events) or "recording" (a file)'
          : `must be ${(e.parentSchema as { description?: string })?.description ?? 'one of the allowed forms'}, got ${describe(e.data)}`;
        break;
      case 'not':
        problem = 'has both "events" and "recording"; give one input';
        break;
      case 'enum':
        problem = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(e.data)}`;
        break;
      default:
        problem = `${e.message ?? 'invalid'}${e.data !== undefined && typeof e.data !== 'object' ? `, got ${describe(e.data)}` : ''}`;
    }
    const key = `${pathText(segments)}|${problem}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ segments, problem });
  }
  return out;
}

function isCaseLevel(e: ErrorObject): boolean {
  return e.schemaPath.startsWith('#/definitions/case/anyOf');
}

function pointerSegments(pointer: string): Segment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function article(type: string | string[]): string {
  const names = (Array.isArray(type) ? type : [type]).map((t) => (t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t === 'integer' ? 'a whole number' : `a ${t}`));
  return names.join(' or ');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return `${typeof v === 'number' ? (Number.isInteger(v) ? 'whole number' : 'number') : typeof v} ${String(v)}`;
}
