/**
 * The group coordinator's replay (Kafka's GroupCoordinatorShard.replay): applies a committed
 * `__consumer_offsets` record, live or while a partition loads, to the coordinator's groups map,
 * its OffsetStore and the attached share shard. Moved out of coordinator.ts unchanged; the rules
 * are those stated there (replay is the only way committed offsets, assignments and group removal
 * change; a committed offset of a group id with no group creates an Empty classic group).
 */
import { ClassicGroup, GroupState } from './group.js';
import { GroupType, type Group } from './groups.js';
import { ClassicMember } from './member.js';
import type { OffsetStore } from './offset-store.js';
import { decodeCoordinatorRecord, type CommittedOffset, type CoordinatorRecord, type DecodedCoordinatorRecord } from './records.js';
import { ConsumerGroup } from './consumer/consumer-group.js';
import { replayConsumerRecord } from './consumer/consumer-groups.js';

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

/** What the replay changes in the coordinator. */
export interface ReplayHost {
  readonly groups: Map<string, Group>;
  readonly offsets: OffsetStore;
  now(): number;
  shareShard(): GroupShard | null;
  /** Marks a group Dead and forgets it (a live tombstone). */
  removeGroup(group: Group): void;
}

export class GroupReplayer {
  constructor(private readonly host: ReplayHost) {}

  /** The shard's replay: a committed record of `partition` (transactional ones wait for their marker). */
  replayRecord(partition: number, record: CoordinatorRecord, producerId: bigint): void {
    const d = decodeCoordinatorRecord(record.key, record.value);
    if (producerId >= 0n) {
      if (d.type === 'offset' && d.value !== null) this.host.offsets.addPending(partition, producerId, [{ groupId: d.group, topic: d.topic, partition: d.partition, value: d.value }]);
      return;
    }
    this.replay(d, null);
  }

  private replayOffset(groupId: string, topic: string, partition: number, value: CommittedOffset | null, loaded: Set<Group> | null): void {
    if (value === null) {
      this.host.offsets.replayTombstone(groupId, topic, partition);
      return;
    }
    this.host.offsets.replayCommit(groupId, topic, partition, value);
    this.groupForOffsets(groupId, loaded);
  }

  /** A group id with committed offsets has a group: an Empty classic one when it had none (a simple group). */
  groupForOffsets(groupId: string, loaded: Set<Group> | null): void {
    let g = this.host.groups.get(groupId);
    if (!g) {
      g = new ClassicGroup(groupId, loaded ? null : this.host.now());
      this.host.groups.set(groupId, g);
    }
    loaded?.add(g);
  }

  /** Applies one record; `loaded` collects the groups a partition load touched (null for live writes). */
  replay(d: DecodedCoordinatorRecord, loaded: Set<Group> | null): void {
    if (d.type === 'other') return;
    if (d.type === 'share') {
      this.host.shareShard()?.replay(d.record, loaded !== null);
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
    const prior = this.host.groups.get(d.group);
    // A classic record for an id that is now a consumer group (the tombstone written when an
    // empty classic group became a consumer group is replayed before the consumer records).
    if (prior?.type === GroupType.Consumer) return;
    if (d.value === null) {
      // Offsets of a deleted group were tombstoned first; any left form a simple group.
      if (prior) {
        loaded?.delete(prior);
        if (loaded === null) this.host.removeGroup(prior);
        else this.host.groups.delete(d.group);
      }
      if (this.host.offsets.hasOffsets(d.group)) {
        const g = new ClassicGroup(d.group, null);
        this.host.groups.set(d.group, g);
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
    const now = this.host.now();
    for (const m of v.members) {
      const member = new ClassicMember(m.memberId, m.groupInstanceId, m.clientId, m.clientHost, m.rebalanceTimeout, m.sessionTimeout, g.protocolType ?? '', [{ name: v.protocol ?? '', metadata: m.subscription }], now);
      member.assignment = m.assignment;
      g.add(member);
    }
    g.leaderId = v.leader;
    g.state = v.members.length > 0 ? GroupState.Stable : GroupState.Empty;
    if (prior) loaded?.delete(prior);
    this.host.groups.set(d.group, g);
    loaded?.add(g);
  }

  /** A consumer group record: creates the group on its first record (replacing an empty classic one), removes it on its epoch tombstone. */
  private replayConsumer(groupId: string, d: Extract<DecodedCoordinatorRecord, { type: 'consumer' }>, loaded: Set<Group> | null): void {
    const now = loaded ? null : this.host.now();
    let g = this.host.groups.get(groupId);
    if (g?.type !== GroupType.Consumer) {
      if (d.record.type === 'group-epoch' && d.record.epoch === null) return;
      if (g) loaded?.delete(g);
      g = new ConsumerGroup(groupId, now);
      this.host.groups.set(groupId, g);
      loaded?.add(g);
    }
    replayConsumerRecord(g, d.record, now);
    if (d.record.type === 'group-epoch' && d.record.epoch === null) {
      loaded?.delete(g);
      if (loaded === null) this.host.removeGroup(g);
      else this.host.groups.delete(groupId);
      this.groupForOffsets(groupId, loaded);
    }
  }

}
