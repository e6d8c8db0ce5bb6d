/**
 * The group coordinator's KIP-848 side (Kafka's GroupMetadataManager for consumer groups):
 * ConsumerGroupHeartbeat as a coordinator write (the group changes when its records are
 * replayed), the members' session timers (a member that stops heartbeating for
 * `group.consumer.session.timeout.ms` is removed, its partitions go to the others) and revocation
 * timers (a member that keeps partitions it was asked to revoke past its rebalance timeout is
 * removed), and the replay of consumer group records.
 *
 * An empty classic group of the same id (e.g. one that only has committed offsets) becomes a
 * consumer group on the first heartbeat, as in Kafka; a classic group with members is converted
 * online when group.consumer.migration.policy allows it (classic-migration.ts), else answers
 * GROUP_ID_NOT_FOUND. A classic member's session timeout is its own (classic-members.ts). When
 * the last consumer-protocol member leaves and only classic members remain, the group becomes a
 * classic group again (classic-downgrade.ts).
 */
import { randomUUID } from 'node:crypto';
import { consumerGroupOverrides } from '../../config/group-config.js';
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { CoordinatorRecord } from '../../coordinator/runtime.js';
import type { GroupCoordinator } from '../coordinator.js';
import { GroupState, type ClassicGroup } from '../group.js';
import { GroupType } from '../groups.js';
import { prepareRebalance, rescheduleHeartbeat } from '../rebalance.js';
import { groupTombstone } from '../records.js';
import type { GroupRuntime } from '../runtime.js';
import { downgradeRecords } from './classic-downgrade.js';
import { convertClassicGroup } from './classic-migration.js';
import { ConsumerGroup } from './consumer-group.js';
import {
  consumerHeartbeat,
  removeMember,
  staticLeave,
  validateHeartbeat,
  type ConsumerGroupSettings,
  type ConsumerHeartbeatAnswer,
  type ConsumerHeartbeatRequest,
  type HeartbeatContext,
  type TopicCatalog,
} from './consumer-heartbeat.js';
import { LEAVE_GROUP_MEMBER_EPOCH, LEAVE_GROUP_STATIC_MEMBER_EPOCH, MemberState } from './consumer-model.js';
import type { DecodedConsumerRecord } from './consumer-records.js';

export const DEFAULT_CONSUMER_GROUP_SETTINGS: ConsumerGroupSettings = {
  heartbeatIntervalMs: 5000,
  sessionTimeoutMs: 45000,
  maxSize: 2147483647,
  assignors: ['uniform', 'range'],
};

/** The broker's settings with a group's dynamic configs over them (config/group-config.ts). */
export function withGroupConfigs(base: ConsumerGroupSettings, configs: Readonly<Record<string, string>> | undefined): ConsumerGroupSettings {
  if (configs === undefined || Object.keys(configs).length === 0) return base;
  const o = consumerGroupOverrides(configs);
  // Read once: the broker's settings are getters over its dynamic config.
  return {
    ...(base.enabled === undefined ? {} : { enabled: base.enabled }),
    heartbeatIntervalMs: o.heartbeatIntervalMs ?? base.heartbeatIntervalMs,
    sessionTimeoutMs: o.sessionTimeoutMs ?? base.sessionTimeoutMs,
    maxSize: base.maxSize,
    assignors: base.assignors,
    ...(base.migrationPolicy === undefined ? {} : { migrationPolicy: base.migrationPolicy }),
    ...(base.classicMaxSize === undefined ? {} : { classicMaxSize: base.classicMaxSize }),
  };
}

/** What the consumer group side needs of the coordinator (GroupCoordinator implements it). */
export type ConsumerGroupHost = Pick<GroupCoordinator, 'scheduler' | 'logger' | 'runAsync' | 'run' | 'anyGroup' | 'availability' | 'throwIfShareGroup' | 'consumerSettingsFor'> & GroupRuntime & {
  readonly consumerSettings: ConsumerGroupSettings;
  readonly topicCatalog: TopicCatalog;
};

function context(c: ConsumerGroupHost, groupId: string): HeartbeatContext {
  return { topics: c.topicCatalog, settings: c.consumerSettingsFor(groupId), newMemberId: () => randomUUID() };
}

