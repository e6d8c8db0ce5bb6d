/**
 * A persistent key-value state store: a write cache in front of an embedded LMDB database, and
 * the store's changelog partition (`<application.id>-<store>-changelog`, compacted; partition =
 * the task's partition). Writes go to the cache (values kept as put, serialized when flushed);
 * flush() sends the cache's latest value of each key to the changelog, writes them to LMDB and records the changelog offset reached in a
 * checkpoint file beside the database.
 *
 * Kafka's rules kept (RocksDB store + caching + changelogging): a null value deletes the key and
 * is logged as a tombstone; the changelog only receives the latest value per key between flushes
 * (as with Kafka's record cache); on start a store is brought up to date by reading its changelog
 * partition from the checkpointed offset (from the beginning, after wiping the local copy, when
 * there is no checkpoint) to its end; the checkpoint is removed while the store is open and
 * written on flush and close. Samsa's deviations: LMDB instead of RocksDB; keys are ordered by
 * their serialized bytes only in all() (no range queries yet).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import type { RecordToProduce } from '../client/record-producer.js';
import type { UntypedSerde } from './serdes.js';

export interface KeyValueStore<K, V> {
  readonly name: string;
  get(key: K): V | undefined;
  put(key: K, value: V | null): void;
  delete(key: K): void;
  /** Every entry, in the order of the serialized keys. */
  all(): { key: K; value: V }[];
}

/** The changelog writes of one flush, and where the checkpoint goes once they are written. */
export interface ChangelogBatch {
  topic: string;
  partition: number;
  records: RecordToProduce[];
}

/** A cached write: the serialized key and the value as put (serialized when flushed); null deletes. */
interface CachedWrite {
  key: Buffer;
  value: unknown;
}

export class PersistentStore implements KeyValueStore<unknown, unknown> {
  private readonly db: RootDatabase<Buffer, Buffer>;
  private dirty = new Map<string, CachedWrite>();
  private readonly checkpointFile: string;
  /** The last key serialized (a get() followed by a put() of the same key serializes it once). */
  private lastKey: unknown = undefined;
  private lastKeyBytes: Buffer | null = null;
  private lastKeyId = '';
  /** The changelog offset the database reflects (next offset to read on restore). */
  changelogOffset: bigint;
  readonly hadCheckpoint: boolean;

  constructor(
    readonly name: string,
    dir: string,
    readonly changelogTopic: string | null,
    readonly partition: number,
    private readonly keySerde: UntypedSerde,
    private readonly valueSerde: UntypedSerde,
  ) {
    mkdirSync(dir, { recursive: true });
    this.checkpointFile = join(dir, `${name}.checkpoint`);
    const path = join(dir, `${name}.mdb`);
    const checkpoint = readCheckpoint(this.checkpointFile);
    this.hadCheckpoint = checkpoint !== null;
    if (checkpoint === null) {
      rmSync(path, { force: true });
      rmSync(`${path}-lock`, { force: true });
    }
    this.changelogOffset = checkpoint ?? 0n;
    rmSync(this.checkpointFile, { force: true });
    this.db = open<Buffer, Buffer>({ path, keyEncoding: 'binary', encoding: 'binary', noSubdir: true });
  }

  /** The serialized key and its cache id (primitive keys repeated back to back are serialized once). */
  private keyOf(key: unknown): { bytes: Buffer | null; id: string } {
    if (key === this.lastKey && (typeof key === 'string' || typeof key === 'number' || typeof key === 'bigint')) return { bytes: this.lastKeyBytes, id: this.lastKeyId };
    const bytes = this.keySerde.serialize(key);
    const id = bytes === null ? '' : bytes.toString('latin1');
    this.lastKey = key;
    this.lastKeyBytes = bytes;
    this.lastKeyId = id;
    return { bytes, id };
  }

  get(key: unknown): unknown {
    const { bytes, id } = this.keyOf(key);
    if (bytes === null) return undefined;
    const d = this.dirty.get(id) ?? this.flushingCache.get(id);
    if (d) return d.value === null ? undefined : d.value;
    const v = this.db.getBinary(bytes);
    return v === undefined ? undefined : this.valueSerde.deserialize(v);
  }

