/**
 * Loads a partition directory into segments (Kafka's LogLoader): completes or rolls back an
 * interrupted cleaner swap, removes leftovers (`*.deleted`, `*.tmp`, indexes without a log), opens segments lazily, recovers from the recovery point after an
 * unclean shutdown, and activates the last segment (recovering it if its indexes or tail are bad).
 * After a clean shutdown the last segment's activation is deferred (Kafka activates it at load):
 * the log end offset is the recovery-point checkpoint, so loading opens no segment file.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { recoverCleanerFiles } from './cleaner/swap-files.js';
import { DELETED_SUFFIX, TMP_SUFFIX, parseSegmentFileName } from './file-names.js';
import { unlinkIfExists } from './fs-util.js';
import type { LeaderEpochCache } from './leader-epoch-cache.js';
import type { Logger } from '../common/logger.js';
import { activateOrRecover, floorSegmentIndex, recoverSegments } from './recovery.js';
import { Segment, type SegmentSettings } from './segment.js';

export interface LoadOptions {
  recover: boolean;
  recoveryPoint: number;
  /** Base offset for the first segment of an empty directory. */
  initialOffset: number;
  /** After a clean shutdown: the log end offset from the recovery-point checkpoint (activation is then deferred). */
  cleanLogEndOffset?: number;
  /** The owner's logger (default the process logger). */
  logger?: Logger;
}

export interface LoadedSegments {
  segments: Segment[];
  /** True when any segment was rescanned (the recovered ones still need an fsync). */
  recovered: boolean;
  /**
   * The directory's entries as listed at load, when loading removed no file (null otherwise): the
   * producer state's loading reads its snapshot and txn index names from them instead of listing
   * the directory again. A recovery rewrites or removes segment files (.log, .index, .timeindex)
   * only, never those, so a recovered log (every log after kill -9) keeps its listing too.
   */
  names: string[] | null;
}

export function loadSegments(dir: string, settings: SegmentSettings, now: number, epochs: LeaderEpochCache, opts: LoadOptions): LoadedSegments {
  // One listing serves the cleaner's swap recovery, the segments and the producer state (start-up
  // time with many partitions); listed again only if the swap recovery changed files.
  let names = fs.readdirSync(dir);
  // An interrupted cleaner swap is finished (committed) or rolled back (not yet committed) first.
  const swaps = recoverCleanerFiles(dir, names);
  if (swaps.discarded > 0 || swaps.completed.length > 0) names = fs.readdirSync(dir);
  let unchanged = true;
  const logSizes = new Map<number, number>();
  const indexFiles: { name: string; baseOffset: number }[] = [];
  for (const name of names) {
    if (name.endsWith(DELETED_SUFFIX) || name.endsWith(TMP_SUFFIX)) {
      unlinkIfExists(join(dir, name));
      unchanged = false;
      continue;
    }
    const parsed = parseSegmentFileName(name);
    if (parsed === undefined) continue;
    if (parsed.kind === 'log') logSizes.set(parsed.baseOffset, fs.statSync(join(dir, name)).size);
    else indexFiles.push({ name, baseOffset: parsed.baseOffset });
  }
  for (const f of indexFiles) {
    if (logSizes.has(f.baseOffset)) continue;
    unlinkIfExists(join(dir, f.name));
    unchanged = false;
  }

  const bases = [...logSizes.keys()].sort((a, b) => a - b);
  const segments = bases.map((b) => Segment.openExisting(dir, b, logSizes.get(b) as number, settings, now));
  if (segments.length === 0) {
    segments.push(Segment.create(dir, opts.initialOffset, settings, now));
    return { segments, recovered: false, names: null };
  }
  let recovered = false;
  if (opts.recover) {
    const from = floorSegmentIndex(segments, opts.recoveryPoint);
    const result = recoverSegments(segments, opts.recoveryPoint, epochs, opts.logger);
    for (const s of result.removed) s.deleteNow();
    // Rebuilt indexes are written now; fsyncing the recovered segments happens off the event loop
    // afterwards (the recovery point only moves once that is done), so start-up stays fast.
    for (let i = from; i < segments.length; i++) (segments[i] as Segment).persistIndexesIfSpace();
    recovered = true;
  }
  const last = segments[segments.length - 1] as Segment;
  const end = opts.cleanLogEndOffset;
  if (!opts.recover && end !== undefined && plausibleEnd(last, end)) {
    last.markActiveLazily(end);
    return { segments, recovered: false, names: unchanged ? names : null };
  }
  if (activateOrRecover(segments, last, epochs, opts.logger)) recovered = true;
  return { segments, recovered, names: unchanged ? names : null };
}

/** A checkpointed end offset the last segment can hold: its base offset when empty, above it otherwise. */
function plausibleEnd(last: Segment, end: number): boolean {
  return last.size === 0 ? end === last.baseOffset : end > last.baseOffset;
}
