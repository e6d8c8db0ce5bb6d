/**
 * The group coordinator: owns every classic group this broker coordinates (all of them, since
 * this broker leads every `__consumer_offsets` partition), creates the offsets topic on demand,
 * appends group records to it, replays it on start (answering COORDINATOR_LOAD_IN_PROGRESS for
 * partitions still loading), and expires offsets by retention. The per-API logic lives in
 * join.ts, membership.ts, offsets.ts and admin.ts; handlers call the methods here.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import { log } from '../common/logger.js';
import type { CoordinatorDeps, InternalPartition } from '../coordinator/deps.js';
import { encodeRecordBatch } from '../protocol/records/record.js';
import { ClassicGroup, GroupState } from './group.js';
import { partitionForGroup } from './java-hash.js';
import { loadPartition } from './loader.js';
import { ClassicMember } from './member.js';
import { expiredOffsets } from './offsets.js';
import { rescheduleHeartbeat, shutdownGroup } from './rebalance.js';
import { groupMetadataRecord, groupTombstone, offsetTombstone, type CoordinatorRecord, type DecodedCoordinatorRecord } from './records.js';
import type { GroupCoordinatorSettings, GroupRuntime, GroupSettings } from './runtime.js';
import type { Scheduler, TimerHandle } from './scheduler.js';
import { PendingTxnOffsets } from './txn-offsets.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

export type GroupCoordinatorDeps = CoordinatorDeps<GroupCoordinatorSettings>;

export class GroupCoordinator implements GroupRuntime {
  readonly scheduler: Scheduler;
  readonly settings: GroupSettings;
  /** Offsets sent with TxnOffsetCommit, waiting for their transaction's marker. */
  readonly pendingTxnOffsets = new PendingTxnOffsets();
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly loadingPartitions = new Set<number>();
  private active = true;
  private retentionTimer: TimerHandle | null = null;

  constructor(private readonly deps: GroupCoordinatorDeps, opts: { settings?: Partial<GroupSettings> } = {}) {
    this.scheduler = deps.scheduler;
    this.settings = { ...deps.settings, ...opts.settings };
  }

  /** Replays the existing `__consumer_offsets` partitions and starts the retention checks. */
  start(): void {
    this.deps.metadata.onTopicDeleted((t) => this.onTopicDeleted(t));
    for (const p of this.deps.internal.partitions(OFFSETS_TOPIC)) this.load(p);
    this.scheduleRetention();
  }

  shutdown(): void {
    if (!this.active) return;
    this.active = false;
    this.retentionTimer?.cancel();
    for (const g of this.groups.values()) shutdownGroup(g, ErrorCode.NOT_COORDINATOR);
    this.groups.clear();
  }

  get isActive(): boolean {
    return this.active;
  }

  // ------------------------------------------------------------------------------ placement

  numPartitions(): number {
    return this.deps.metadata.partitionCount(OFFSETS_TOPIC) ?? this.deps.settings.offsetsTopicNumPartitions;
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.numPartitions());
  }

  /** Creates `__consumer_offsets` when it does not exist yet (as Kafka does on the first FindCoordinator). */
  ensureOffsetsTopic(): void {
    if (this.deps.metadata.partitionCount(OFFSETS_TOPIC) !== undefined) return;
    const numPartitions = this.deps.settings.offsetsTopicNumPartitions;
    this.deps.internal.create({
      name: OFFSETS_TOPIC,
      numPartitions,
      configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(this.deps.settings.offsetsTopicSegmentBytes) },
    });
    log.info(`Created internal topic ${OFFSETS_TOPIC} with ${numPartitions} partitions`);
  }

  /** Throws the error a group request gets when this coordinator cannot serve `groupId` right now. */
  checkAvailable(groupId: string): void {
    if (!this.active) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The group coordinator is shutting down');
    if (this.loadingPartitions.size > 0 && this.loadingPartitions.has(this.partitionFor(groupId))) {
      throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `Group ${groupId} is being loaded`);
    }
  }

  /** Whether the partition hosting `groupId` is loaded (for APIs that report the error per group). */
  availability(groupId: string): number {
    try {
      this.checkAvailable(groupId);
      return ErrorCode.NONE;
    } catch (e) {
      return e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR;
    }
  }

  get isLoading(): boolean {
    return this.loadingPartitions.size > 0;
  }

  // ------------------------------------------------------------------------------ groups

  group(groupId: string): ClassicGroup | undefined {
    const g = this.groups.get(groupId);
    return g && !g.is(GroupState.Dead) ? g : undefined;
  }

  getOrCreateGroup(groupId: string): ClassicGroup {
    const existing = this.group(groupId);
    if (existing) return existing;
    this.ensureOffsetsTopic();
    const g = new ClassicGroup(groupId, this.scheduler.now());
    this.groups.set(groupId, g);
    return g;
  }

  allGroups(): ClassicGroup[] {
    return [...this.groups.values()].filter((g) => !g.is(GroupState.Dead));
  }

  /** Marks a group Dead and forgets it (after DeleteGroups or retention emptied it). */
  removeGroup(group: ClassicGroup): void {
    shutdownGroup(group, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    group.transitionTo(GroupState.Dead, this.scheduler.now());
    if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId);
  }

  // ------------------------------------------------------------------------------ log

  private offsetsPartition(groupId: string): number {
    this.ensureOffsetsTopic();
    const index = this.partitionFor(groupId);
    if (!this.deps.internal.partition(OFFSETS_TOPIC, index)) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `No ${OFFSETS_TOPIC} partition for group ${groupId}`);
    return index;
  }

  append(groupId: string, records: readonly CoordinatorRecord[]): void {
    if (!this.active) throw new KafkaError(ErrorCode.NOT_COORDINATOR, 'The group coordinator is shutting down');
    if (records.length === 0) return;
    const now = BigInt(this.scheduler.now());
    const batch = encodeRecordBatch({ baseTimestamp: now, records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })) });
    this.deps.writer.append(OFFSETS_TOPIC, this.offsetsPartition(groupId), batch);
  }

  /** Appends `records` as a transactional batch of the producer (TxnOffsetCommit); throws KafkaError. */
  appendTransactional(groupId: string, producerId: bigint, producerEpoch: number, records: readonly CoordinatorRecord[]): void {
    if (!this.active) throw new KafkaError(ErrorCode.NOT_COORDINATOR, 'The group coordinator is shutting down');
    const now = BigInt(this.scheduler.now());
    const batch = encodeRecordBatch({
      producerId,
      producerEpoch,
      baseSequence: -1,
      isTransactional: true,
      baseTimestamp: now,
      records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })),
    });
    this.deps.writer.append(OFFSETS_TOPIC, this.offsetsPartition(groupId), batch);
  }

  /** Whether this broker hosts `topic`-`partition` (offsets are only committed for those). */
  hasPartition(topic: string, partition: number): boolean {
    return this.deps.metadata.hasPartition(topic, partition);
  }

  /**
   * A COMMIT/ABORT marker reached `__consumer_offsets`-`partition`: the producer's pending
   * transactional offsets become committed (or are dropped). A partition still loading replays
   * the marker from its log instead.
   */
  onTransactionMarker(partition: number, producerId: bigint, commit: boolean): void {
    if (this.loadingPartitions.has(partition)) return;
    const entries = this.pendingTxnOffsets.take(partition, producerId);
    if (!commit) return;
    for (const e of entries) this.getOrCreateGroup(e.groupId).setOffset(e.topic, e.partition, e.value);
  }

  private load(p: InternalPartition): void {
    this.loadingPartitions.add(p.index);
    const loaded = new Set<ClassicGroup>();
    const target = { replay: (d: DecodedCoordinatorRecord) => this.replay(d, loaded) };
    loadPartition(
      p,
      target,
      (err, stats) => {
        this.loadingPartitions.delete(p.index);
        if (err) {
          log.error(`Loading ${OFFSETS_TOPIC}-${p.index} failed after ${stats.records} records`, err);
          return;
        }
        let open = 0;
        for (const [producerId, records] of stats.openTransactions) {
          for (const d of records) {
            if (d.type !== 'offset' || d.value === null) continue;
            this.pendingTxnOffsets.add(p.index, producerId, [{ groupId: d.group, topic: d.topic, partition: d.partition, value: d.value }]);
            open++;
          }
        }
        if (open > 0) log.info(`Recovered ${open} offsets of open transactions in ${OFFSETS_TOPIC}-${p.index}`);
        for (const g of loaded) this.onGroupLoaded(g);
        // Offsets are only committed for existing topics: any left for a missing topic belong to
        // one deleted while this partition was loading, or just before a crash.
        this.removeOffsetsOf([...loaded], (topic) => this.deps.metadata.partitionCount(topic) === undefined, 'of deleted topics');
        if (stats.records > 0) log.info(`Loaded ${stats.records} records (${stats.bytes} bytes) from ${OFFSETS_TOPIC}-${p.index} in ${stats.ms.toFixed(0)} ms: ${loaded.size} groups`);
      },
      () => !this.active,
    );
  }

  private replay(d: DecodedCoordinatorRecord, loaded: Set<ClassicGroup>): void {
    if (d.type === 'other') return;
    if (d.type === 'offset') {
      if (d.value === null) {
        this.groups.get(d.group)?.deleteOffset(d.topic, d.partition);
        return;
      }
      let g = this.groups.get(d.group);
      if (!g) {
        g = new ClassicGroup(d.group, null);
        this.groups.set(d.group, g);
      }
      g.setOffset(d.topic, d.partition, d.value);
      loaded.add(g);
      return;
    }
    const prior = this.groups.get(d.group);
    if (d.value === null) {
      // Offsets of a deleted group were tombstoned first; any left form a simple group.
      if (prior) loaded.delete(prior);
      this.groups.delete(d.group);
      if (prior && prior.hasOffsets()) {
        const g = new ClassicGroup(d.group, null);
        for (const [topic, parts] of prior.offsets) for (const [partition, o] of parts) g.setOffset(topic, partition, o);
        this.groups.set(d.group, g);
        loaded.add(g);
      }
      return;
    }
    const v = d.value;
    const g = new ClassicGroup(d.group, v.currentStateTimestamp >= 0n ? Number(v.currentStateTimestamp) : null);
    if (prior) for (const [topic, parts] of prior.offsets) for (const [partition, o] of parts) g.setOffset(topic, partition, o);
    g.protocolType = v.protocolType === '' ? null : v.protocolType;
    g.generationId = v.generation;
    g.protocolName = v.protocol;
    const now = this.scheduler.now();
    for (const m of v.members) {
      const member = new ClassicMember(m.memberId, m.groupInstanceId, m.clientId, m.clientHost, m.rebalanceTimeout, m.sessionTimeout, g.protocolType ?? '', [{ name: v.protocol ?? '', metadata: m.subscription }], now);
      member.assignment = m.assignment;
      g.add(member);
    }
    g.leaderId = v.leader;
    g.state = v.members.length > 0 ? GroupState.Stable : GroupState.Empty;
    if (prior) loaded.delete(prior);
    this.groups.set(d.group, g);
    loaded.add(g);
  }

  /** Kafka's onLoaded: loaded members must heartbeat within their session timeout or they are removed. */
  private onGroupLoaded(g: ClassicGroup): void {
    if (this.groups.get(g.groupId) !== g) return;
    for (const m of g.members.values()) rescheduleHeartbeat(this, g, m);
    if (g.size > 0) log.info(`Loaded group ${g.groupId} generation ${g.generationId} in state ${g.state} with ${g.size} members`);
  }

  // ------------------------------------------------------------------------------ retention

  private scheduleRetention(): void {
    if (!this.active) return;
    const interval = this.deps.settings.offsetsRetentionCheckIntervalMs;
    this.retentionTimer = this.scheduler.schedule(interval, () => {
      try {
        this.cleanupGroupMetadata();
      } catch (e) {
        log.error('Offset retention check failed', e);
      }
      this.scheduleRetention();
    });
  }

  /** Expires offsets past retention and removes Empty groups left without offsets. Returns how many offsets expired. */
  cleanupGroupMetadata(): number {
    let expired = 0;
    const now = this.scheduler.now();
    for (const g of this.allGroups()) {
      if (this.availability(g.groupId) !== ErrorCode.NONE) continue;
      const gone = expiredOffsets(g, now, this.settings.offsetsRetentionMs);
      const records: CoordinatorRecord[] = gone.map((o) => offsetTombstone(g.groupId, o.topic, o.partition));
      const removeGroup = g.is(GroupState.Empty) && countOffsets(g) === gone.length && g.pendingMembers.size === 0;
      if (removeGroup) records.push(groupTombstone(g.groupId));
      if (records.length === 0) continue;
      try {
        this.append(g.groupId, records);
      } catch (e) {
        log.warn(`Could not expire offsets of group ${g.groupId}: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      for (const o of gone) g.deleteOffset(o.topic, o.partition);
      expired += gone.length;
      if (gone.length > 0) log.info(`Removed ${gone.length} expired offsets of group ${g.groupId}`);
      if (removeGroup) {
        this.removeGroup(g);
        log.info(`Group ${g.groupId} transitioned to Dead and was removed (no members, no offsets)`);
      }
    }
    return expired;
  }

  // ------------------------------------------------------------------------------ deleted topics

  /**
   * Kafka's onPartitionsDeleted: a deleted topic's committed offsets are tombstoned in every
   * group (so a re-created topic of the same name starts without them, also after a restart);
   * an Empty group left without offsets is removed.
   */
  onTopicDeleted(topic: string): void {
    if (!this.active) return;
    this.removeOffsetsOf(this.allGroups(), (t) => t === topic, `of deleted topic ${topic}`);
  }

  private removeOffsetsOf(groups: readonly ClassicGroup[], doomed: (topic: string) => boolean, why: string): void {
    for (const g of groups) {
      if (this.groups.get(g.groupId) !== g) continue;
      const gone: { topic: string; partition: number }[] = [];
      for (const [topic, parts] of g.offsets) if (doomed(topic)) for (const partition of parts.keys()) gone.push({ topic, partition });
      if (gone.length === 0) continue;
      const records: CoordinatorRecord[] = gone.map((o) => offsetTombstone(g.groupId, o.topic, o.partition));
      const removeGroup = g.is(GroupState.Empty) && countOffsets(g) === gone.length && g.pendingMembers.size === 0;
      if (removeGroup) records.push(groupTombstone(g.groupId));
      try {
        this.append(g.groupId, records);
      } catch (e) {
        // The offsets are dropped from memory anyway; at the next load they are dropped again.
        log.warn(`Could not write offset tombstones for group ${g.groupId}: ${e instanceof Error ? e.message : String(e)}`);
      }
      for (const o of gone) g.deleteOffset(o.topic, o.partition);
      log.info(`Removed ${gone.length} committed offsets ${why} from group ${g.groupId}`);
      if (removeGroup) this.removeGroup(g);
    }
  }

  /** Persists the group's current metadata (used where no state change writes it otherwise). */
  writeGroupMetadata(g: ClassicGroup): void {
    this.append(g.groupId, [groupMetadataRecord(g.groupId, g.toRecordValue(this.scheduler.now()))]);
  }
}

function countOffsets(g: ClassicGroup): number {
  let n = 0;
  for (const m of g.offsets.values()) n += m.size;
  return n;
}
