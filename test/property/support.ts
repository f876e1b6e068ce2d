// Shared pieces of the property tests: run settings (bounded, seeded,
// reproducible), the corpus of real lines, JSON mutations, and a host that
// exercises everything a decoded event reaches (TRC-1013 and every finding shape).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { expect } from 'chai';
import { DecodeError } from '../../src/decode/errors.js';
import { decodeJsonLine } from '../../src/decode/json.js';
import { OUTPUT_SHAPES, formatFinding } from '../../src/encode/findings.js';
import { SignatureHost } from '../../src/host/host.js';
import type { Event } from '../../src/model/event.js';
import { trc1013 } from '../support/run.js';
import { REFERENCE_EXAMPLES, ROOT, UPSTREAM_RECORDING } from '../support/cli.js';

/**
 * fast-check settings. A failure prints the seed and path; reproduce it with
 * FC_SEED=<seed> FC_PATH=<path>. FC_RUNS scales every numRuns (e.g. FC_RUNS=10
 * for a longer local search).
 */
export function runs(numRuns: number): fc.Parameters<unknown> {
  const scale = Number(process.env.FC_RUNS ?? '1');
  const params: fc.Parameters<unknown> = { numRuns: Math.max(1, Math.round(numRuns * (Number.isFinite(scale) && scale > 0 ? scale : 1))) };
  if (process.env.FC_SEED) params.seed = Number(process.env.FC_SEED);
  if (process.env.FC_PATH) params.path = process.env.FC_PATH;
  return params;
}

// ---- the corpus: real lines -------------------------------------------------

function linesOf(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

export const BUNDLED_RECORDINGS = fs
  .readdirSync(path.join(ROOT, 'fixtures'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => path.join(ROOT, 'fixtures', f));

export const BUNDLED_LINES = BUNDLED_RECORDINGS.flatMap((f) => linesOf(fs.readFileSync(f, 'utf8')));
export const UPSTREAM_LINES = linesOf(zlib.gunzipSync(fs.readFileSync(UPSTREAM_RECORDING)).toString('utf8'));
/** Every real line we have: Tracee's documented examples, our recordings, a real Tracee recording. */
export const CORPUS = [...REFERENCE_EXAMPLES, ...BUNDLED_LINES, ...UPSTREAM_LINES];

/** The lines TRC-1013 reads (exec, connect, container_remove), both shapes: the interesting ones to mutate. */
export const SELECTED_NAMES = new Set(['sched_process_exec', 'security_socket_connect', 'container_remove']);
export const SELECTED_LINES = [...REFERENCE_EXAMPLES, ...BUNDLED_LINES].filter((l) => {
  try {
    return SELECTED_NAMES.has(decodeJsonLine(l).event.name);
  } catch {
    return false;
  }
});

export const realLine = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SELECTED_LINES) },
  { weight: 1, arbitrary: fc.constantFrom(...CORPUS) },
);

// ---- values of every JSON type, some raw (not producible by JSON.stringify) --

/** Number texts JSON.parse accepts but that overflow 2^64, round, or are not integers. */
export const RAW_NUMBERS = [
  '18446744073709551616', // 2^64
  '-18446744073709551617',
  '340282366920938463463374607431768211456', // 2^128
  '123456789012345678901234567890123456789012345678901234567890',
  '1e400', // Infinity after JSON.parse
  '-1e400',
  '1e-400',
  '9007199254740993', // 2^53 + 1, rounds
  '1.5',
  '-0',
  '4294967296', // 2^32
  '-2147483649',
  '65536',
  '1E+2',
];

export function deepArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}
export function deepObject(depth: number): string {
  return '{"a":'.repeat(depth) + '{}' + '}'.repeat(depth);
}

/** A stand-in JSON.stringify writes as a string, replaced by raw text afterwards. */
const RAW = '\u0000raw:';
export const raw = (text: string): string => `${RAW}${text}`;
export function stringifyWithRaw(v: unknown): string {
  return JSON.stringify(v).replace(/"\\u0000raw:((?:[^"\\]|\\.)*)"/g, (_, t: string) => JSON.parse(`"${t}"`));
}

