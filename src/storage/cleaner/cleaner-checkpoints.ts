/**
 * The cleaner's checkpoints: per log directory, `cleaner-offset-checkpoint` (Kafka's offset
 * checkpoint format) maps each compacted log to the end of its last cleaned range, i.e. its first
 * dirty offset. Read once at start (an unreadable file is ignored with a warning, as Kafka does:
 * the logs are cleaned from the start again), rewritten whole on every change; entries of logs that
 * no longer exist in the directory are dropped on the next write.
 */
import { join } from 'node:path';
import type { Logger } from '../../common/logger.js';
import { OffsetCheckpointFile } from '../checkpoint-file.js';
import type { PartitionLog } from '../partition-log.js';

export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';

/** What the checkpoints need of the log manager. */
export interface CheckpointedLogs {
  readonly logDirs: readonly string[];
  allLogs(): Iterable<PartitionLog>;
}

export class CleanerCheckpoints {
  /** log dir → topic-partition key → first dirty offset */
  private readonly byDir = new Map<string, Map<string, number>>();

  constructor(
    private readonly logs: CheckpointedLogs,
    private readonly logger: Logger,
  ) {
    for (const dir of logs.logDirs) this.byDir.set(dir, this.read(dir));
  }

  /** The checkpoint of a log (its first dirty offset), if any. */
  of(plog: PartitionLog): number | undefined {
    return this.byDir.get(plog.parentDir)?.get(tpKey(plog));
  }

  set(plog: PartitionLog, offset: number): void {
    const dir = plog.parentDir;
    let m = this.byDir.get(dir);
    if (m === undefined) {
      m = new Map();
      this.byDir.set(dir, m);
    }
    m.set(tpKey(plog), offset);
    this.write(dir);
  }

  /** Drops a deleted log's checkpoint. */
  forget(plog: PartitionLog): void {
    const m = this.byDir.get(plog.parentDir);
    if (m !== undefined && m.delete(tpKey(plog))) this.write(plog.parentDir);
  }

  private read(dir: string): Map<string, number> {
    try {
      return new OffsetCheckpointFile(join(dir, CLEANER_OFFSET_CHECKPOINT)).readMap();
    } catch (e) {
      this.logger.warn(`ignoring unreadable ${CLEANER_OFFSET_CHECKPOINT} in ${dir}`, e);
      return new Map();
    }
  }

  private write(dir: string): void {
    const m = this.byDir.get(dir);
    if (m === undefined) return;
    const live = new Set<string>();
    for (const plog of this.logs.allLogs()) if (plog.parentDir === dir) live.add(tpKey(plog));
    const entries: { topic: string; partition: number; offset: number }[] = [];
    for (const [key, offset] of m) {
      if (!live.has(key)) {
        m.delete(key);
        continue;
      }
      const dash = key.lastIndexOf('-');
      entries.push({ topic: key.slice(0, dash), partition: Number(key.slice(dash + 1)), offset });
    }
    try {
      new OffsetCheckpointFile(join(dir, CLEANER_OFFSET_CHECKPOINT)).write(entries);
    } catch (e) {
      this.logger.error(`cannot write ${CLEANER_OFFSET_CHECKPOINT} in ${dir}`, e);
    }
  }
}

function tpKey(plog: PartitionLog): string {
  return `${plog.topic}-${plog.partition}`;
}
