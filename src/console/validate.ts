/**
 * Checks of the console API's untrusted input (path parameters, query strings, JSON bodies):
 * each helper answers the value in its type or throws a 400 ApiError naming the field.
 *
 * Kafka's rules used: a topic name is 1-249 characters of [a-zA-Z0-9._-] and not "." or "..";
 * a group id is any non-empty string (the console bounds it at 1,000 characters); offsets and
 * timestamps are int64 (the console accepts 0 to 2^53-1, what a browser's numbers hold exactly).
 */
import { badRequest } from './api-error.js';

const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export function topicName(v: unknown, field = 'topic'): string {
  if (typeof v !== 'string' || !TOPIC.test(v) || v === '.' || v === '..') throw badRequest(`Invalid ${field} name`, 'Topic names are 1-249 characters of letters, digits, ".", "_" and "-".');
  return v;
}

export function groupId(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 1000) throw badRequest('Invalid group id', 'A group id is 1 to 1000 characters.');
  return v;
}

/** An integer in [min, max], from a number or a decimal string; `def` when absent. */
export function int(v: unknown, field: string, min: number, max: number, def?: number): number {
  if ((v === undefined || v === '' || v === null) && def !== undefined) return def;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,16}$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw badRequest(`Invalid ${field}: expected an integer from ${min} to ${max}`);
  return n;
}

/** An optional string of at most `max` characters (absent or empty: null). */
export function optString(v: unknown, field: string, max: number): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string' || v.length > max) throw badRequest(`Invalid ${field}: expected text of at most ${max} characters`);
  return v;
}

/** One of `allowed`; `def` when absent. */
export function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[], def?: T): T {
  if ((v === undefined || v === '') && def !== undefined) return def;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw badRequest(`Invalid ${field}: expected one of ${allowed.join(', ')}`);
  return v as T;
}

export function record(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badRequest(`Invalid ${field}: expected a JSON object`);
  return v as Record<string, unknown>;
}

/** Config overrides: an object of at most 200 names (Kafka's config name characters) to string values. */
export function configMap(v: unknown, field: string): { name: string; value: string }[] {
  if (v === undefined || v === null) return [];
  const o = record(v, field);
  const entries = Object.entries(o);
  if (entries.length > 200) throw badRequest(`Too many ${field}`);
  return entries.map(([name, value]) => {
    if (!/^[a-zA-Z0-9._-]{1,255}$/.test(name)) throw badRequest(`Invalid config name in ${field}`);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw badRequest(`Invalid value of ${name}: expected text`);
    const s = String(value);
    if (s.length > 100_000) throw badRequest(`Value of ${name} is too long`);
    return { name, value: s };
  });
}

/** A config change request's body, `{"set": {name: value}, "delete": [name]}`, as SET and DELETE changes (at least one). */
export function configChanges(body: unknown): { name: string; op: 'SET' | 'DELETE'; value: string | null }[] {
  const o = record(body, 'body');
  const set = configMap(o['set'], 'set');
  const del = o['delete'] ?? [];
  if (!Array.isArray(del) || del.length > 200 || !del.every((d) => typeof d === 'string' && /^[a-zA-Z0-9._-]{1,255}$/.test(d))) throw badRequest('Invalid delete: expected a list of config names');
  const changes = [...set.map((c) => ({ name: c.name, op: 'SET' as const, value: c.value })), ...(del as string[]).map((d) => ({ name: d, op: 'DELETE' as const, value: null }))];
  if (changes.length === 0) throw badRequest('Nothing to change: give set and/or delete');
  return changes;
}