/** One value of every JSON type, including the awkward ones. */
export const EVERY_TYPE: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  2147483648,
  '',
  'text',
  '10.96.0.1',
  '\u0000',
  [],
  [1],
  ['a', 'b'],
  [null],
  [{}],
  {},
  { value: ['KUBERNETES_SERVICE_HOST=10.96.0.1'] },
  { value: 'x' },
  { sa_family: 'AF_INET' },
  ...RAW_NUMBERS.map(raw),
  raw(deepArray(5000)),
  raw(deepObject(5000)),
];

export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...EVERY_TYPE) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.oneof(fc.double(), fc.bigInt().map((b) => raw(b.toString()))) },
);

// ---- mutations of a parsed line ----------------------------------------------

type Path = (string | number)[];

export function allPaths(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => allPaths(x, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) allPaths(x, [...at, k], out);
  return out;
}

export type MutationKind = 'delete' | 'retype' | 'nest-array' | 'nest-object';

export interface Mutation {
  kind: MutationKind;
  /** Index into the line's paths (modulo their number). */
  pick: number;
  value: unknown;
}

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<MutationKind>('delete', 'retype', 'retype', 'nest-array', 'nest-object'),
  pick: fc.nat(),
  value: anyValue,
});

/** Apply mutations to a line's JSON tree (a root path deletes nothing; retype replaces the whole line). */
export function mutate(line: string, mutations: Mutation[]): string {
  let root: unknown = JSON.parse(line);
  for (const m of mutations) {
    const paths = allPaths(root);
    const p = paths[m.pick % paths.length];
    if (p.length === 0) {
      if (m.kind === 'retype') root = structuredClone(m.value); // a copy: later mutations must not edit the shared EVERY_TYPE values
      else if (m.kind === 'nest-array') root = [root];
      else if (m.kind === 'nest-object') root = { value: root };
      continue;
    }
    const parent = p.slice(0, -1).reduce((o: any, k) => o[k], root); // eslint-disable-line @typescript-eslint/no-explicit-any
    const key = p[p.length - 1];
    if (m.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else if (m.kind === 'retype') parent[key] = structuredClone(m.value);
    else if (m.kind === 'nest-array') parent[key] = [parent[key]];
    else parent[key] = { value: parent[key] };
  }
  return stringifyWithRaw(root);
}

// ---- what a decoded event must survive ----------------------------------------

/** The decoder's contract: an Event, or a DecodeError; nothing else. */
export function decodeOrDecodeError(decode: () => Event): Event | undefined {
  try {
    return decode();
  } catch (e) {
    if (e instanceof DecodeError) return undefined;
    throw new Error(`decoder threw ${(e as Error)?.name ?? typeof e} instead of DecodeError: ${(e as Error)?.stack ?? e}`);
  }
}

/**
 * A host with TRC-1013 that has learned 10.96.0.1 (and ::ffff:10.96.0.1 by
 * key) for the reference examples' container, in both shapes, so that mutated
 * connects reach the finding path; every finding is formatted in every shape.
 */
export function armedHost(): { host: SignatureHost; findings: Event[] } {
  const findings: Event[] = [];
  const host = new SignatureHost([trc1013()], (finding, meta) => {
    for (const shape of OUTPUT_SHAPES) {
      const text = formatFinding(finding, meta, shape);
      expect(() => JSON.parse(text), `finding in shape ${shape} is JSON`).not.to.throw();
    }
    findings.push(finding);
  });
  for (const l of [REFERENCE_EXAMPLES[0], REFERENCE_EXAMPLES[5]]) host.dispatch(decodeJsonLine(l).event);
  return { host, findings };
}

/** Dispatch a decoded event, then end the source and close, as every edge does. */
export function survivesHost(event: Event): void {
  const { host } = armedHost();
  host.dispatch(event);
  host.sourceComplete();
  host.close();
}
