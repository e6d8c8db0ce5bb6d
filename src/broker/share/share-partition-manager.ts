/**
 * The partition-leader side of share groups (Kafka's SharePartitionManager): the share-partitions
 * of every group on this broker's led partitions, their acquisition-lock timers, the share
 * sessions, and the persistence of each share-partition's state (share-state-store.ts).
 *
 * Kafka's rules: a share-partition is initialised on its group's first ShareFetch from its
 * persisted state, else at the start `share.auto.offset.reset` names (latest: the high
 * watermark, the default; earliest: the log start), and that initial state is persisted
 * (InitializeShareGroupState) before records are delivered. A deleted share group's
 * share-partitions are forgotten here, and a write of one still cached elsewhere is refused by
 * its share coordinator (FENCED_STATE_EPOCH: no state), so it is read again, never resurrected. Acknowledgements are answered once the new state is persisted. A lock
 * expiry or a closed share session makes the records available again (persisted too).
 * An acquisition is persisted before its records are returned (acquired records as Available
 * with their raised delivery count), so records in flight at a crash come back with their count
 * and `group.share.delivery.count.limit` still applies across crashes.
 * A state write that fails drops the in-memory share-partition, which is read again on its next
 * use (what a failed write changed is either durable or undone, never half of each).
 * A ShareFetch that acquires nothing waits up to its max wait for new records (or released ones).
 * A share-partition belongs to one leader epoch: after a leadership change it is read again from
 * the persisted state at its share coordinator (share-persister.ts: its acquisitions are
 * forgotten, so those records are delivered again, with their delivery counts); reads and writes
 * carry the leader epoch, so a deposed leader's late writes are fenced (FENCED_LEADER_EPOCH).
 *
 * Samsa's deviation: `share.auto.offset.reset` is a broker-wide setting
 * (`group.share.auto.offset.reset`), not a per-group config.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { Logger } from '../../common/logger.js';
import type { Scheduler } from '../../common/scheduler.js';
import type { Partition } from '../partition.js';
import { SharePartition, type Acquisition, type SharePartitionSettings } from './share-partition.js';
import { partitionKey, ShareSessions } from './share-sessions.js';
import type { SharePersister } from './share-persister.js';
import type { ShareStateKey, ShareStateStore } from './share-state-store.js';

export interface ShareManagerSettings extends SharePartitionSettings {
  autoOffsetReset: 'latest' | 'earliest';
}

export interface ShareManagerDeps {
  partition(topic: string, index: number): Partition | undefined;
  topicName(topicId: string): string | undefined;
  readonly store: ShareStateStore;
  /** Reads and writes share-partition state at its share coordinator (share-persister.ts). */
  readonly persister: SharePersister;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  settings(): ShareManagerSettings;
}

export interface AckBatch {
  firstOffset: bigint;
  lastOffset: bigint;
  acknowledgeTypes: readonly number[];
}

export interface PartitionFetch {
  errorCode: number;
  errorMessage: string | null;
  acquisition: Acquisition | null;
  leaderEpoch: number;
}

export class SharePartitionManager {
  readonly sessions = new ShareSessions();
  private readonly partitions = new Map<string, SharePartition>();
  /** The leader epoch each share-partition was read at (its writes carry it; a later epoch reads the state again). */
  private readonly readAt = new WeakMap<SharePartition, number>();
  /** Share-partitions replaced (a leadership change, a failed write): requests still holding one write nothing more. */
  private readonly retired = new WeakSet<SharePartition>();
  private readonly initializing = new Map<string, Promise<SharePartition>>();
  /** ShareFetches waiting for records (woken by released records). */
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(private readonly deps: ShareManagerDeps) {}

  close(): void {
    this.closed = true;
    this.sessions.clear();
    for (const w of [...this.waiters]) w();
  }

  /** A topic was deleted: its share-partitions are dropped and their persisted state tombstoned. */
  onTopicDeleted(topicId: string): void {
    for (const id of [...this.partitions.keys()]) {
      if (!id.includes(`\u0000${topicId}:`)) continue;
      this.retire(id);
    }
    this.deps.store.forgetTopic(topicId).catch((e: unknown) => this.deps.logger.warn(`removing the share state of deleted topic ${topicId} failed: ${String(e)}`));
  }

  /** A share group was deleted: its share-partitions here are forgotten (their state is deleted at the share coordinators). */
  forgetGroup(groupId: string): void {
    for (const id of [...this.partitions.keys()]) if (id.startsWith(`${groupId}\u0000`)) this.retire(id);
  }

