/**
 * Confluent's compatibility levels on top of a format's reader/writer check:
 *   BACKWARD  the new schema reads data written with the latest live version;
 *   FORWARD   the latest live version reads data written with the new schema;
 *   FULL      both; the _TRANSITIVE levels check every live version instead of the latest only;
 *   NONE      no check.
 * Soft-deleted versions take no part (Confluent's rule).
 */
import type { ParsedSchema, SchemaFormat } from './formats/format.js';
import { CompatibilityLevel } from './types.js';

export interface PreviousVersion<P extends ParsedSchema> {
  version: number;
  parsed: P;
}

/** Messages describing every incompatibility (empty: compatible). `previous` is oldest first. */
export function checkCompatibility<P extends ParsedSchema>(format: SchemaFormat<P>, level: CompatibilityLevel, candidate: P, previous: readonly PreviousVersion<P>[]): string[] {
  if (level === CompatibilityLevel.NONE || previous.length === 0) return [];
  const transitive = level.endsWith('_TRANSITIVE');
  const against = transitive ? previous : previous.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const out: string[] = [];
  for (const p of against) {
    if (p.parsed.schemaType !== candidate.schemaType) {
      out.push(`against version ${p.version}: the schema type changed from ${p.parsed.schemaType} to ${candidate.schemaType}`);
      continue;
    }
    if (backward) for (const m of format.readIssues(candidate, p.parsed)) out.push(`BACKWARD against version ${p.version}: ${m}`);
    if (forward) for (const m of format.readIssues(p.parsed, candidate)) out.push(`FORWARD against version ${p.version}: ${m}`);
  }
  return out;
}
