// String formats the host's own schema keys use (allowlist expiry).
import type { SchemaFormat } from '../sdk/signature.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

function isCalendarDate(d: string): boolean {
  const t = Date.parse(`${d}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === d;
}

export const HOST_FORMATS: Record<string, SchemaFormat> = {
  'date-or-date-time': {
    validate: (s) => (DATE.test(s) ? isCalendarDate(s) : DATE_TIME.test(s) && isCalendarDate(s.slice(0, 10)) && !Number.isNaN(Date.parse(s))),
    expected: 'a date YYYY-MM-DD or an RFC 3339 date-time such as 2026-12-31T18:00:00Z',
  },
};
