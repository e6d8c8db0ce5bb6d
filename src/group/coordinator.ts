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
 * The per-API logic lives in join.ts, membership.ts, offsets.ts and admin.ts. Share groups live
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
import type { CoordinatorDeps, InternalPartition } from '../coordinator/deps.js';
import { CoordinatorRuntime, type CoordinatorResult, type WriteOutcome } from '../coordinator/runtime.js';
import { ClassicGroup, GroupState } from './group.js';
import { asClassic, GroupType, type Group } from './groups.js';
import { partitionForGroup } from './java-hash.js';
import { loadPartition } from './loader.js';
import { ClassicMember } from './member.js';
import { expireOffsets, removeOffsetsOf } from './offset-cleanup.js';
import { OffsetStore } from './offset-store.js';
import { commitOffsets, deleteOffsets, failedCommitCodes, fetchOffsets, type CommitRequest, type FetchedOffset, type PartitionCode } from './offsets.js';
import { rescheduleHeartbeat, shutdownGroup } from './rebalance.js';
import { decodeCoordinatorRecord, type CommittedOffset, type CoordinatorRecord, type DecodedCoordinatorRecord } from './records.js';
import { appendErrorCode, type GroupCoordinatorSettings, type GroupRuntime, type GroupSettings } from './runtime.js';
import type { Scheduler, TimerHandle } from './scheduler.js';
import { ConsumerGroup } from './consumer/consumer-group.js';
import { DEFAULT_CONSUMER_GROUP_SETTINGS, cancelTimers, onConsumerGroupLoaded, replayConsumerRecord, withGroupConfigs } from './consumer/consumer-groups.js';
import type { ConsumerGroupSettings, TopicCatalog } from './consumer/consumer-heartbeat.js';
import { TopicRegexes } from './consumer/topic-regex.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

export type GroupCoordinatorDeps = CoordinatorDeps<GroupCoordinatorSettings>;

/**
 * Groups kept beside this coordinator's map whose records live in its partitions (share groups,
 * share/share-groups.ts): their records are replayed into it, and it follows the partitions' loads.
 */
export interface GroupShard {
  replay(record: Extract<DecodedCoordinatorRecord, { type: 'share' }>['record'], loading: boolean): void;
  /** A partition finished loading: `inPartition` tells its group ids. */
  loaded(inPartition: (groupId: string) => boolean): void;
  /** A partition was unloaded (or the coordinator shut down: every group). */
  unloaded(inPartition: (groupId: string) => boolean): void;
}

export class GroupCoordinator implements GroupRuntime {
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly settings: GroupSettings;
  /** Committed offsets of every group, and those of open transactions (changed only by replay). */
  readonly offsets = new OffsetStore();
  /** Rebalances completed by this coordinator's groups (metrics). */
  completedRebalances = 0;
  private readonly groups = new Map<string, Group>();
  private readonly loadingPartitions = new Set<number>();
  /** Per partition, the token of its latest load: an unload (or a newer load) cancels the one under way. */
  private readonly loadTokens = new Map<number, number>();
  private lastLoadToken = 0;
  private active = true;
  private retentionTimer: TimerHandle | null = null;
  /** The creation of `__consumer_offsets` under way, if any. */
  private creatingOffsetsTopic: Promise<void> | null = null;
  private readonly runtime: CoordinatorRuntime;
  /** KIP-848 consumer group settings (group.consumer.*). */
  readonly consumerSettings: ConsumerGroupSettings;
  /** The topics consumer groups subscribe to (ids, partition counts, names). */
  readonly topicCatalog: TopicCatalog;
  /** Whether a KIP-932 share group has this id (share groups are hosted beside this map: share/share-groups.ts). */
  private shareGroupLookup: (groupId: string) => boolean = () => false;
  /** Share groups (attached by the share services). */
  private shareShard: GroupShard | null = null;