  put(key: unknown, value: unknown): void {
    const { bytes, id } = this.keyOf(key);
    if (bytes === null) throw new Error(`store ${this.name}: null keys are not allowed`);
    this.dirty.set(id, { key: bytes, value: value === undefined ? null : value });
  }

  delete(key: unknown): void {
    this.put(key, null);
  }

  all(): { key: unknown; value: unknown }[] {
    const merged = new Map<string, { key: Buffer; value: Buffer | null }>();
    for (const { key, value } of this.db.getRange({})) merged.set(Buffer.from(key).toString('latin1'), { key: Buffer.from(key), value: Buffer.from(value) });
    for (const [s, e] of [...this.flushingCache, ...this.dirty]) merged.set(s, { key: e.key, value: this.serializeValue(e.value) });
    return [...merged.values()]
      .filter((e) => e.value !== null)
      .sort((a, b) => Buffer.compare(a.key, b.key))
      .map((e) => ({ key: this.keySerde.deserialize(e.key), value: this.valueSerde.deserialize(e.value) }));
  }

  private serializeValue(v: unknown): Buffer | null {
    return v === null ? null : this.valueSerde.serialize(v);
  }

  /** A restored changelog record (no logging). */
  restore(key: Buffer | null, value: Buffer | null, offset: bigint): void {
    this.restoreBatch([{ key, value, offset }]);
  }

  /** Restored changelog records (no logging), written to LMDB in one transaction. */
  restoreBatch(records: readonly { key: Buffer | null; value: Buffer | null; offset: bigint }[]): void {
    if (records.length === 0) return;
    this.db.transactionSync(() => {
      for (const r of records) {
        if (r.key === null) continue;
        if (r.value === null) this.db.removeSync(r.key);
        else this.db.putSync(r.key, r.value);
      }
    });
    this.changelogOffset = (records[records.length - 1] as { offset: bigint }).offset + 1n;
  }

  /**
   * The cached writes, serialized, as changelog records (to be produced before flush()); the
   * cache moves to the flush in progress, so writes made meanwhile belong to the next one.
   */
  pending(): ChangelogBatch | null {
    if (this.dirty.size === 0) return null;
    const entries: { key: Buffer; value: Buffer | null }[] = [];
    for (const e of this.dirty.values()) entries.push({ key: e.key, value: this.serializeValue(e.value) });
    this.flushing = entries;
    this.flushingCache = this.dirty;
    this.dirty = new Map();
    if (this.changelogTopic === null) return null;
    return { topic: this.changelogTopic, partition: this.partition, records: entries.map((e) => ({ partition: this.partition, key: e.key, value: e.value })) };
  }

  private flushing: { key: Buffer; value: Buffer | null }[] = [];
  /** The writes being flushed, still read by get() until they are in LMDB. */
  private flushingCache = new Map<string, CachedWrite>();

  /** Writes the entries taken by pending() to LMDB (after their changelog records were written up to `changelogEnd`). */
  async flush(changelogEnd: bigint | null): Promise<void> {
    if (this.dirty.size > 0 && this.flushing.length === 0) this.pending();
    const entries = this.flushing;
    this.flushing = [];
    if (entries.length > 0) {
      await this.db.transaction(() => {
        for (const e of entries) {
          if (e.value === null) this.db.removeSync(e.key);
          else this.db.putSync(e.key, e.value);
        }
      });
    }
    this.flushingCache = new Map();
    if (changelogEnd !== null) this.changelogOffset = changelogEnd;
  }

  writeCheckpoint(): void {
    const tmp = `${this.checkpointFile}.tmp`;
    writeFileSync(tmp, `${this.changelogOffset}\n`);
    renameSync(tmp, this.checkpointFile);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

function readCheckpoint(file: string): bigint | null {
  if (!existsSync(file)) return null;
  const text = readFileSync(file, 'utf8').trim();
  return /^\d+$/.test(text) ? BigInt(text) : null;
}
