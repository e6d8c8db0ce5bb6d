/**
 * When V8 optimizes the broker's functions: `samsa start` raises the invocation counts after which
 * V8's optimizing compilers (Maglev, then TurboFan) compile a function, so a broker spends less
 * CPU compiling code that runs once per request.
 *
 * Kafka's rule: none (the JVM's JIT has its own thresholds, e.g. -XX:CompileThreshold).
 * Samsa's measurement (bench/cluster-cpu.ts --procs, 3 brokers RF 3, 500,000 × 1 KiB acks=all,
 * Node 24): a broker's hot code runs per request (about 1,000 produce requests and 1,400 replica
 * fetches per GB), not per record, so within the first GBs most functions sit near V8's default
 * counts (400 for Maglev, 3,000 for TurboFan) and are compiled while the load runs; with V8's
 * counts the optimizing compiles were 6–10 % of the brokers' CPU samples (perf), and lower counts
 * cost more user CPU per GB, not less (counts 100/500: +60 %). With 1,000/10,000 the brokers'
 * user CPU per GB was lower (figures in bench/README.md); the functions still get optimized, later.
 *
 * Deviations and limits: the counts are process-wide V8 flags (set with v8.setFlagsFromString;
 * V8's tiering manager reads them at each decision), so only `samsa start`, which owns its
 * process, sets them, not a broker embedded with startBroker(). A count of 0 leaves V8's own.
 * They are not handed back at shutdown (V8 has no "unset" for them; the process is ending).
 * Only set on V8 13 or later (Node 24; measured there): older V8s name their tiering differently.
 */
import { setFlagsFromString } from 'node:v8';

export interface JitTiering {
  /** Invocations before Maglev compiles a function (V8's --invocation-count-for-maglev); 0: V8's own. */
  readonly maglevInvocations: number;
  /** Invocations before TurboFan compiles a function (V8's --invocation-count-for-turbofan); 0: V8's own. */
  readonly turbofanInvocations: number;
}

/** The V8 flags that set `t` (none for counts of 0). */
export function jitTieringFlags(t: JitTiering): string[] {
  const flags: string[] = [];
  if (t.maglevInvocations > 0) flags.push(`--invocation-count-for-maglev=${Math.floor(t.maglevInvocations)}`);
  if (t.turbofanInvocations > 0) flags.push(`--invocation-count-for-turbofan=${Math.floor(t.turbofanInvocations)}`);
  return flags;
}

/**
 * Whether this V8 has both counts as flags: V8 13 (Node 24, where they were measured) does; V8 11
 * (Node 20) has neither (it tiers up by an interrupt budget) and would print an error for each.
 */
export function jitTieringSupported(v8Version: string = process.versions.v8): boolean {
  return Number(v8Version.split('.')[0]) >= 13;
}

/** Sets `t`'s counts for this process when its V8 has them (jitTieringSupported); returns the flags set. */
export function installJitTiering(t: JitTiering): string[] {
  if (!jitTieringSupported()) return [];
  const flags = jitTieringFlags(t);
  for (const f of flags) setFlagsFromString(f);
  return flags;
}