  constructor(private readonly deps: GroupCoordinatorDeps, opts: { settings?: Partial<GroupSettings> } = {}) {
    this.scheduler = deps.scheduler;
    this.logger = deps.logger;
    this.settings = { ...deps.settings, ...opts.settings };
    this.consumerSettings = deps.settings.consumerGroups ?? DEFAULT_CONSUMER_GROUP_SETTINGS;
    const metadata = deps.metadata;
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
      { replay: (partition, record, producerId) => this.replayRecord(partition, record, producerId) },
      () => this.scheduler.now(),
    );
  }

  /** Attaches the share groups' shard (before `start`, so loading replays their records into it). */
  attachShareShard(shard: GroupShard): void {
    this.shareShard = shard;
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
    if (this.deps.metadata.partitionCount(OFFSETS_TOPIC) !== undefined) return;
    void this.createOffsetsTopic().catch(() => undefined);
    // (A store that commits at once has created it by now.)
    if (this.deps.metadata.partitionCount(OFFSETS_TOPIC) === undefined) {
      throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${OFFSETS_TOPIC} is being created`);
    }
  }

  /** Resolves once `__consumer_offsets` exists, creating it if needed (FindCoordinator waits for it). */
  async offsetsTopicReady(): Promise<void> {
    if (this.deps.metadata.partitionCount(OFFSETS_TOPIC) === undefined) await this.createOffsetsTopic();
  }

  /** Creates `__consumer_offsets` (one creation at a time); rejects with the creation's error. */
  private createOffsetsTopic(): Promise<void> {
    if (this.creatingOffsetsTopic !== null) return this.creatingOffsetsTopic;
    const numPartitions = this.deps.settings.offsetsTopicNumPartitions;
    const creating = this.deps.internal
      .create({
        name: OFFSETS_TOPIC,
        numPartitions,
        configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(this.deps.settings.offsetsTopicSegmentBytes) },
      })
      .then(() => this.logger.info(`Created internal topic ${OFFSETS_TOPIC} with ${numPartitions} partitions`))
      .finally(() => {
        if (this.creatingOffsetsTopic === creating) this.creatingOffsetsTopic = null;
      });
    this.creatingOffsetsTopic = creating;
    return creating;
  }

  /** Throws the error a group request gets when this coordinator cannot serve `groupId` right now. */
  checkAvailable(groupId: string): void {
    if (!this.active) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The group coordinator is shutting down');
    if (this.deps.metadata.partitionCount(OFFSETS_TOPIC) !== undefined && !this.deps.internal.partition(OFFSETS_TOPIC, this.partitionFor(groupId))) {
      throw new KafkaError(ErrorCode.NOT_COORDINATOR, `This broker does not lead ${OFFSETS_TOPIC}-${this.partitionFor(groupId)}, the partition of group ${groupId}`);
    }
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

  /** The shard's replay: a committed record of `partition` (transactional ones wait for their marker). */
  private replayRecord(partition: number, record: CoordinatorRecord, producerId: bigint): void {
    const d = decodeCoordinatorRecord(record.key, record.value);
    if (producerId >= 0n) {
      if (d.type === 'offset' && d.value !== null) this.offsets.addPending(partition, producerId, [{ groupId: d.group, topic: d.topic, partition: d.partition, value: d.value }]);
      return;
    }
    this.replay(d, null);
  }

  /**
   * A COMMIT/ABORT marker reached `__consumer_offsets`-`partition`: the producer's pending
   * transactional offsets become committed (or are dropped). A partition still loading replays
   * the marker from its log instead.
   */
  onTransactionMarker(partition: number, producerId: bigint, commit: boolean): void {
    if (this.loadingPartitions.has(partition)) return;
    for (const e of this.offsets.replayMarker(partition, producerId, commit)) this.groupForOffsets(e.groupId, null);
  }

  private replayOffset(groupId: string, topic: string, partition: number, value: CommittedOffset | null, loaded: Set<Group> | null): void {
    if (value === null) {
      this.offsets.replayTombstone(groupId, topic, partition);
      return;
    }
    this.offsets.replayCommit(groupId, topic, partition, value);
    this.groupForOffsets(groupId, loaded);
  }

  /** A group id with committed offsets has a group: an Empty classic one when it had none (a simple group). */
  private groupForOffsets(groupId: string, loaded: Set<Group> | null): void {
    let g = this.groups.get(groupId);
    if (!g) {
      g = new ClassicGroup(groupId, loaded ? null : this.scheduler.now());
      this.groups.set(groupId, g);
    }
    loaded?.add(g);
  }

  /** Applies one record; `loaded` collects the groups a partition load touched (null for live writes). */
  private replay(d: DecodedCoordinatorRecord, loaded: Set<Group> | null): void {
    if (d.type === 'other') return;
    if (d.type === 'share') {
      this.shareShard?.replay(d.record, loaded !== null);
      return;
    }
    if (d.type === 'consumer') {
      this.replayConsumer(d.group, d, loaded);
      return;
    }
    if (d.type === 'offset') {
      this.replayOffset(d.group, d.topic, d.partition, d.value, loaded);
      return;
    }
    const prior = this.groups.get(d.group);
    // A classic record for an id that is now a consumer group (the tombstone written when an
    // empty classic group became a consumer group is replayed before the consumer records).
    if (prior?.type === GroupType.Consumer) return;
    if (d.value === null) {
      // Offsets of a deleted group were tombstoned first; any left form a simple group.
      if (prior) {
        loaded?.delete(prior);
        if (loaded === null) this.removeGroup(prior);
        else this.groups.delete(d.group);
      }
      if (this.offsets.hasOffsets(d.group)) {
        const g = new ClassicGroup(d.group, null);
        this.groups.set(d.group, g);
        loaded?.add(g);
      }
      return;
    }
    const v = d.value;
    // (An Empty classic group standing for offsets only, at generation 0, is replaced by a record
    // with members: a consumer group downgraded to a classic one, consumer/classic-downgrade.ts.)
    const downgraded = prior?.type === GroupType.Classic && prior.size === 0 && prior.generationId === 0 && v.members.length > 0;
    if (loaded === null && prior?.type === GroupType.Classic && !downgraded) {
      // A live group: its membership is in memory; the record carries the generation's assignments.
      if (v.generation !== prior.generationId) return;
      for (const m of v.members) {
        const member = prior.members.get(m.memberId);
        if (member) member.assignment = m.assignment;
      }
      return;
    }
    const g = new ClassicGroup(d.group, v.currentStateTimestamp >= 0n ? Number(v.currentStateTimestamp) : null);
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
    if (prior) loaded?.delete(prior);
    this.groups.set(d.group, g);
    loaded?.add(g);
  }

  /** A consumer group record: creates the group on its first record (replacing an empty classic one), removes it on its epoch tombstone. */
  private replayConsumer(groupId: string, d: Extract<DecodedCoordinatorRecord, { type: 'consumer' }>, loaded: Set<Group> | null): void {
    const now = loaded ? null : this.scheduler.now();
    let g = this.groups.get(groupId);
    if (g?.type !== GroupType.Consumer) {
      if (d.record.type === 'group-epoch' && d.record.epoch === null) return;
      if (g) loaded?.delete(g);
      g = new ConsumerGroup(groupId, now);
      this.groups.set(groupId, g);
      loaded?.add(g);
    }
    replayConsumerRecord(g, d.record, now);
    if (d.record.type === 'group-epoch' && d.record.epoch === null) {
      loaded?.delete(g);
      if (loaded === null) this.removeGroup(g);
      else this.groups.delete(groupId);
      this.groupForOffsets(groupId, loaded);
    }
  }

  // ------------------------------------------------------------------------------ loading

  /** This broker became leader of `__consumer_offsets`-`index`: loads its groups and offsets (Kafka's onElection). */
  onBecameLeader(index: number): void {
    if (!this.active) return;
    const p = this.deps.internal.partition(OFFSETS_TOPIC, index);
    if (!p) return;
    this.unload(index);
    this.load(p);
  }

  /** This broker no longer leads `__consumer_offsets`-`index`: forgets its groups and offsets (Kafka's onResignation). */
  onBecameFollower(index: number): void {
    if (!this.active) return;
    this.unload(index);
    this.logger.info(`Unloaded ${OFFSETS_TOPIC}-${index}: another broker coordinates its groups`);
  }

  private unload(index: number): void {
    this.loadTokens.delete(index);
    this.loadingPartitions.delete(index);
    const n = this.numPartitions();
    const inPartition = (groupId: string): boolean => partitionForGroup(groupId, n) === index;
    for (const g of [...this.groups.values()]) {
      if (!inPartition(g.groupId)) continue;
      if (g.type === GroupType.Classic) shutdownGroup(g, ErrorCode.NOT_COORDINATOR);
      else cancelTimers(g);
      this.groups.delete(g.groupId);
    }
    this.offsets.unload(index, inPartition);
    this.shareShard?.unloaded(inPartition);
  }

  private load(p: InternalPartition): void {
    this.loadingPartitions.add(p.index);
    const token = ++this.lastLoadToken;
    this.loadTokens.set(p.index, token);
    const loaded = new Set<Group>();
    const target = { replay: (d: DecodedCoordinatorRecord) => this.replay(d, loaded) };
    loadPartition(
      p,
      target,
      (err, stats) => {
        if (this.loadTokens.get(p.index) !== token) return;
        this.loadingPartitions.delete(p.index);
        if (err) {
          this.logger.error(`Loading ${OFFSETS_TOPIC}-${p.index} failed after ${stats.records} records`, err);
          return;
        }
        let open = 0;
        for (const [producerId, records] of stats.openTransactions) {
          for (const d of records) {
            if (d.type !== 'offset' || d.value === null) continue;
            this.offsets.addPending(p.index, producerId, [{ groupId: d.group, topic: d.topic, partition: d.partition, value: d.value }]);
            open++;
          }
        }
        if (open > 0) this.logger.info(`Recovered ${open} offsets of open transactions in ${OFFSETS_TOPIC}-${p.index}`);
        for (const g of loaded) this.onGroupLoaded(g);
        const n = this.numPartitions();
        this.shareShard?.loaded((groupId) => partitionForGroup(groupId, n) === p.index);
        // Offsets are only committed for existing topics: any left for a missing topic belong to
        // one deleted while this partition was loading, or just before a crash.
        removeOffsetsOf(this, [...loaded], (topic) => this.deps.metadata.partitionCount(topic) === undefined, 'of deleted topics');
        if (stats.records > 0) this.logger.info(`Loaded ${stats.records} records (${stats.bytes} bytes) from ${OFFSETS_TOPIC}-${p.index} in ${stats.ms.toFixed(0)} ms: ${loaded.size} groups`);
      },
      () => !this.active || this.loadTokens.get(p.index) !== token,
      this.logger,
    );
  }

  /** Kafka's onLoaded: loaded members must heartbeat within their session timeout or they are removed. */
  private onGroupLoaded(g: Group): void {
    if (this.groups.get(g.groupId) !== g) return;
    if (g.type === GroupType.Consumer) {
      onConsumerGroupLoaded(this, g);
      return;
    }
    for (const m of g.members.values()) rescheduleHeartbeat(this, g, m);
    if (g.size > 0) this.logger.info(`Loaded group ${g.groupId} generation ${g.generationId} in state ${g.state} with ${g.size} members`);
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
