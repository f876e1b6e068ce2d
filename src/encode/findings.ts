// The shapes a finding can leave in, and the choice among them.
import type { Event } from '../model/event.js';
import type { SignatureMetadata } from '../model/signature.js';
import { legacySourceOf } from '../decode/legacy.js';
import { currentJson } from './current-json.js';
import { legacyFinding, rulesFinding } from './legacy-json.js';

export const OUTPUT_SHAPES = ['auto', 'json', 'legacy', 'rules'] as const;
export type OutputShape = (typeof OUTPUT_SHAPES)[number];

/**
 * One finding as one JSON line (no newline). `auto` answers in the shape of the
 * triggering event's own format: legacy input gets the legacy detection event.
 */
export function formatFinding(finding: Event, meta: SignatureMetadata, shape: OutputShape): string {
  const chosen = shape === 'auto' ? (legacySourceOf(finding) ? 'legacy' : 'json') : shape;
  if (chosen === 'legacy') return legacyFinding(finding, meta);
  if (chosen === 'rules') return rulesFinding(finding, meta);
  return currentJson(finding);
}
