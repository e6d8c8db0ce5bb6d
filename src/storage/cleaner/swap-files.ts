/**
 * File protocol of the cleaner's segment replacement, crash-safe at every step:
 *
 * 1. The cleaned data of segments [base, end) is written to `<base>.log.cleaned` and fsynced.
 * 2. Commit: rename to `<base>.<end>.log.swap`, fsync the directory.
 * 3. The old segments' files are renamed to `*.deleted` (removed later).
 * 4. `<base>.<end>.log.swap` is renamed to `<base>.log`; its indexes are rebuilt and fsynced.
 *
 * At load, `*.cleaned` files are leftovers of an unfinished cleaning (before the commit) and are
 * deleted: the old segments are still complete. A `.swap` file means the commit happened: every
 * segment file with a base offset in [base, end) is deleted and the swap file becomes `<base>.log`
 * (its indexes are rebuilt on first use). Unlike Kafka's `<base>.log.swap`, the name carries the
 * end of the replaced range, so a cleaned segment that came out empty still replaces its range.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { filenamePrefixFromOffset, logFile, parseSegmentFileName } from '../file-names.js';
import { fsyncDir, unlinkIfExists } from '../fs-util.js';

export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';

const SWAP_FILE = /^(\d{20})\.(\d{20})\.log\.swap$/;

export function cleanedFile(dir: string, baseOffset: number): string {
  return `${logFile(dir, baseOffset)}${CLEANED_SUFFIX}`;
}

export function swapFile(dir: string, baseOffset: number, endOffset: number): string {
  return join(dir, `${filenamePrefixFromOffset(baseOffset)}.${filenamePrefixFromOffset(endOffset)}.log${SWAP_SUFFIX}`);
}

export interface SwapRecovery {
  /** `.cleaned` files removed. */
  discarded: number;
  /** Swaps completed: [base, end) ranges. */
  completed: { base: number; end: number }[];
}

/**
 * Finishes or rolls back interrupted cleaner swaps in a partition directory (before segments are
 * loaded). `names`: the directory's entries when the caller has just listed it (one listing per
 * partition at start-up).
 */
export function recoverCleanerFiles(dir: string, names: readonly string[] = fs.readdirSync(dir)): SwapRecovery {
  const result: SwapRecovery = { discarded: 0, completed: [] };
  const swaps: { name: string; base: number; end: number }[] = [];
  for (const name of names) {
    if (name.endsWith(CLEANED_SUFFIX)) {
      unlinkIfExists(join(dir, name));
      result.discarded++;
      continue;
    }
    const m = SWAP_FILE.exec(name);
    if (m !== null) {
      const base = Number(m[1]);
      const end = Number(m[2]);
      if (Number.isSafeInteger(base) && Number.isSafeInteger(end) && end > base) swaps.push({ name, base, end });
      else unlinkIfExists(join(dir, name));
    } else if (name.endsWith(SWAP_SUFFIX)) {
      unlinkIfExists(join(dir, name));
    }
  }
  if (swaps.length === 0) return result;
  swaps.sort((a, b) => a.base - b.base);
  const segmentFiles = names.map((name) => ({ name, parsed: parseSegmentFileName(name) }));
  for (const s of swaps) {
    for (const f of segmentFiles) {
      if (f.parsed !== undefined && f.parsed.baseOffset >= s.base && f.parsed.baseOffset < s.end) unlinkIfExists(join(dir, f.name));
    }
    fs.renameSync(join(dir, s.name), logFile(dir, s.base));
    result.completed.push({ base: s.base, end: s.end });
  }
  fsyncDir(dir);
  return result;
}
