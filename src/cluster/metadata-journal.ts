/**
 * The local metadata store's journal: the durable deltas committed since the last snapshot, one
 * JSON line each (`{"epoch":E,"delta":{...}}`, appended and fsynced before the commit is
 * published). Rewriting the whole snapshot per commit made a commit cost the size of the metadata
 * (18 MB and ~0.5 s at 100,000 topics; issue 22 target 6), so creating topics one at a time was
 * O(topics²). Kafka's KRaft broker appends every delta to its metadata log and snapshots now and
 * then; this is that, for one node: the store writes a full snapshot only while the snapshot is
 * small, or once the journal has grown as large as the snapshot (so the bytes written per commit
 * stay proportional to the delta, amortized), and empties the journal after each snapshot.
 * On open, lines whose epoch is not above the snapshot's are skipped (a crash between a snapshot
 * and the journal's truncation leaves such lines), and a torn last line (a crash during an
 * append, which was therefore never acknowledged) is cut off.
 * Samsa deviations: Kafka's log is binary records with CRCs; this is JSON lines. Broker
 * registrations are not journaled (nor snapshotted): a broker registers again when it starts.
 * Older Samsa versions do not read the journal: downgrading a data dir loses the commits made since
 * its last snapshot.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { MetadataDelta } from '../metadata/delta.js';
import { fsyncDir } from '../storage/fs-util.js';

export const METADATA_JOURNAL_FILE = '__samsa_metadata.journal';

/** Below this snapshot size a commit rewrites the snapshot (small metadata stays in one file). */
export const JOURNAL_MIN_SNAPSHOT_BYTES = 1 << 20;

export interface JournalEntry {
  epoch: number;
  delta: MetadataDelta;
}

/** The delta as journaled: without broker registrations, the producer-id block's bigint as a string. */
function encode(epoch: number, delta: MetadataDelta): string {
  const { registeredBrokers: _r, unregisteredBrokers: _u, producerIdBlock, ...rest } = delta;
  const stored: Record<string, unknown> = { ...rest };
  if (producerIdBlock !== undefined) stored['producerIdBlock'] = { ...producerIdBlock, firstProducerId: producerIdBlock.firstProducerId.toString() };
  return `${JSON.stringify({ epoch, delta: stored })}\n`;
}

function decode(line: string): JournalEntry {
  const o = JSON.parse(line) as { epoch?: unknown; delta?: unknown };
  if (typeof o.epoch !== 'number' || !Number.isSafeInteger(o.epoch) || typeof o.delta !== 'object' || o.delta === null) throw new Error('not a journal entry');
  const delta = o.delta as Record<string, unknown>;
  const block = delta['producerIdBlock'] as { firstProducerId?: unknown } | undefined;
  if (block !== undefined) {
    if (typeof block.firstProducerId !== 'string' || !/^\d{1,19}$/.test(block.firstProducerId)) throw new Error('bad producerIdBlock');
    delta['producerIdBlock'] = { ...block, firstProducerId: BigInt(block.firstProducerId) };
  }
  return { epoch: o.epoch, delta: delta as MetadataDelta };
}

export class MetadataJournal {
  readonly path: string;
  /** Bytes of whole entries in the file. */
  private bytes = 0;
  /** An append failed part way: the file may end in a torn line, so the next commit snapshots. */
  private dirty = false;

  constructor(readonly dir: string) {
    this.path = join(dir, METADATA_JOURNAL_FILE);
  }

  get size(): number {
    return this.bytes;
  }

  /** Whether the next durable commit must write a snapshot instead (after a failed append). */
  get needsSnapshot(): boolean {
    return this.dirty;
  }

  /**
   * The entries in the file, in order. A last line that is torn (no newline, or not JSON) is cut
   * off the file; a bad line before the last is corruption and throws.
   */
  read(): JournalEntry[] {
    if (!existsSync(this.path)) return [];
    const text = readFileSync(this.path, 'utf8');
    const entries: JournalEntry[] = [];
    let at = 0;
    while (at < text.length) {
      const end = text.indexOf('\n', at);
      const line = end === -1 ? text.slice(at) : text.slice(at, end);
      let entry: JournalEntry | undefined;
      try {
        entry = end === -1 ? undefined : decode(line);
      } catch (e) {
        if (text.indexOf('\n', end + 1) !== -1) throw new Error(`${this.path}: corrupt entry at byte ${Buffer.byteLength(text.slice(0, at))}: ${(e as Error).message}`);
      }
      if (entry === undefined) {
        this.truncate(Buffer.byteLength(text.slice(0, at)));
        break;
      }
      entries.push(entry);
      at = end + 1;
    }
    this.bytes = Buffer.byteLength(text.slice(0, at));
    return entries;
  }

  /** The length in bytes `append` would add. */
  static entryBytes(epoch: number, delta: MetadataDelta): { line: string; bytes: number } {
    const line = encode(epoch, delta);
    return { line, bytes: Buffer.byteLength(line) };
  }

  /** Appends a line (from entryBytes) and fsyncs it (and the dir when the file is new). Throws when it cannot. */
  append(line: string): void {
    const created = !existsSync(this.path);
    const fd = openSync(this.path, 'a');
    const before = fstatSync(fd).size;
    try {
      writeSync(fd, line);
      fsyncSync(fd);
    } catch (e) {
      try {
        ftruncateSync(fd, before);
      } catch {
        this.dirty = true;
      }
      throw e;
    } finally {
      closeSync(fd);
    }
    if (created) fsyncDir(this.dir);
    this.bytes = before + Buffer.byteLength(line);
  }

  /**
   * Empties the journal after a snapshot made its entries redundant. When that fails the entries
   * stay (harmless: none is above the snapshot's epoch) and the next commit snapshots again.
   */
  reset(): void {
    try {
      if (existsSync(this.path)) this.truncate(0);
    } catch {
      this.dirty = true;
      return;
    }
    this.bytes = 0;
    this.dirty = false;
  }

  private truncate(length: number): void {
    const fd = openSync(this.path, 'r+');
    try {
      ftruncateSync(fd, length);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
