// The end-of-run summary through a logger: in text, the lines a person reads
// (as before); in JSON, one record holding the counts as fields, and one
// warning record per warning.
import { summaryFields, summaryLines, warnings, type SummaryInput } from '../host/summary.js';
import type { LogFields, Logger } from './logger.js';

const WARNING = /^warning: /;

export function logSummary(log: Logger, s: SummaryInput, extra: { suffix?: string; fields?: LogFields } = {}): void {
  const lines = summaryLines(s);
  lines[0] += extra.suffix ?? '';
  if (log.format === 'text') {
    for (const line of lines) {
      if (WARNING.test(line)) log.warn(line.replace(WARNING, ''));
      else log.info(line);
    }
    return;
  }
  log.info(lines[0], { ...summaryFields(s), ...extra.fields });
  for (const w of warnings(s)) log.warn(w.replace(WARNING, ''));
}
