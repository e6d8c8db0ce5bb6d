/**
 * The loading and unloading of `__consumer_offsets` partitions for the group coordinator (Kafka's
 * onElection / onResignation): a load replays the partition's log into the coordinator (its
 * groups answer COORDINATOR_LOAD_IN_PROGRESS meanwhile), recovers the offsets of transactions left
 * open and reschedules the loaded members' heartbeats; an unload shuts the partition's groups down
 * (NOT_COORDINATOR) and forgets its offsets. Moved out of coordinator.ts unchanged.
 */
import { ErrorCode } from '../common/error-codes.js';
import type { Logger } from '../common/logger.js';
import type { InternalPartition } from '../coordinator/deps.js';
import type { GroupReplayer, GroupShard } from './coordinator-replay.js';
import { OFFSETS_TOPIC, type GroupCoordinator } from './coordinator.js';
import { GroupType, type Group } from './groups.js';
import { partitionForGroup } from './java-hash.js';
import { loadPartition } from './loader.js';
import { removeOffsetsOf } from './offset-cleanup.js';
import { rescheduleHeartbeat, shutdownGroup } from './rebalance.js';
import type { DecodedCoordinatorRecord } from './records.js';
import { cancelTimers, onConsumerGroupLoaded } from './consumer/consumer-groups.js';

/** What loading changes in the coordinator. */
export interface LoadHost {
  readonly coordinator: GroupCoordinator;
  readonly groups: Map<string, Group>;
  readonly replayer: GroupReplayer;
  readonly logger: Logger;
  shareShard(): GroupShard | null;
  partitionCount(topic: string): number | undefined;
}

export class PartitionLoads {
  /** The partitions being loaded. */
  readonly loading = new Set<number>();
  /** Per partition, the token of its latest load: an unload (or a newer load) cancels the one under way. */
  private readonly loadTokens = new Map<number, number>();
  private lastLoadToken = 0;

  constructor(private readonly host: LoadHost) {}

  unload(index: number): void {
    this.loadTokens.delete(index);
    this.loading.delete(index);
    const n = this.host.coordinator.numPartitions();
    const inPartition = (groupId: string): boolean => partitionForGroup(groupId, n) === index;
    for (const g of [...this.host.groups.values()]) {
      if (!inPartition(g.groupId)) continue;
      if (g.type === GroupType.Classic) shutdownGroup(g, ErrorCode.NOT_COORDINATOR);
      else cancelTimers(g);
      this.host.groups.delete(g.groupId);
    }
    this.host.coordinator.offsets.unload(index, inPartition);
    this.host.shareShard()?.unloaded(inPartition);
  }

  load(p: InternalPartition): void {
    this.loading.add(p.index);
    const token = ++this.lastLoadToken;
    this.loadTokens.set(p.index, token);
    const loaded = new Set<Group>();
    const target = { replay: (d: DecodedCoordinatorRecord) => this.host.replayer.replay(d, loaded) };
    loadPartition(
      p,
      target,
      (err, stats) => {
        if (this.loadTokens.get(p.index) !== token) return;
        this.loading.delete(p.index);
        if (err) {
          this.host.logger.error(`Loading ${OFFSETS_TOPIC}-${p.index} failed after ${stats.records} records`, err);
          return;
        }
        let open = 0;
        for (const [producerId, records] of stats.openTransactions) {
          for (const d of records) {
            if (d.type !== 'offset' || d.value === null) continue;
            this.host.coordinator.offsets.addPending(p.index, producerId, [{ groupId: d.group, topic: d.topic, partition: d.partition, value: d.value }]);
            open++;
          }
        }
        if (open > 0) this.host.logger.info(`Recovered ${open} offsets of open transactions in ${OFFSETS_TOPIC}-${p.index}`);
        for (const g of loaded) this.onGroupLoaded(g);
        const n = this.host.coordinator.numPartitions();
        this.host.shareShard()?.loaded((groupId) => partitionForGroup(groupId, n) === p.index);
        // Offsets are only committed for existing topics: any left for a missing topic belong to
        // one deleted while this partition was loading, or just before a crash.
        removeOffsetsOf(this.host.coordinator, [...loaded], (topic) => this.host.partitionCount(topic) === undefined, 'of deleted topics');
        if (stats.records > 0) this.host.logger.info(`Loaded ${stats.records} records (${stats.bytes} bytes) from ${OFFSETS_TOPIC}-${p.index} in ${stats.ms.toFixed(0)} ms: ${loaded.size} groups`);
      },
      () => !this.host.coordinator.isActive || this.loadTokens.get(p.index) !== token,
      this.host.logger,
    );
  }

  /** Kafka's onLoaded: loaded members must heartbeat within their session timeout or they are removed. */
  private onGroupLoaded(g: Group): void {
    if (this.host.groups.get(g.groupId) !== g) return;
    if (g.type === GroupType.Consumer) {
      onConsumerGroupLoaded(this.host.coordinator, g);
      return;
    }
    for (const m of g.members.values()) rescheduleHeartbeat(this.host.coordinator, g, m);
    if (g.size > 0) this.host.logger.info(`Loaded group ${g.groupId} generation ${g.generationId} in state ${g.state} with ${g.size} members`);
  }
}
