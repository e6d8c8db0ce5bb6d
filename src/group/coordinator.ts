/**
 * The group coordinator: owns every group this broker coordinates (all of them, since this
 * broker leads every `__consumer_offsets` partition) in one map typed by the `Group` union
 * (groups.ts; classic groups only today) and their committed offsets in an OffsetStore keyed by
 * group id (offset-store.ts), creates the offsets topic on demand, and is the shard its
 * partitions' records are replayed into (Kafka's GroupCoordinatorShard).
 *
 * Writes go through a CoordinatorRuntime (coordinator/runtime.ts): an operation returns its
 * records and response, the runtime appends them, and `replay` applies them once committed.
 * `replay` is the only way committed offsets (OffsetCommit, TxnOffsetCommit on its COMMIT
 * marker, OffsetDelete, retention, deleted topics), assignments (SyncGroup) and group removal
 * (DeleteGroups, retention) change, and loading a partition at start-up is replay of its log
 * (answering COORDINATOR_LOAD_IN_PROGRESS meanwhile). As in Kafka's classic groups, membership
 * itself (members joining, leaving, expiring; generations; heartbeats and pending JoinGroup /
 * SyncGroup answers) is in-memory bookkeeping: the GroupMetadata record is a snapshot of it
 * written at generation boundaries, and a live group is not rebuilt from it.
 * A committed offset of a group id with no group yet (a simple consumer's commit, replayed or
 * loaded) creates an Empty classic group for it, as Kafka does, so it is listed and described.
 * The per-API logic lives in join.ts, membership.ts, offsets.ts and admin.ts; the replay of
 * committed records in coordinator-replay.ts. Share groups live
 * beside the map (share/share-groups.ts, attached as a GroupShard): their records go through this
 * coordinator's runtime and partitions, are replayed into the shard, and follow the same loads.
 *
 * Kafka's rule in a cluster: this broker coordinates the groups of the `__consumer_offsets`
 * partitions it leads. Becoming leader of one loads it (replay of its log; the partition's groups
 * get COORDINATOR_LOAD_IN_PROGRESS meanwhile); losing the leadership unloads it (its groups are
 * shut down, pending JoinGroup/SyncGroup answers and later requests get NOT_COORDINATOR, so
 * clients find the new coordinator). On a single node every partition is led here.
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { Logger } from '../common/logger.js';
import type { CoordinatorDeps } from '../coordinator/deps.js';
import { InternalTopic } from '../coordinator/internal-topic.js';
import { CoordinatorRuntime, type CoordinatorResult, type WriteOutcome } from '../coordinator/runtime.js';
import { ClassicGroup, GroupState } from './group.js';
import { asClassic, GroupType, type Group } from './groups.js';
import { partitionForGroup } from './java-hash.js';
import { expireOffsets, removeOffsetsOf } from './offset-cleanup.js';
import { OffsetStore } from './offset-store.js';
import { commitOffsets, deleteOffsets, failedCommitCodes, fetchOffsets, type CommitRequest, type FetchedOffset, type PartitionCode } from './offsets.js';
import { shutdownGroup } from './rebalance.js';
import type { CoordinatorRecord } from './records.js';
import { appendErrorCode, type GroupCoordinatorSettings, type GroupRuntime, type GroupSettings } from './runtime.js';
import type { Scheduler, TimerHandle } from './scheduler.js';
import { PartitionLoads } from './coordinator-loading.js';
import { GroupReplayer, type GroupShard } from './coordinator-replay.js';
import { ConsumerGroup } from './consumer/consumer-group.js';
import { DEFAULT_CONSUMER_GROUP_SETTINGS, cancelTimers, withGroupConfigs } from './consumer/consumer-groups.js';
import type { ConsumerGroupSettings, TopicCatalog } from './consumer/consumer-heartbeat.js';
import { TopicRegexes } from './consumer/topic-regex.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

export type GroupCoordinatorDeps = CoordinatorDeps<GroupCoordinatorSettings>;

export type { GroupShard } from './coordinator-replay.js';

export class GroupCoordinator implements GroupRuntime {
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly settings: GroupSettings;
  /** Committed offsets of every group, and those of open transactions (changed only by replay). */
  readonly offsets = new OffsetStore();
  /** Rebalances completed by this coordinator's groups (metrics). */
  completedRebalances = 0;
  private readonly groups = new Map<string, Group>();
  private active = true;
  private retentionTimer: TimerHandle | null = null;
  /** `__consumer_offsets` and its creation on demand (coordinator/internal-topic.ts). */
  private readonly offsetsTopic: InternalTopic;
  private readonly runtime: CoordinatorRuntime;
  /** KIP-848 consumer group settings (group.consumer.*). */
  readonly consumerSettings: ConsumerGroupSettings;
  /** The topics consumer groups subscribe to (ids, partition counts, names). */
  readonly topicCatalog: TopicCatalog;
  /** Whether a KIP-932 share group has this id (share groups are hosted beside this map: share/share-groups.ts). */
  private shareGroupLookup: (groupId: string) => boolean = () => false;
  /** Share groups (attached by the share services). */
  private shareShard: GroupShard | null = null;
  /** Applies committed records to the map, the offsets and the share shard (coordinator-replay.ts). */
  private readonly replayer = new GroupReplayer({
    groups: this.groups,
    offsets: this.offsets,
    now: () => this.scheduler.now(),
    shareShard: () => this.shareShard,
    removeGroup: (g) => this.removeGroup(g),
  });
  /** The `__consumer_offsets` partitions' loads and unloads (coordinator-loading.ts). */
  private readonly loads: PartitionLoads;

  constructor(private readonly deps: GroupCoordinatorDeps, opts: { settings?: Partial<GroupSettings> } = {}) {
    this.scheduler = deps.scheduler;
    this.logger = deps.logger;
    this.settings = { ...deps.settings, ...opts.settings };
    this.consumerSettings = deps.settings.consumerGroups ?? DEFAULT_CONSUMER_GROUP_SETTINGS;
    const metadata = deps.metadata;
    this.offsetsTopic = new InternalTopic(deps, OFFSETS_TOPIC, () => ({ numPartitions: deps.settings.offsetsTopicNumPartitions, segmentBytes: deps.settings.offsetsTopicSegmentBytes }));
    this.topicCatalog = {
      idOf: (name) => metadata.topicId?.(name),
      partitionsOf: (name) => metadata.partitionCount(name),
      names: () => metadata.topicNames?.() ?? [],
      racksOf: (name) => metadata.partitionRacks?.(name),
      regexes: new TopicRegexes(),
    };
    const writer = deps.writer;
    this.runtime = new CoordinatorRuntime(
      OFFSETS_TOPIC,
      {
        append: (topic, partition, batch) => {
          if (!this.active) throw new KafkaError(ErrorCode.NOT_COORDINATOR, 'The group coordinator is shutting down');
          if (!deps.internal.partition(topic, partition)) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `No ${topic} partition ${partition}`);
          return writer.append(topic, partition, batch);
        },
      },
      { replay: (partition, record, producerId) => this.replayer.replayRecord(partition, record, producerId) },
      () => this.scheduler.now(),
    );
    this.loads = new PartitionLoads({
      coordinator: this,
      groups: this.groups,
      replayer: this.replayer,
      logger: this.logger,
      shareShard: () => this.shareShard,
      partitionCount: (topic) => deps.metadata.partitionCount(topic),
    });
  }

  /** Attaches the share groups' shard (before `start`, so loading replays their records into it). */
  attachShareShard(shard: GroupShard): void {
    this.shareShard = shard;
  }

  /** Replays the existing `__consumer_offsets` partitions and starts the retention checks. */
  start(): void {
    this.deps.metadata.onTopicDeleted((t) => this.onTopicDeleted(t));
    for (const p of this.deps.internal.partitions(OFFSETS_TOPIC)) this.loads.load(p);
    this.scheduleRetention();
  }

  shutdown(): void {
    if (!this.active) return;
    this.active = false;
    this.retentionTimer?.cancel();
    for (const g of this.groups.values()) {
      if (g.type === GroupType.Classic) shutdownGroup(g, ErrorCode.NOT_COORDINATOR);
      else cancelTimers(g);
    }
    this.groups.clear();
    this.offsets.clear();
    this.shareShard?.unloaded(() => true);
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

  /**
   * Starts creating `__consumer_offsets` when it does not exist yet (as Kafka does on the first
   * FindCoordinator) and throws COORDINATOR_NOT_AVAILABLE until the creation is committed (an
   * asynchronous metadata commit), as Kafka answers meanwhile.
   */
  ensureOffsetsTopic(): void {
    this.offsetsTopic.ensure();
  }

  /** Resolves once `__consumer_offsets` exists, creating it if needed (FindCoordinator waits for it). */
  offsetsTopicReady(): Promise<void> {
    return this.offsetsTopic.ready();
  }

  /** Throws the error a group request gets when this coordinator cannot serve `groupId` right now. */
  checkAvailable(groupId: string): void {
    if (!this.active) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The group coordinator is shutting down');
    if (this.deps.metadata.partitionCount(OFFSETS_TOPIC) !== undefined && !this.deps.internal.partition(OFFSETS_TOPIC, this.partitionFor(groupId))) {
      throw new KafkaError(ErrorCode.NOT_COORDINATOR, `This broker does not lead ${OFFSETS_TOPIC}-${this.partitionFor(groupId)}, the partition of group ${groupId}`);
    }
    if (this.loads.loading.size > 0 && this.loads.loading.has(this.partitionFor(groupId))) {
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
    return this.loads.loading.size > 0;
  }

  // ------------------------------------------------------------------------------ groups

  /** The classic group `groupId` (not Dead); throws GROUP_ID_NOT_FOUND when the group is of another kind. */
  group(groupId: string): ClassicGroup | undefined {
    const g = this.groups.get(groupId);
    return g && !g.is(GroupState.Dead) ? asClassic(g) : undefined;
  }

  /** The group `groupId` of any kind, unless Dead. */
  anyGroup(groupId: string): Group | undefined {
    const g = this.groups.get(groupId);
    return g && !g.is(GroupState.Dead) ? g : undefined;
  }

  /** The KIP-848 consumer group `groupId`, if it is one. */
  consumerGroup(groupId: string): ConsumerGroup | undefined {
    const g = this.anyGroup(groupId);
    return g?.type === GroupType.Consumer ? g : undefined;
  }

  /**
   * The KIP-848 settings of one group: the broker's, with the group's dynamic configs
   * (consumer.session.timeout.ms, consumer.heartbeat.interval.ms; config/group-config.ts) over them.
   */
  consumerSettingsFor(groupId: string): ConsumerGroupSettings {
    return withGroupConfigs(this.consumerSettings, this.deps.metadata.groupConfigs?.(groupId));
  }

  /** Tells the coordinator which ids are share groups (the share services, built after it). */
  setShareGroupLookup(lookup: (groupId: string) => boolean): void {
    this.shareGroupLookup = lookup;
  }

  /** Whether `groupId` is a share group's id (and no classic or consumer group's). */
  isShareGroup(groupId: string): boolean {
    return this.anyGroup(groupId) === undefined && this.shareGroupLookup(groupId);
  }

  /**
   * Kafka's rule for a classic or consumer group API that finds a share group of that id: the
   * group is not created or converted, and the API fails with GROUP_ID_NOT_FOUND.
   */
  throwIfShareGroup(groupId: string, kind: 'classic' | 'consumer'): void {
    if (this.isShareGroup(groupId)) throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a ${kind} group.`);
  }

  /** The classic group `groupId`, created Empty when there is none (throws as `group` does, and GROUP_ID_NOT_FOUND for a share group's id). */
  getOrCreateGroup(groupId: string): ClassicGroup {
    const existing = this.group(groupId);
    if (existing) return existing;
    this.throwIfShareGroup(groupId, 'consumer');
    this.ensureOffsetsTopic();
    const g = new ClassicGroup(groupId, this.scheduler.now());
    this.groups.set(groupId, g);
    return g;
  }

  rebalanceCompleted(): void {
    this.completedRebalances++;
  }

  /** Every group that is not Dead, of any kind. */
  allGroups(): Group[] {
    return [...this.groups.values()].filter((g) => !g.is(GroupState.Dead));
  }

  /** Marks a group Dead and forgets it (replaying its tombstone: DeleteGroups, retention). */
  private removeGroup(group: Group): void {
    if (group.type === GroupType.Classic) shutdownGroup(group, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    else cancelTimers(group);
    group.transitionTo(GroupState.Dead, this.scheduler.now());
    if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId);
  }

  // ------------------------------------------------------------------------------ writes

  /**
   * Runs a coordinator operation for `groupId` on its `__consumer_offsets` partition's queue:
   * its records are appended, replayed once committed, and then `done` gets the outcome.
   */
  run<T>(groupId: string, op: () => CoordinatorResult<T>, done: (outcome: WriteOutcome<T>) => void): void {
    let partition: number;
    try {
      this.ensureOffsetsTopic();
      partition = this.partitionFor(groupId);
    } catch (e) {
      done({ ok: false, error: e, response: undefined });
      return;
    }
    this.runtime.write(partition, op, done);
  }

  /** `run` as a promise (rejects with the operation's or the append's error). */
  runAsync<T>(groupId: string, op: () => CoordinatorResult<T>): Promise<T> {
    return new Promise((resolve, reject) => this.run(groupId, op, (o) => (o.ok ? resolve(o.response) : reject(o.error))));
  }

  /** GroupRuntime: writes records for the group; `done` gets NONE or the error code the group API reports. */
  write(groupId: string, records: readonly CoordinatorRecord[], done: (errorCode: number) => void): void {
    this.run(groupId, () => ({ records, response: undefined }), (o) => done(o.ok ? ErrorCode.NONE : appendErrorCode(o.error, `${records.length} record(s) for group ${groupId}`, this.logger)));
  }

  /** OffsetCommit: resolves with one code per partition; rejects with the KafkaError of a failed validation. */
  commitOffsets(group: Group, req: CommitRequest, known: (topic: string, partition: number) => boolean): Promise<PartitionCode[]> {
    return new Promise((resolve, reject) =>
      this.run(group.groupId, () => commitOffsets(this, group, req, known), (o) => {
        if (o.ok) resolve(o.response);
        else if (o.response !== undefined) resolve(failedCommitCodes(o.response, o.error, this.logger));
        else reject(o.error);
      }),
    );
  }

  /** OffsetDelete: resolves with one code per partition; rejects with the group-level error. */
  deleteOffsets(group: ClassicGroup, topics: { name: string; partitions: number[] }[]): Promise<PartitionCode[]> {
    return this.runAsync(group.groupId, () => deleteOffsets(this.offsets, group, topics));
  }

  /** OffsetFetch for one group: the requested partitions (-1 where none is committed), or all when `topics` is null. */
  fetchOffsets(groupId: string, topics: { name: string; partitions: number[] }[] | null): FetchedOffset[] {
    return fetchOffsets(this.offsets, groupId, topics);
  }

  /** Whether this broker hosts `topic`-`partition` (offsets are only committed for those). */
  hasPartition(topic: string, partition: number): boolean {
    return this.deps.metadata.hasPartition(topic, partition);
  }

  // ------------------------------------------------------------------------------ replay

  /**
   * A COMMIT/ABORT marker reached `__consumer_offsets`-`partition`: the producer's pending
   * transactional offsets become committed (or are dropped). A partition still loading replays
   * the marker from its log instead.
   */
  onTransactionMarker(partition: number, producerId: bigint, commit: boolean): void {
    if (this.loads.loading.has(partition)) return;
    for (const e of this.offsets.replayMarker(partition, producerId, commit)) this.replayer.groupForOffsets(e.groupId, null);
  }

  // ------------------------------------------------------------------------------ loading

  /** This broker became leader of `__consumer_offsets`-`index`: loads its groups and offsets (Kafka's onElection). */
  onBecameLeader(index: number): void {
    if (!this.active) return;
    const p = this.deps.internal.partition(OFFSETS_TOPIC, index);
    if (!p) return;
    this.loads.unload(index);
    this.loads.load(p);
  }

  /** This broker no longer leads `__consumer_offsets`-`index`: forgets its groups and offsets (Kafka's onResignation). */
  onBecameFollower(index: number): void {
    if (!this.active) return;
    this.loads.unload(index);
    this.logger.info(`Unloaded ${OFFSETS_TOPIC}-${index}: another broker coordinates its groups`);
  }

  // ------------------------------------------------------------------------------ retention, deleted topics

  private scheduleRetention(): void {
    if (!this.active) return;
    const interval = this.deps.settings.offsetsRetentionCheckIntervalMs;
    this.retentionTimer = this.scheduler.schedule(interval, () => {
      try {
        this.cleanupGroupMetadata();
      } catch (e) {
        this.logger.error('Offset retention check failed', e);
      }
      this.scheduleRetention();
    });
  }

  /** Expires offsets past retention and removes Empty groups left without offsets. Returns how many offsets expired (once written). */
  cleanupGroupMetadata(): number {
    return expireOffsets(this, this.allGroups(), this.scheduler.now());
  }

  /**
   * Kafka's onPartitionsDeleted: a deleted topic's committed offsets are tombstoned in every
   * group (so a re-created topic of the same name starts without them, also after a restart);
   * an Empty group left without offsets is removed.
   */
  onTopicDeleted(topic: string): void {
    if (!this.active) return;
    removeOffsetsOf(this, this.allGroups(), (t) => t === topic, `of deleted topic ${topic}`);
  }
}