/** The group a heartbeat works on: the consumer group, a new one, or an empty classic group it replaces (with the classic group's tombstone). */
function groupFor(c: ConsumerGroupHost, req: ConsumerHeartbeatRequest): { group: ConsumerGroup; records: CoordinatorRecord[]; converted?: boolean } {
  const existing = c.anyGroup(req.groupId);
  if (existing?.type === GroupType.Consumer) return { group: existing, records: [] };
  c.throwIfShareGroup(req.groupId, 'consumer');
  if (req.memberEpoch !== 0) throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${req.groupId} not found`);
  if (existing === undefined) return { group: new ConsumerGroup(req.groupId, c.scheduler.now()), records: [] };
  const classic = existing as ClassicGroup;
  if (classic.size > 0) {
    const converted = convertClassicGroup(classic, c.consumerSettings, c.topicCatalog, c.scheduler.now());
    c.logger.info(`Converting classic group ${req.groupId} (generation ${classic.generationId}, ${classic.size} members) to a consumer group`);
    return { ...converted, converted: true };
  }
  if (!classic.is(GroupState.Empty) || classic.pendingMembers.size > 0) {
    throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} is a classic group with members, not a consumer group`);
  }
  return { group: new ConsumerGroup(req.groupId, c.scheduler.now()), records: [groupTombstone(req.groupId)] };
}

