/**
 * The replication throttles of one broker (Kafka's leader and follower ReplicationQuotaManagers):
 * which replicas are throttled comes from each topic's `leader.replication.throttled.replicas` /
 * `follower.replication.throttled.replicas` in the metadata image, the bounds from the dynamic
 * broker configs `leader.replication.throttled.rate` / `follower.replication.throttled.rate`
 * (read at each check, so AlterConfigs applies at once; traffic is counted only while a rate is
 * set). Rules: replication/replication-quota.ts.
 */
import type { Clock } from '../common/clock.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { MetadataStore } from '../metadata/store.js';
import { ReplicationQuota, throttledPartitions } from '../replication/replication-quota.js';
import type { FollowerThrottle } from '../replication/replica-fetcher.js';
import type { LeaderThrottle } from './handlers/01-fetch.js';

export interface ReplicationThrottlesDeps {
  config: Pick<BrokerConfig, 'int'>;
  metadata: Pick<MetadataStore, 'image'>;
  localId: number;
  clock: Clock;
}

type Side = 'leader' | 'follower';

/** The config keys, as constants: a key built per check (a template string) is hashed anew at every lookup. */
const RATE_KEY = { leader: 'leader.replication.throttled.rate', follower: 'follower.replication.throttled.rate' } as const satisfies Record<Side, string>;
const REPLICAS_KEY = { leader: 'leader.replication.throttled.replicas', follower: 'follower.replication.throttled.replicas' } as const satisfies Record<Side, string>;

export function replicationThrottles(deps: ReplicationThrottlesDeps): { leader: LeaderThrottle; follower: FollowerThrottle } {
  const windowMs = deps.config.int('replication.quota.window.size.seconds') * 1000;
  const numWindows = deps.config.int('replication.quota.window.num');
  const quota = (side: Side): ReplicationQuota => new ReplicationQuota({ clock: deps.clock, rate: () => deps.config.int(RATE_KEY[side]), windowMs, numWindows });
  const quotas = { leader: quota('leader'), follower: quota('follower') };
  // Parsed lists by their text (topic configs change rarely).
  const parsed = new Map<string, ReadonlySet<number> | 'all'>();
  const throttled = (side: Side, topic: string, partition: number): boolean => {
    const value = deps.metadata.image().topic(topic)?.configs[REPLICAS_KEY[side]];
    if (value === undefined || value === '') return false;
    let set = parsed.get(value);
    if (set === undefined) {
      set = throttledPartitions(value, deps.localId);
      if (parsed.size > 1000) parsed.clear();
      parsed.set(value, set);
    }
    return set === 'all' || set.has(partition);
  };
  // Checked first, so that an unthrottled broker (the default) pays one config read per partition.
  const limited = (side: Side): boolean => deps.config.int(RATE_KEY[side]) < Number.MAX_SAFE_INTEGER;
  return {
    leader: {
      holdBack: (p, replicaId) => limited('leader') && throttled('leader', p.topic, p.index) && !(p.isr?.includes(replicaId) ?? false) && quotas.leader.exceeded(),
      sent: (p, bytes) => {
        if (limited('leader') && throttled('leader', p.topic, p.index)) quotas.leader.record(bytes);
      },
    },
    follower: {
      holdBack: (topic, partition) => {
        if (!limited('follower') || !throttled('follower', topic, partition)) return false;
        const inSync = deps.metadata.image().topic(topic)?.partitions[partition]?.isr.includes(deps.localId) ?? false;
        return !inSync && quotas.follower.exceeded();
      },
      received: (topic, partition, bytes) => {
        if (limited('follower') && throttled('follower', topic, partition)) quotas.follower.record(bytes);
      },
    },
  };
}
