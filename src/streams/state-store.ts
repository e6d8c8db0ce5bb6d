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
 * written on flush and close. A windowed store (a RetentionSpec) forgets its expired entries
 * (window-retention.ts): they leave the cache and LMDB without a changelog tombstone, and a restore
 * skips them. Samsa's deviations: LMDB instead of RocksDB; keys are ordered by their serialized
 * bytes only in all() (no range queries yet); a window that expires while still in the write
 * cache is not sent to the changelog (Kafka's cache would log it, and its segments then drop it).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import type { RecordToProduce } from '../client/record-producer.js';
import type { UntypedSerde } from './serdes.js';
import { WindowRetention, type RetentionSpec } from './window-retention.js';

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
    retention?: RetentionSpec,
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
    if (retention) {
      const r = (this.retention = new WindowRetention(retention));
      // One scan at open: index the entries the checkpointed database holds.
      for (const { key, value } of this.db.getRange({})) {
        const k = Buffer.from(key);
        const time = retention.timeOf(k, () => this.valueSerde.deserialize(Buffer.from(value)));
        r.observe(time);
        r.track(k.toString('latin1'), k, time);
      }
      this.expire();
    }
  }

  /** A windowed store's retention (null: a key-value store, nothing expires). */
  private readonly retention: WindowRetention | null = null;
  /** Expired entries still in LMDB, removed at the next flush (get() and all() no longer see them). */
  private readonly purging = new Map<string, Buffer>();

  /** Moves the entries that expired out of the cache and into `purging` (no changelog tombstone, as Kafka). */
  private expire(): void {
    if (this.retention === null) return;
    for (const key of this.retention.takeExpired()) {
      const id = key.toString('latin1');
      this.dirty.delete(id);
      this.purging.set(id, key);
    }
  }

  /** The number of entries a windowed store holds (its retention index), for tests and metrics. */
  get liveEntries(): number | undefined {
    return this.retention?.size;
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
    if (this.purging.has(id)) return undefined;
    const d = this.dirty.get(id) ?? this.flushingCache.get(id);
    if (d) return d.value === null ? undefined : d.value;
    const v = this.db.getBinary(bytes);
    return v === undefined ? undefined : this.valueSerde.deserialize(v);
  }

  put(key: unknown, value: unknown): void {
    const { bytes, id } = this.keyOf(key);
    if (bytes === null) throw new Error(`store ${this.name}: null keys are not allowed`);
    const v = value === undefined ? null : value;
    const r = this.retention;
    if (r !== null) {
      if (v === null) r.track(id, bytes, null);
      else {
        const time = r.spec.timeOf(bytes, () => v);
        r.observe(time);
        if (r.isExpired(time)) return; // a write of an expired window is dropped (Kafka: "Skipping record for expired segment")
        r.track(id, bytes, time);
      }
    }
    this.dirty.set(id, { key: bytes, value: v });
    if (r !== null) this.expire();
  }

  delete(key: unknown): void {
    this.put(key, null);
  }

  all(): { key: unknown; value: unknown }[] {
    const merged = new Map<string, { key: Buffer; value: Buffer | null }>();
    for (const { key, value } of this.db.getRange({})) merged.set(Buffer.from(key).toString('latin1'), { key: Buffer.from(key), value: Buffer.from(value) });
    for (const [s, e] of [...this.flushingCache, ...this.dirty]) merged.set(s, { key: e.key, value: this.serializeValue(e.value) });
    for (const id of this.purging.keys()) merged.delete(id);
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
      const ret = this.retention;
      for (const r of records) {
        if (r.key === null) continue;
        if (ret !== null) {
          // Kafka's restore of a segmented store skips the records of expired segments.
          const value = r.value;
          const time = value === null ? null : ret.spec.timeOf(r.key, () => this.valueSerde.deserialize(value));
          if (time !== null) {
            ret.observe(time);
            if (ret.isExpired(time)) continue;
          }
          ret.track(r.key.toString('latin1'), r.key, time);
        }
        if (r.value === null) this.db.removeSync(r.key);
        else this.db.putSync(r.key, r.value);
      }
      if (ret !== null) for (const key of ret.takeExpired()) this.db.removeSync(key);
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
    const purge = [...this.purging];
    if (entries.length > 0 || purge.length > 0) {
      await this.db.transaction(() => {
        for (const e of entries) {
          if (e.value === null) this.db.removeSync(e.key);
          else this.db.putSync(e.key, e.value);
        }
        for (const [, key] of purge) this.db.removeSync(key);
      });
    }
    // (Entries that expired during the transaction stay for the next flush.)
    for (const [id] of purge) this.purging.delete(id);
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