  /** The share-partition, if initialised (tests, describe). */
  peek(groupId: string, topicId: string, partition: number): SharePartition | undefined {
    return this.partitions.get(this.id({ groupId, topicId, partition }));
  }

  /** The led partition behind `topicId`-`index`; throws the per-partition error when it is not here. */
  leader(topicId: string, index: number): Partition {
    const name = this.deps.topicName(topicId);
    if (name === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, `Unknown topic id ${topicId}`);
    const p = this.deps.partition(name, index);
    if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `No partition ${name}-${index} on this broker`);
    if (!p.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `This broker is not the leader of ${name}-${index}`);
    return p;
  }

  /** Applies a member's acknowledgements to one share-partition; resolves once persisted. */
  async acknowledge(groupId: string, memberId: string, topicId: string, index: number, batches: readonly AckBatch[]): Promise<void> {
    const p = this.leader(topicId, index);
    const key = { groupId, topicId, partition: index };
    const sp = await this.get(key, p);
    let released = false;
    for (const b of batches) {
      sp.acknowledge(memberId, Number(b.firstOffset), Number(b.lastOffset), b.acknowledgeTypes);
      if (b.acknowledgeTypes.includes(2)) released = true;
    }
    await this.persist(key, sp, p);
    if (released) this.wake();
  }

  /** Applies acknowledgements to several share-partitions: the error code (and message) of each, by "topicId:partition". */
  async acknowledgeAll(groupId: string, memberId: string, items: readonly { topicId: string; partition: number; batches: readonly AckBatch[] }[]): Promise<Map<string, { code: number; message: string | null }>> {
    const out = new Map<string, { code: number; message: string | null }>();
    await Promise.all(
      items.map(async (it) => {
        const pk = partitionKey(it.topicId, it.partition);
        try {
          await this.acknowledge(groupId, memberId, it.topicId, it.partition, it.batches);
          out.set(pk, { code: ErrorCode.NONE, message: null });
        } catch (e) {
          const f = this.failed(e);
          out.set(pk, { code: f.errorCode, message: f.errorMessage });
        }
      }),
    );
    return out;
  }

  /** Acquires records of one share-partition for `memberId`; never throws (the error is in the result). */
  async acquire(groupId: string, memberId: string, topicId: string, index: number, maxBytes: number): Promise<PartitionFetch> {
    let p: Partition;
    try {
      p = this.leader(topicId, index);
    } catch (e) {
      return this.failed(e);
    }
    try {
      const key = { groupId, topicId, partition: index };
      const sp = await this.get(key, p);
      const before = sp.changes;
      const acquisition = sp.acquire(
        memberId,
        {
          logStartOffset: p.logStartOffset,
          highWatermark: p.highWatermark,
          read: (offset, max) => p.log.read(offset, max, p.highWatermark, true).records,
        },
        maxBytes,
      );
      if (acquisition.lockId > 0) this.scheduleExpiry(key, sp, p, acquisition.lockId);
      if (sp.changes !== before) await this.persist(key, sp, p);
      return { errorCode: ErrorCode.NONE, errorMessage: null, acquisition, leaderEpoch: p.leaderEpoch };
    } catch (e) {
      return { ...this.failed(e), leaderEpoch: p.leaderEpoch };
    }
  }

  /** The member's share session closed: releases what it holds on the session's partitions. */
  async releaseSession(groupId: string, memberId: string, partitions: Iterable<string>): Promise<void> {
    for (const pk of partitions) {
      const sep = pk.lastIndexOf(':');
      const key = { groupId, topicId: pk.slice(0, sep), partition: Number(pk.slice(sep + 1)) };
      const sp = this.partitions.get(this.id(key));
      if (sp === undefined || sp.releaseMember(memberId) === 0) continue;
      const name = this.deps.topicName(key.topicId);
      const p = name === undefined ? undefined : this.deps.partition(name, key.partition);
      if (p !== undefined) await this.persist(key, sp, p).catch((e: unknown) => this.deps.logger.warn(`persisting released records of ${this.id(key)} failed: ${String(e)}`));
    }
    this.wake();
  }

  /** Resolves after `maxWaitMs`, or sooner when records are appended to one of `parts` or released. */
  waitForRecords(parts: readonly Partition[], maxWaitMs: number): Promise<void> {
    if (this.closed || maxWaitMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const offs: (() => void)[] = [];
      let timer: { cancel(): void } | null = null;
      const done = (): void => {
        for (const off of offs) off();
        timer?.cancel();
        this.waiters.delete(done);
        resolve();
      };
      for (const p of parts) offs.push(p.onAppend(done));
      this.waiters.add(done);
      timer = this.deps.scheduler.schedule(maxWaitMs, done);
    });
  }

  // ------------------------------------------------------------------------------ internals

  private id(key: ShareStateKey): string {
    return `${key.groupId}\u0000${partitionKey(key.topicId, key.partition)}`;
  }

  private failed(e: unknown): PartitionFetch {
    if (e instanceof KafkaError) return { errorCode: e.code, errorMessage: e.message, acquisition: null, leaderEpoch: -1 };
    this.deps.logger.error('share fetch failed', e);
    return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null, acquisition: null, leaderEpoch: -1 };
  }

  /** The share-partition, initialised (and its initial state persisted) on first use. */
  private get(key: ShareStateKey, p: Partition): Promise<SharePartition> {
    const id = this.id(key);
    const existing = this.partitions.get(id);
    if (existing !== undefined && this.readAt.get(existing) === p.leaderEpoch) return Promise.resolve(existing);
    // Leadership moved away and back: what another leader persisted meanwhile is the state.
    if (existing !== undefined) this.retire(id);
    let pending = this.initializing.get(id);
    if (pending === undefined) {
      pending = this.initialize(key, p).finally(() => this.initializing.delete(id));
      this.initializing.set(id, pending);
    }
    return pending;
  }

  private async initialize(key: ShareStateKey, p: Partition): Promise<SharePartition> {
    const settings = this.deps.settings();
    const epoch = p.leaderEpoch;
    let persisted = await this.deps.persister.read(key, epoch);
    const start = settings.autoOffsetReset === 'earliest' ? p.logStartOffset : p.highWatermark;
    if (persisted === undefined) {
      try {
        await this.deps.persister.initialize(key, 0, start);
      } catch (e) {
        // Initialised meanwhile (by a leader of another epoch): its state is the state.
        if (!(e instanceof KafkaError) || e.code !== ErrorCode.FENCED_STATE_EPOCH) throw e;
        persisted = await this.deps.persister.read(key, epoch);
      }
    }
    const sp = new SharePartition(settings, persisted ?? { startOffset: start, batches: [] });
    this.readAt.set(sp, epoch);
    this.partitions.set(this.id(key), sp);
    this.deps.logger.debug(`share-partition ${key.groupId} ${p.topic}-${key.partition} initialised at ${sp.startOffset}${persisted ? ' (persisted state)' : ''}`);
    return sp;
  }

  /**
   * Persists the share-partition's state. When the write fails, the in-memory state (which may
   * hold the change the caller is told failed) is dropped: the next request reads the durable
   * state again (Kafka rolls the change back instead).
   */
  private persist(key: ShareStateKey, sp: SharePartition, p: Partition): Promise<void> {
    if (this.retired.has(sp)) return Promise.reject(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `The state of share-partition ${key.groupId} ${p.topic}-${key.partition} is being read again`));
    return this.deps.persister.write(key, () => sp.persisted(), this.readAt.get(sp) ?? p.leaderEpoch).catch((e: unknown) => {
      const id = this.id(key);
      if (this.partitions.get(id) === sp) {
        this.retire(id);
        this.deps.logger.warn(`persisting the state of share-partition ${key.groupId} ${p.topic}-${key.partition} failed (${e instanceof Error ? e.message : String(e)}): it will be read again from its share coordinator`);
      }
      throw e;
    });
  }

  /** Forgets the share-partition `id` (read again on its next use); requests still holding it write nothing more. */
  private retire(id: string): void {
    const sp = this.partitions.get(id);
    if (sp !== undefined) this.retired.add(sp);
    this.partitions.delete(id);
  }

  private scheduleExpiry(key: ShareStateKey, sp: SharePartition, p: Partition, lockId: number): void {
    this.deps.scheduler.schedule(this.deps.settings().lockDurationMs, () => {
      if (this.closed || this.partitions.get(this.id(key)) !== sp) return;
      if (sp.expireLock(lockId) === 0) return;
      this.persist(key, sp, p).catch((e: unknown) => this.deps.logger.warn(`persisting expired locks of ${this.id(key)} failed: ${String(e)}`));
      this.wake();
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
