/**
 * `samsa groups --reset-offsets`: works out the new committed offset of each partition in scope,
 * the way kafka-consumer-groups.sh does.
 *
 * Kafka's rules: the scope is `--topic T` (every partition), `--topic T:0,2` (those partitions) or
 * `--all-topics` (every partition the group has committed). Exactly one spec: --to-earliest,
 * --to-latest, --to-current (the committed offset; the log end where there is none), --to-offset N
 * and --shift-by N (clamped to [log start, log end]; shift-by needs a committed offset),
 * --to-datetime and --by-duration (the first offset at or after that time, the log end when no
 * record is that recent). Nothing is committed without --execute; --dry-run is the default.
 */
import { fetchMetadata } from '../client/admin.js';
import type { GroupAdmin } from '../client/group-admin.js';
import { planOffsetReset, ResetPlanError, type PlannedOffset, type ResetSpec } from '../client/offset-reset.js';
import type { ParsedArgs } from './args.js';
import { CliError, ExitCode } from './output.js';

export const RESET_SPECS = ['to-earliest', 'to-latest', 'to-current', 'to-offset', 'shift-by', 'to-datetime', 'by-duration'] as const;

export type { PlannedOffset } from '../client/offset-reset.js';

/** Java's Duration.parse subset Kafka documents for --by-duration: PnDTnHnMn.nS, optionally negative. */
export function parseDuration(s: string): number {
  const m = /^([-+]?)P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(s.trim());
  if (!m || s.trim().toUpperCase().endsWith('T') || (m[2] ?? m[3] ?? m[4] ?? m[5]) === undefined) {
    throw new CliError(`Invalid --by-duration '${s}'.`, 'Use an ISO-8601 duration such as PT15M, PT1H30M or P1DT12H.');
  }
  const ms = Number(m[2] ?? 0) * 86_400_000 + Number(m[3] ?? 0) * 3_600_000 + Number(m[4] ?? 0) * 60_000 + Number(m[5] ?? 0) * 1000;
  return m[1] === '-' ? -ms : ms;
}

function parseSpec(a: ParsedArgs, now: number): ResetSpec {
  const given = RESET_SPECS.filter((k) => a.has(k));
  if (given.length !== 1) {
    throw new CliError(given.length === 0 ? '--reset-offsets needs a reset spec.' : `Options ${given.map((g) => `--${g}`).join(' and ')} cannot be combined.`, `Give exactly one of ${RESET_SPECS.map((k) => `--${k}`).join(', ')}.`);
  }
  const kind = given[0] as (typeof RESET_SPECS)[number];
  if (kind === 'to-offset' || kind === 'shift-by') {
    const v = a.require(kind);
    if (!/^-?\d+$/.test(v)) throw new CliError(`--${kind} expects an integer, got '${v}'.`);
    return { kind, n: BigInt(v) };
  }
  if (kind === 'to-datetime') {
    const v = a.require(kind);
    const ms = Date.parse(v);
    if (!Number.isFinite(ms)) throw new CliError(`Invalid --to-datetime '${v}'.`, "Use 'YYYY-MM-DDTHH:mm:SS.sss', optionally with a zone such as Z or +01:00.");
    return { kind: 'to-time', ms: BigInt(ms) };
  }
  if (kind === 'by-duration') return { kind: 'to-time', ms: BigInt(now - parseDuration(a.require(kind))) };
  return { kind };
}

/** `--topic T` / `--topic T:0,1` / `--all-topics` → the partitions to reset. */
async function scope(admin: GroupAdmin, a: ParsedArgs, committed: Map<string, Map<number, bigint>>): Promise<{ topic: string; partition: number }[]> {
  const topics = a.all('topic');
  if (a.has('all-topics') === (topics.length > 0)) throw new CliError('--reset-offsets needs either --topic or --all-topics.', 'Example: --topic orders, --topic orders:0,1 or --all-topics.');
  if (a.has('all-topics')) {
    return [...committed]
      .flatMap(([topic, ps]) => [...ps.keys()].map((partition) => ({ topic, partition })))
      .sort((x, y) => x.topic.localeCompare(y.topic) || x.partition - y.partition);
  }
  const whole = topics.filter((t) => !t.includes(':'));
  const md = whole.length > 0 ? await fetchMetadata(admin.bootstrap, whole) : null;
  const out: { topic: string; partition: number }[] = [];
  for (const t of topics) {
    const colon = t.indexOf(':');
    if (colon >= 0) {
      const name = t.slice(0, colon);
      for (const p of t.slice(colon + 1).split(',')) {
        if (!/^\d+$/.test(p.trim())) throw new CliError(`Invalid partition '${p}' in --topic ${t}.`, 'Use TOPIC:0,1,2.');
        out.push({ topic: name, partition: Number(p) });
      }
      continue;
    }
    const info = md?.topics.get(t);
    if (!info || info.errorCode !== 0) throw new CliError(`Topic '${t}' does not exist.`, "Check the name with 'samsa topics list'.", { exitCode: ExitCode.FAILED });
    for (const p of info.partitions) out.push({ topic: t, partition: p.partition });
  }
  return out;
}

/** The new offset of every partition in scope, not yet committed. */
export async function planReset(admin: GroupAdmin, a: ParsedArgs, group: string, now: number): Promise<PlannedOffset[]> {
  const spec = parseSpec(a, now);
  const committed = await admin.committed(group);
  const parts = await scope(admin, a, committed);
  try {
    return await planOffsetReset(admin, group, parts, spec, committed);
  } catch (e) {
    if (e instanceof ResetPlanError) throw new CliError(e.message, e.hint, { exitCode: ExitCode.FAILED });
    throw e;
  }
}
