/**
 * The message browser's filter: key contains, value contains (case-insensitive, on the bytes
 * decoded as UTF-8), a header (name, or name=value), and a JSON path on the value (`$.a.b[0]`,
 * or `a.b` without the `$.`) that must exist, or equal a given value (compared with the JSON
 * text or, for strings, the string itself). A value that is not JSON does not match a JSON path.
 * Values larger than JSON_PARSE_MAX are not parsed (they never match a JSON path): the filter's
 * cost per record stays bounded.
 */
import type { KafkaRecord } from '../protocol/records/record.js';
import { badRequest } from './api-error.js';

const JSON_PARSE_MAX = 1024 * 1024;

export interface MessageFilter {
  key: string | null;
  value: string | null;
  header: { name: string; value: string | null } | null;
  jsonPath: (string | number)[] | null;
  jsonValue: string | null;
}

export const isEmptyFilter = (f: MessageFilter): boolean => f.key === null && f.value === null && f.header === null && f.jsonPath === null;

/** `$.a.b[0].c` → ['a', 'b', 0, 'c']; a 400 for anything else. */
export function parseJsonPath(text: string): (string | number)[] {
  let s = text.trim();
  if (s.startsWith('$')) s = s.slice(1);
  const out: (string | number)[] = [];
  const re = /\.?([A-Za-z_$][\w$-]*)|\[(\d{1,9})\]|\[["']([^"'\]]*)["']\]/y;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m || m[0].length === 0) throw badRequest(`Invalid JSON path '${text}'`, 'Use a path like $.order.items[0].sku');
    out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (m[3] as string)));
    pos = re.lastIndex;
  }
  if (out.length === 0) throw badRequest(`Invalid JSON path '${text}'`, 'Use a path like $.order.items[0].sku');
  return out;
}

function contains(b: Buffer | null, needle: string): boolean {
  if (b === null) return false;
  return b.toString('utf8').toLowerCase().includes(needle.toLowerCase());
}

function jsonAt(value: Buffer | null, path: (string | number)[]): { found: boolean; v: unknown } {
  if (value === null || value.length > JSON_PARSE_MAX) return { found: false, v: undefined };
  let v: unknown;
  try {
    v = JSON.parse(value.toString('utf8'));
  } catch {
    return { found: false, v: undefined };
  }
  for (const step of path) {
    if (v === null || typeof v !== 'object') return { found: false, v: undefined };
    const o = v as Record<string | number, unknown>;
    if (!Object.prototype.hasOwnProperty.call(o, step)) return { found: false, v: undefined };
    v = o[step];
  }
  return { found: true, v };
}

export function matches(r: KafkaRecord, f: MessageFilter): boolean {
  if (f.key !== null && !contains(r.key, f.key)) return false;
  if (f.value !== null && !contains(r.value, f.value)) return false;
  if (f.header !== null) {
    const h = f.header;
    if (!r.headers.some((x) => x.key === h.name && (h.value === null || (x.value !== null && x.value.toString('utf8') === h.value)))) return false;
  }
  if (f.jsonPath !== null) {
    const { found, v } = jsonAt(r.value, f.jsonPath);
    if (!found) return false;
    if (f.jsonValue !== null && JSON.stringify(v) !== f.jsonValue && !(typeof v === 'string' && v === f.jsonValue) && String(v) !== f.jsonValue) return false;
  }
  return true;
}
