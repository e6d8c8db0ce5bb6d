/**
 * Builds the share group services from the broker's coordinator dependencies and config: the
 * share coordinator (`__share_group_state`, loaded here, then following the leadership of its
 * partitions), the persister share-partition leaders reach it through, the share-partitions on
 * this broker's led partitions, and the share groups on its group coordinator. Share groups are served
 * only when `group.coordinator.rebalance.protocols` includes `share` (Kafka 4 keeps them behind
 * that switch too); the services exist either way.
 */
import type { BrokerConfig } from '../../config/broker-config.js';
import type { InterBrokerSecurity } from '../../config/inter-broker-security.js';
import type { CoordinatorDeps } from '../../coordinator/deps.js';
import type { GroupCoordinator } from '../../group/coordinator.js';
import { ShareGroups } from '../../group/share/share-groups.js';
import type { MetadataStore } from '../../metadata/store.js';
import type { PartitionRoles } from '../partition-roles.js';
import type { ReplicaManager } from '../replica-manager.js';
import type { TopicController } from '../topic-controller.js';
import { SharePartitionManager } from './share-partition-manager.js';
import { RoutedSharePersister } from './share-persister.js';
import { SHARE_STATE_TOPIC, ShareStateStore, type ShareStateKey } from './share-state-store.js';

export interface ShareServices {
  readonly shareGroups: ShareGroups;
  readonly sharePartitions: SharePartitionManager;
  readonly store: ShareStateStore;
  readonly enabled: boolean;
  /** From now on the share coordinator follows the leadership of the `__share_group_state` partitions. */
  followLeadership(roles: PartitionRoles): void;
  close(): void;
}

/** Where this broker is in the cluster (for the persister's inter-broker requests). */
export interface ShareLinks {
  readonly localId: number;
  readonly interBroker: InterBrokerSecurity;
}

export function buildShareServices(deps: Omit<CoordinatorDeps<unknown>, 'settings'>, config: BrokerConfig, replicas: ReplicaManager, metadata: MetadataStore, topics: TopicController, groups: GroupCoordinator, links: ShareLinks): ShareServices {
  const store = new ShareStateStore({
    ...deps,
    logger: deps.logger.child('share-state'),
    settings: {
      get numPartitions() {
        return config.int('share.coordinator.state.topic.num.partitions');
      },
      get segmentBytes() {
        return config.int('share.coordinator.state.topic.segment.bytes');
      },
      get updatesPerSnapshot() {
        return config.int('share.coordinator.snapshot.update.records.per.snapshot');
      },
    },
  });
  store.load();
  const persister = new RoutedSharePersister({
    localId: links.localId,
    store,
    metadata,
    listenerName: links.interBroker.listenerName,
    security: links.interBroker.security,
    scheduler: deps.scheduler,
    backoffMs: 100,
    requestTimeoutMs: config.int('offsets.commit.timeout.ms'),
    logger: deps.logger.child('share-persister'),
  });
  const sharePartitions = new SharePartitionManager({
    partition: (topic, index) => replicas.partition(topic, index),
    topicName: (topicId) => metadata.image().topicById(topicId)?.name,
    store,
    persister,
    scheduler: deps.scheduler,
    logger: deps.logger.child('share-partitions'),
    settings: () => ({
      lockDurationMs: config.int('group.share.record.lock.duration.ms'),
      deliveryCountLimit: config.int('group.share.delivery.count.limit'),
      maxInFlight: config.int('group.share.partition.max.record.locks'),
      autoOffsetReset: config.str('group.share.auto.offset.reset') === 'earliest' ? 'earliest' : 'latest',
    }),
  });
  topics.deleteListeners.push((t) => sharePartitions.onTopicDeleted(t.topicId));
  const shareGroups = new ShareGroups({
    host: groups,
    scheduler: deps.scheduler,
    logger: deps.logger.child('share-groups'),
    topics: groups.topicCatalog,
    settings: {
      enabled: config.list('group.coordinator.rebalance.protocols').includes('share'),
      get heartbeatIntervalMs() {
        return config.int('group.share.heartbeat.interval.ms');
      },
      get sessionTimeoutMs() {
        return config.int('group.share.session.timeout.ms');
      },
      get maxSize() {
        return config.int('group.share.max.size');
      },
    },
    otherGroupExists: (groupId) => groups.anyGroup(groupId) !== undefined,
    persistedGroupIds: () => store.groupIds(),
    async deleteState(groupId, initialized) {
      const keys = new Map<string, ShareStateKey>();
      for (const t of initialized) for (const partition of t.partitions) keys.set(`${t.topicId}:${partition}`, { groupId, topicId: t.topicId, partition });
      for (const { key } of store.partitionsOf(groupId)) keys.set(`${key.topicId}:${key.partition}`, key);
      sharePartitions.forgetGroup(groupId);
      await Promise.all([...keys.values()].map((key) => persister.delete(key)));
      sharePartitions.forgetGroup(groupId);
    },
  });
  // Classic and consumer group APIs refuse a share group's id (Kafka's group id exclusivity).
  groups.setShareGroupLookup((groupId) => shareGroups.group(groupId) !== undefined);
  return {
    shareGroups,
    sharePartitions,
    store,
    enabled: shareGroups.settings.enabled,
    followLeadership(roles) {
      roles.onRoleChange({
        becameLeader: (p) => (p.topic === SHARE_STATE_TOPIC ? store.onBecameLeader(p.index) : undefined),
        becameFollower: (p) => (p.topic === SHARE_STATE_TOPIC ? store.onBecameFollower(p.index) : undefined),
      });
    },
    close() {
      shareGroups.shutdown();
      sharePartitions.close();
      persister.close();
    },
  };
}
