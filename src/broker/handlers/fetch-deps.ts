/**
 * What Fetch (01-fetch.ts and its fetch-*.ts parts) is given: the narrow services buildHandlers
 * wires (handlers/index.ts), never the Broker. Kafka's ReplicaManager.fetchMessages reaches the
 * same things through the broker's own objects; Samsa passes each one (or the part of it used) so
 * the handler can be built and tested on its own.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import type { Scheduler } from '../../common/scheduler.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { MetadataStore } from '../../metadata/store.js';
import type { BrokerTopicStats } from '../../metrics/topic-stats.js';
import type { RequestBudget } from '../../network/request-budget.js';
import type { ReplicaSelector } from '../../replication/replica-selector.js';
import type { LeaderStatsSink } from '../../replication/replication-stats.js';
import type { DownConvertDeps } from '../fetch-down-convert.js';
import type { FetchSessionCache } from '../fetch-session.js';
import type { Partition } from '../partition.js';
import type { FollowerReadStats } from '../preferred-read-replica.js';
import type { ReplicaManager } from '../replica-manager.js';

/** What Fetch uses: topics and partitions, fetch sessions, the response budget, long-poll timers, down-conversion. */
export interface FetchDeps extends DownConvertDeps {
  readonly metadata: Pick<MetadataStore, 'image'>;
  readonly replicas: Pick<ReplicaManager, 'partition' | 'isOffline'>;
  readonly config: Pick<BrokerConfig, 'int'>;
  readonly fetchSessions: Pick<FetchSessionCache, 'begin'>;
  readonly requestBudget: Pick<RequestBudget, 'responseRoom'>;
  readonly scheduler: Pick<Scheduler, 'schedule'>;
  readonly logger: Logger;
  /** Replication throttling of the leader side (absent or null: none). */
  readonly leaderThrottle?: LeaderThrottle | null;
  /** Kafka's BrokerTopicMetrics for fetches: counted per partition answered, never per record. */
  readonly topicStats?: FetchStats;
  readonly nodeId: number;
  readonly clock: Clock;
  /** replica.selector.class (null: consumers always read from the leader). */
  readonly replicaSelector: ReplicaSelector | null;
  readonly followerReads: FollowerReadStats;
  /** In a cluster: whether this broker may have been replaced as leader unknowingly (cluster-node.ts). */
  readonly leadershipInDoubt?: () => boolean;
  /**
   * Zero copy (docs/zero-copy.md): reads that go into the answer as they are may be placeholders
   * the connection sends from the file (fetch.zero.copy.enable and the addon built; absent: never).
   */
  readonly zeroCopy?: boolean;
  /** The broker's replication counters: follower fetches served, long-poll wakeups. */
  readonly replicationStats?: Pick<LeaderStatsSink, 'followerFetchServed' | 'longPollWakeup'>;
}

/** The leader side of replication throttling (replication/replication-quota.ts). */
export interface LeaderThrottle {
  /** Whether `p`'s records are held back from follower `replicaId` now. */
  holdBack(p: Partition, replicaId: number): boolean;
  /** Record bytes of `p` sent to a follower (counted when `p` is throttled here). */
  sent(p: Partition, bytes: number): void;
}

export type FetchStats = Pick<BrokerTopicStats, 'fetched' | 'replicationBytesOut'>;
