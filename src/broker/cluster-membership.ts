/**
 * The broker's side of joining and leaving a cluster, read from its configs (cluster-node.ts does
 * the joining itself): the ClusterNode options (etcd.endpoints, etcd.prefix,
 * broker.session.timeout.ms, auto.leader.rebalance.enable with Kafka's
 * leader.imbalance.check.interval.seconds and leader.imbalance.per.broker.percentage, and
 * unclean.leader.election.enable, a topic override winning over the broker's value as in Kafka),
 * controlled.shutdown.enable at stop, and ElectLeaders' elections. Samsa's deviation: the cluster
 * metadata lives in etcd (no KRaft quorum), and a controlled shutdown that fails is logged and the
 * broker stops anyway (Kafka retries controlled.shutdown.max.retries times, then stops too).
 */
import type { BrokerConfig } from '../config/broker-config.js';
import type { Logger } from '../common/logger.js';
import type { Scheduler } from '../common/scheduler.js';
import type { TopicImage } from '../metadata/image.js';
import type { ReplicaFetcherManager } from '../replication/fetcher-manager.js';
import { electLeader } from '../cluster/leader-elections.js';
import type { PartitionStateWriter } from '../cluster/controlled-shutdown.js';
import type { LeaderElector } from './handlers/43-elect-leaders.js';
import type { ClusterNode } from './cluster-node.js';

/**
 * Joins the cluster on etcd `endpoints` (cluster-node.ts) with the options of `config`. The etcd
 * side (cluster-node.ts and the etcd3 client with gRPC under it, ~40 % of a broker's module
 * loading) is imported here, so a single-node broker never loads it.
 */
export async function openClusterNode(config: BrokerConfig, endpoints: string[], opts: { nodeId: number; newClusterId: () => string; scheduler: Scheduler; logger: Logger }): Promise<ClusterNode> {
  const { ClusterNode } = await import('./cluster-node.js');
  return ClusterNode.open({
    endpoints,
    prefix: config.str('etcd.prefix') ?? '/samsa',
    nodeId: opts.nodeId,
    sessionTimeoutMs: config.int('broker.session.timeout.ms'),
    newClusterId: opts.newClusterId,
    uncleanAllowed: (t) => uncleanAllowed(config, t),
    rebalance: config.bool('auto.leader.rebalance.enable')
      ? { intervalMs: config.int('leader.imbalance.check.interval.seconds') * 1000, percentage: config.int('leader.imbalance.per.broker.percentage') }
      : null,
    scheduler: opts.scheduler,
    logger: opts.logger,
  });
}

/** unclean.leader.election.enable of `t` (topic override, else the broker's). */
function uncleanAllowed(config: BrokerConfig, t: TopicImage): boolean {
  const v = t.configs['unclean.leader.election.enable'];
  return v !== undefined ? v === 'true' : config.bool('unclean.leader.election.enable');
}

/**
 * controlled.shutdown.enable in a cluster (cluster/controlled-shutdown.ts): while the listeners
 * still answer (clients learn the new leaders), the replica fetchers stop (no leader adds this
 * broker back to an ISR) and leadership and ISR membership move to the other brokers.
 */
export async function controlledShutdown(cluster: ClusterNode | null, fetchers: ReplicaFetcherManager | null, config: BrokerConfig, logger: Logger): Promise<void> {
  if (cluster === null || !config.bool('controlled.shutdown.enable')) return;
  const started = performance.now();
  try {
    await fetchers?.stop();
    const r = await cluster.controlledShutdown(config.int('controlled.shutdown.max.retries'), config.int('controlled.shutdown.retry.backoff.ms'));
    logger.info(`controlled shutdown: ${r.moved} partition change(s) in ${r.attempts} attempt(s), ${r.remaining} left, ${(performance.now() - started).toFixed(0)} ms`);
  } catch (e) {
    logger.error('controlled shutdown failed; shutting down anyway', e);
  }
}

/** ElectLeaders' elections in a cluster: the controller's rules, written with compare-and-swap. */
export function leaderElector(store: PartitionStateWriter): LeaderElector {
  return { elect: (topic, partition, type) => electLeader(store, topic, partition, type) };
}
