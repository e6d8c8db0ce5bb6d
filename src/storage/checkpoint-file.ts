/**
 * Kafka's checkpoint text format: a version line, an entry-count line, then one entry per line.
 * Written atomically (tmp file, fsync, rename, fsync dir).
 */
import * as fs from 'node:fs';
import { CorruptCheckpointError } from './errors.js';
import { atomicWriteFile } from './fs-util.js';

export interface CheckpointFormatter<T> {
  toLine(entry: T): string;
  /** Parses one line; undefined when malformed. */
  fromLine(line: string): T | undefined;
}

export class CheckpointFile<T> {
  constructor(
    readonly path: string,
    readonly version: number,
    private readonly formatter: CheckpointFormatter<T>,
  ) {}

  /** Serialized file content for `entries`. */
  render(entries: Iterable<T>): string {
    const lines: string[] = [];
    for (const e of entries) lines.push(this.formatter.toLine(e));
    return this.renderLines(lines);
  }

  /** One entry's line (content built a part at a time, sliced-checkpoint.ts). */
  line(entry: T): string {
    return this.formatter.toLine(entry);
  }

  /** Serialized file content of lines from line(). */
  renderLines(lines: readonly string[]): string {
    return `${this.version}\n${lines.length}\n${lines.length > 0 ? `${lines.join('\n')}\n` : ''}`;
  }

  /** Replaces the file atomically; `sync` = false skips the fsyncs (still crash-consistent for a process crash). */
  write(entries: Iterable<T>, sync = true): void {
    atomicWriteFile(this.path, this.render(entries), sync);
  }

  /** Writes pre-rendered content (see render()). */
  writeRendered(content: string, sync = true): void {
    atomicWriteFile(this.path, content, sync);
  }

  /** Entries of the file; [] if it does not exist. Throws CorruptCheckpointError when malformed. */
  read(): T[] {
    let text: string;
    try {
      text = fs.readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const lines = text.split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    const version = parseStrictInt(lines[0]);
    if (version === undefined) throw new CorruptCheckpointError(this.path, 'missing or malformed version line');
    if (version !== this.version) throw new CorruptCheckpointError(this.path, `unsupported version ${version}`);
    const count = parseStrictInt(lines[1]);
    if (count === undefined || count < 0) throw new CorruptCheckpointError(this.path, 'missing or malformed entry count');
    if (lines.length - 2 !== count) throw new CorruptCheckpointError(this.path, `expected ${count} entries, found ${lines.length - 2}`);
    const out: T[] = [];
    for (let i = 2; i < lines.length; i++) {
      const e = this.formatter.fromLine(lines[i] as string);
      if (e === undefined) throw new CorruptCheckpointError(this.path, `malformed line ${i + 1}: ${JSON.stringify(lines[i])}`);
      out.push(e);
    }
    return out;
  }
}

function parseStrictInt(s: string | undefined): number | undefined {
  if (s === undefined || !/^-?\d+$/.test(s.trim())) return undefined;
  const n = Number(s.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

// ------------------------------------------------------------------ offset checkpoints

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

const offsetFormatter: CheckpointFormatter<TopicPartitionOffset> = {
  toLine: (e) => `${e.topic} ${e.partition} ${e.offset}`,
  fromLine: (line) => {
    const parts = line.split(' ');
    if (parts.length !== 3) return undefined;
    const [topic, p, o] = parts as [string, string, string];
    const partition = parseStrictInt(p);
    const offset = parseStrictInt(o);
    if (topic === '' || partition === undefined || offset === undefined) return undefined;
    return { topic, partition, offset };
  },
};

/** recovery-point-offset-checkpoint, replication-offset-checkpoint, log-start-offset-checkpoint. */
export class OffsetCheckpointFile extends CheckpointFile<TopicPartitionOffset> {
  constructor(path: string) {
    super(path, 0, offsetFormatter);
  }

  /** Entries keyed by `<topic>-<partition>`. */
  readMap(): Map<string, number> {
    const m = new Map<string, number>();
    for (const e of this.read()) m.set(`${e.topic}-${e.partition}`, e.offset);
    return m;
  }
}

// ------------------------------------------------------------------ leader epoch checkpoint

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

const epochFormatter: CheckpointFormatter<EpochEntry> = {
  toLine: (e) => `${e.epoch} ${e.startOffset}`,
  fromLine: (line) => {
    const parts = line.split(' ');
    if (parts.length !== 2) return undefined;
    const epoch = parseStrictInt(parts[0]);
    const startOffset = parseStrictInt(parts[1]);
    if (epoch === undefined || startOffset === undefined) return undefined;
    return { epoch, startOffset };
  },
};

export class LeaderEpochCheckpointFile extends CheckpointFile<EpochEntry> {
  constructor(path: string) {
    super(path, 0, epochFormatter);
  }
}
