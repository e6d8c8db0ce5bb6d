/**
 * The periodic checkpoints of a broker with many partitions, rendered in slices.
 *
 * Kafka's rule: ReplicaManager writes replication-offset-checkpoint every
 * replica.high.watermark.checkpoint.interval.ms (5 s) on a scheduler thread, reading each
 * partition's high watermark as it goes (no global snapshot). Samsa's background writer already
 * takes the file writes off the event loop, but building the content (a line per partition) ran
 * in the timer callback: ~40–125 ms for 100,000 partitions on this machine, every 5 s, a stall
 * every Produce and Fetch waited behind. Above SLICE_PARTITIONS logs the content is built
 * SLICE_PARTITIONS lines at a time, each slice in its own macrotask (setImmediate), and the file
 * is handed to the background writer once the last slice is done. The same for the 60 s pass
 * (recovery points, high watermarks and log start offsets: three lines per partition).
 *
 * Deviation: as in Kafka, the values are read partition by partition over the pass (a few
 * milliseconds apart), not at one instant. A log deleted or replaced during the pass is left out
 * (its entry would describe files that are gone); a log created during it appears in the next
 * pass. A synchronous checkpoint written meanwhile (a deletion or a move writes one, as does
 * shutdown) makes the pass's result stale: `isStale` says so and it is dropped.
 */
import type { PartitionLog } from './partition-log.js';

/** Logs per slice; also the size from which the pass is sliced at all. */
export const SLICE_PARTITIONS = 2000;

export interface SlicedPass {
  cancel(): void;
}

/**
 * Renders, per log dir, `files` checkpoint lines for each log (`line(log, dir, file)`, file
 * 0..files-1) over several macrotasks, then calls `done` with the lines per dir and file, or with
 * null when `isStale()` by then (not at all once cancelled).
 */
export function renderInSlices(
  logs: ReadonlyMap<string, PartitionLog>,
  dirOf: (key: string) => string | undefined,
  files: number,
  line: (log: PartitionLog, dir: string, file: number) => string,
  isStale: () => boolean,
  done: (linesByDir: Map<string, string[][]> | null) => void,
  slice = SLICE_PARTITIONS,
): SlicedPass {
  const keys = [...logs.keys()];
  const byDir = new Map<string, string[][]>();
  let next = 0;
  let cancelled = false;
  let immediate: NodeJS.Immediate | null = null;
  const step = (): void => {
    immediate = null;
    if (cancelled) return;
    const end = Math.min(keys.length, next + slice);
    for (; next < end; next++) {
      const key = keys[next] as string;
      const log = logs.get(key);
      const dir = dirOf(key);
      if (log === undefined || dir === undefined || log.isClosed) continue;
      let lines = byDir.get(dir);
      if (lines === undefined) byDir.set(dir, (lines = Array.from({ length: files }, () => [])));
      for (let f = 0; f < files; f++) (lines[f] as string[]).push(line(log, dir, f));
    }
    if (next < keys.length) {
      immediate = setImmediate(step);
      return;
    }
    done(isStale() ? null : byDir);
  };
  immediate = setImmediate(step);
  return {
    cancel() {
      cancelled = true;
      if (immediate !== null) clearImmediate(immediate);
    },
  };
}