/** ConsumerGroupHeartbeat: resolves with the answer once its records are committed and replayed; rejects with KafkaError. */
export function consumerGroupHeartbeat(c: ConsumerGroupHost, req: ConsumerHeartbeatRequest, apiVersion: number): Promise<ConsumerHeartbeatAnswer> {
  const regexes = c.topicCatalog.regexes;
  validateHeartbeat(req, apiVersion, c.consumerSettings, regexes);
  let convertedMembers: string[] = [];
  let downgraded = false;
  const write = (): Promise<ConsumerHeartbeatAnswer> =>
    c.runAsync(req.groupId, () => {
      const { group, records, converted } = groupFor(c, req);
      if (converted === true) convertedMembers = [...group.subscriptions.keys()];
      if (req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        if (!group.hasMember(req.memberId)) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}`);
        const downgrade = req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH ? downgradeRecords(group, req.memberId, c.consumerSettings, c.scheduler.now()) : null;
        if (downgrade !== null) downgraded = true;
        const leaving = downgrade ?? (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH ? staticLeave(group, req.memberId) : removeMember(group, req.memberId, c.topicCatalog));
        c.logger.info(`Member ${req.memberId} ${req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH ? 'left' : 'left temporarily (static)'} consumer group ${req.groupId}`);
        return { records: [...records, ...leaving], response: { memberId: req.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: null } };
      }
      const result = consumerHeartbeat(group, req, context(c, req.groupId));
      if (req.memberEpoch === 0) c.logger.info(`Member ${result.response.memberId} joins consumer group ${req.groupId}`);
      return { records: [...records, ...result.records], response: result.response };
    });
  const prepared = prepareRegexes(c, req);
  return (prepared === null ? write() : prepared.then(write)).then((answer) => {
    if (answer.memberEpoch !== LEAVE_GROUP_MEMBER_EPOCH) scheduleTimers(c, req.groupId, answer.memberId);
    for (const m of convertedMembers) scheduleTimers(c, req.groupId, m);
    if (downgraded) onDowngraded(c, req.groupId);
    return answer;
  });
}

/**
 * Resolves the regular expressions this heartbeat's write will match against the topics (the
 * member's own and those of the group's other members) before the write, in slices that yield to
 * the event loop (topic-regex.ts), so the write itself only matches names created meanwhile.
 */
function prepareRegexes(c: ConsumerGroupHost, req: ConsumerHeartbeatRequest): Promise<void> | null {
  const regexes = c.topicCatalog.regexes;
  if (regexes === undefined || req.memberEpoch < 0) return null;
  const sources = new Set<string>();
  if (req.subscribedTopicRegex !== null && req.subscribedTopicRegex !== '') sources.add(req.subscribedTopicRegex);
  const g = c.anyGroup(req.groupId);
  if (g?.type === GroupType.Consumer) for (const s of g.subscriptions.values()) if (s.subscribedTopicRegex !== null && s.subscribedTopicRegex !== '') sources.add(s.subscribedTopicRegex);
  if (sources.size === 0) return null;
  const names = (): Iterable<string> => c.topicCatalog.names();
  // Another member's stored pattern that RE2 refuses matches nothing (consumer-heartbeat.ts subscribedNames).
  return [...sources].reduce<Promise<void>>((p, source) => p.then(() => regexes.prepare(source, names).catch(() => undefined)), Promise.resolve());
}

/** Restarts the member's session timer, and starts (or clears) its revocation timer. */
export function scheduleTimers(c: ConsumerGroupHost, groupId: string, memberId: string): void {
  const g = c.anyGroup(groupId);
  if (g?.type !== GroupType.Consumer || !g.hasMember(memberId)) return;
  g.sessionTimers.get(memberId)?.cancel();
  g.sessionTimers.set(
    memberId,
    c.scheduler.schedule(g.subscriptions.get(memberId)?.classic?.sessionTimeoutMs ?? c.consumerSettingsFor(groupId).sessionTimeoutMs, () => fence(c, g, memberId, 'its session expired')),
  );
  const a = g.assignment(memberId);
  if (a.state === MemberState.UnrevokedPartitions) {
    if (!g.revocationTimers.has(memberId)) {
      const timeout = Math.max(1, g.subscriptions.get(memberId)?.rebalanceTimeoutMs ?? c.consumerSettingsFor(groupId).sessionTimeoutMs);
      const epoch = a.memberEpoch;
      g.revocationTimers.set(
        memberId,
        c.scheduler.schedule(timeout, () => {
          g.revocationTimers.delete(memberId);
          if (g.assignment(memberId).state === MemberState.UnrevokedPartitions && g.assignment(memberId).memberEpoch === epoch) fence(c, g, memberId, `it did not revoke its partitions within its rebalance timeout of ${timeout} ms`);
        }),
      );
    }
  } else {
    g.revocationTimers.get(memberId)?.cancel();
    g.revocationTimers.delete(memberId);
  }
}

/** Removes a member the coordinator gave up on (session or revocation timeout). */
function fence(c: ConsumerGroupHost, g: ConsumerGroup, memberId: string, why: string): void {
  g.sessionTimers.delete(memberId);
  if (c.anyGroup(g.groupId) !== g || !g.hasMember(memberId) || c.availability(g.groupId) !== ErrorCode.NONE) return;
  c.logger.info(`Removing member ${memberId} from consumer group ${g.groupId}: ${why}`);
  c.run(
    g.groupId,
    () => {
      if (!g.hasMember(memberId)) return { records: [], response: false };
      const downgrade = downgradeRecords(g, memberId, c.consumerSettings, c.scheduler.now());
      return { records: downgrade ?? removeMember(g, memberId, c.topicCatalog), response: downgrade !== null };
    },
    (o) => {
      if (o.ok && o.response === true) onDowngraded(c, g.groupId);
      if (!o.ok) c.logger.warn(`Could not remove member ${memberId} from consumer group ${g.groupId}: ${o.error instanceof Error ? o.error.message : String(o.error)}`);
    },
  );
}

/** The group became a classic group (classic-downgrade.ts): its members' sessions run, and it rebalances so they rejoin. */
function onDowngraded(c: ConsumerGroupHost, groupId: string): void {
  const g = c.anyGroup(groupId);
  if (g?.type !== GroupType.Classic) return;
  c.logger.info(`Consumer group ${groupId} became a classic group (generation ${g.generationId}, ${g.size} classic members)`);
  for (const m of g.members.values()) rescheduleHeartbeat(c, g, m);
  if (g.is(GroupState.Stable)) prepareRebalance(c, g, 'the group was downgraded from a consumer group to a classic group');
}

/** Cancels every timer of the group (unloaded, removed, coordinator shut down). */
export function cancelTimers(g: ConsumerGroup): void {
  for (const t of g.sessionTimers.values()) t.cancel();
  for (const t of g.revocationTimers.values()) t.cancel();
  g.sessionTimers.clear();
  g.revocationTimers.clear();
}

/** After a load: every member must heartbeat within its session timeout (Kafka's onLoaded). */
export function onConsumerGroupLoaded(c: ConsumerGroupHost, g: ConsumerGroup): void {
  for (const memberId of g.subscriptions.keys()) scheduleTimers(c, g.groupId, memberId);
  if (g.size > 0) c.logger.info(`Loaded consumer group ${g.groupId} epoch ${g.groupEpoch} in state ${g.state} with ${g.size} members`);
}

/** Applies a consumer group record to `group`; a removed member's timers stop. */
export function replayConsumerRecord(group: ConsumerGroup, d: DecodedConsumerRecord, now: number | null): void {
  group.replay(d, now);
  if (d.type === 'member-metadata' && d.value === null) {
    group.sessionTimers.get(d.memberId)?.cancel();
    group.sessionTimers.delete(d.memberId);
    group.revocationTimers.get(d.memberId)?.cancel();
    group.revocationTimers.delete(d.memberId);
  }
}
