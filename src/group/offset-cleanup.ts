/**
 * Removing committed offsets the coordinator itself decides to drop: offsets past retention
 * (Kafka's cleanupGroupMetadata, every offsets.retention.check.interval.ms) and offsets of
 * deleted topics (Kafka's onPartitionsDeleted). Both write offset tombstones (plus a group
 * tombstone when an Empty group is left without offsets) through the coordinator runtime; the
 * offsets and the group go away when those records are replayed. A failed write changes nothing
 * (the next retention check, or the next load, tries again).
 */
import { ErrorCode } from '../common/error-codes.js';
import type { GroupCoordinator } from './coordinator.js';
import { GroupState } from './group.js';
import { GroupType, type Group } from './groups.js';
import { groupTombstone, offsetTombstone, type CoordinatorRecord } from './records.js';
import { groupTombstones as consumerGroupTombstones } from './consumer/consumer-records.js';

/** Writes tombstones for `gone` (and the group's, when nothing would be left of it); `done` gets whether they were written. */
function tombstone(c: GroupCoordinator, g: Group, gone: readonly { topic: string; partition: number }[], done: (ok: boolean, groupRemoved: boolean) => void): void {
  const records: CoordinatorRecord[] = gone.map((o) => offsetTombstone(g.groupId, o.topic, o.partition));
  const removeGroup = g.is(GroupState.Empty) && c.offsets.count(g.groupId) === gone.length && (g.type !== GroupType.Classic || g.pendingMembers.size === 0);
  if (removeGroup) records.push(...(g.type === GroupType.Classic ? [groupTombstone(g.groupId)] : consumerGroupTombstones(g.groupId)));
  if (records.length === 0) return;
  c.run(
    g.groupId,
    () => ({ records, response: removeGroup }),
    (o) => {
      if (!o.ok) c.logger.warn(`Could not write tombstones for group ${g.groupId}: ${o.error instanceof Error ? o.error.message : String(o.error)}`);
      done(o.ok, removeGroup);
    },
  );
}

/** Expires offsets past retention; returns how many expired (counted once their tombstones are written). */
export function expireOffsets(c: GroupCoordinator, groups: readonly Group[], now: number): number {
  let expired = 0;
  for (const g of groups) {
    if (c.availability(g.groupId) !== ErrorCode.NONE) continue;
    const gone = c.offsets.expired(g.groupId, now, c.settings.offsetsRetentionMs, g.offsetRetentionStart());
    tombstone(c, g, gone, (ok, groupRemoved) => {
      if (!ok) return;
      expired += gone.length;
      if (gone.length > 0) c.logger.info(`Removed ${gone.length} expired offsets of group ${g.groupId}`);
      if (groupRemoved) c.logger.info(`Group ${g.groupId} transitioned to Dead and was removed (no members, no offsets)`);
    });
  }
  return expired;
}

/** Tombstones the offsets of topics `doomed` selects in `groups`. */
export function removeOffsetsOf(c: GroupCoordinator, groups: readonly Group[], doomed: (topic: string) => boolean, why: string): void {
  for (const g of groups) {
    if (c.anyGroup(g.groupId) !== g) continue;
    const gone = c.offsets.partitionsOf(g.groupId, doomed);
    if (gone.length === 0) continue;
    tombstone(c, g, gone, (ok) => {
      if (ok) c.logger.info(`Removed ${gone.length} committed offsets ${why} from group ${g.groupId}`);
    });
  }
}
