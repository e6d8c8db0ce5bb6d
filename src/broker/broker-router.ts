/**
 * Builds a broker's request router: the handler services (each handler gets what it uses, passed
 * explicitly, never the Broker, see handlers/index.ts), the request gate with its authorizer,
 * client quotas and controller mutation quotas, and the router over the handlers.
 * Kafka's rule (KafkaApis): each request is authorized by the configured authorizer.class.name
 * (none: everything allowed), then throttled by the client quotas (ClientQuotaManager) and, for
 * topic and partition creation and deletion, the controller mutation quotas (KIP-599).
 * Samsa's deviations: authorization and quotas run in one gate (broker/gate/gate.ts) before the
 * handler rather than inside each API's handler; an embedder may replace the authenticator,
 * authorizer or quota step (GateOptions).
 */
import type { BrokerConfig } from '../config/broker-config.js';
import type { Clock } from '../common/clock.js';
import type { Scheduler } from '../common/scheduler.js';
import type { Logger } from '../common/logger.js';
import type { MetadataStore } from '../metadata/store.js';
import type { RequestBudget } from '../network/request-budget.js';
import type { BrokerBufferPools } from '../common/buffer-pool.js';
import type { LogManager } from '../storage/log-manager.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';
import type { FetchSessionCache } from './fetch-session.js';
import type { GroupCoordinator } from '../group/coordinator.js';
import type { ConversionStats } from './conversion-stats.js';
import type { FollowerReadStats } from './preferred-read-replica.js';
import { replicaSelectorFor } from '../replication/replica-selector.js';
import type { ReplicaManager } from './replica-manager.js';
import { RequestGate, type GateOptions } from './gate/gate.js';
import { aclAuthorizerOf } from '../auth/configured-authorizer.js';
import { ClientQuotaManager } from './quotas/client-quotas.js';
import { ControllerMutationQuotas } from './quotas/controller-mutation-quota.js';
import { buildHandlers, type HandlerServices } from './handlers/index.js';
import { zeroCopyAvailable } from '../network/zero-copy-send.js';
import type { ShareServices } from './share/share-services.js';
import { RequestRouter } from './router.js';
import type { TopicController } from './topic-controller.js';
import type { ClusterNode } from './cluster-node.js';
import { leaderElector } from './cluster-membership.js';
import type { BrokerTopicStats } from '../metrics/topic-stats.js';
import type { ReplicationStats } from '../replication/replication-stats.js';
import type { BrokerObservability } from './observability.js';
import type { BrokerSchemaIds } from './embedded-registry.js';

/** What the router is built from: the broker's services once start() has made them (the Broker itself passes). */
export interface RouterSources {
  readonly config: BrokerConfig;
  readonly nodeId: number;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly metadata: MetadataStore;
  readonly cluster: ClusterNode | null;
  readonly topics: TopicController;
  readonly replicas: ReplicaManager;
  readonly logs: LogManager;
  readonly groups: GroupCoordinator;
  readonly txnCoordinator: TransactionCoordinator;
  readonly shares: ShareServices;
  readonly fetchSessions: FetchSessionCache;
  readonly requestBudget: RequestBudget;
  readonly conversions: ConversionStats;
  readonly followerReads: FollowerReadStats;
  readonly pools: BrokerBufferPools;
  readonly topicStats: BrokerTopicStats;
  readonly replicationStats: ReplicationStats;
  readonly observability: BrokerObservability | null;
}

/**
 * The handlers get the services they use, passed explicitly (handlers/index.ts), never the
 * Broker; the gate resolves topic ids through the metadata image.
 */
export function buildRequestRouter(b: RouterSources, schemaIds: BrokerSchemaIds, gateOptions: GateOptions, leaderThrottle: NonNullable<HandlerServices['leaderThrottle']> | null): RequestRouter {
  const metadata = b.metadata;
  const cluster = b.cluster;
  const authorizer = gateOptions.authorizer ?? aclAuthorizerOf(b.config, () => metadata.image());
  if (gateOptions.authorizer === undefined && authorizer !== undefined) {
    b.logger.info(`ACL authorizer on (${String(b.config.get('authorizer.class.name'))}): super.users ${String(b.config.get('super.users') ?? '(none)')}, allow.everyone.if.no.acl.found=${String(b.config.bool('allow.everyone.if.no.acl.found'))}, ${metadata.image().acls().length} ACL bindings`);
  }
  const mutationQuotas = new ControllerMutationQuotas({ image: () => metadata.image(), clock: b.clock, windowMs: b.config.int('controller.quota.window.size.seconds') * 1000, numWindows: b.config.int('controller.quota.window.num') });
  const services: HandlerServices = {
    schemaIds: () => schemaIds,
    aclsEnabled: authorizer !== undefined && !authorizer.allowsEverything,
    nodeId: b.nodeId,
    controllerId: cluster !== null ? () => cluster.controllerId : () => b.nodeId,
    config: b.config,
    clock: b.clock,
    scheduler: b.scheduler,
    metadata,
    scramStore: metadata,
    topics: b.topics,
    replicas: b.replicas,
    logs: b.logs,
    groups: b.groups,
    txnCoordinator: b.txnCoordinator,
    shareGroups: b.shares.shareGroups,
    sharePartitions: b.shares.sharePartitions,
    shareState: b.shares.store,
    fetchSessions: b.fetchSessions,
    requestBudget: b.requestBudget,
    conversions: b.conversions,
    replicaSelector: replicaSelectorFor(b.config.str('replica.selector.class')),
    followerReads: b.followerReads,
    ...(cluster === null ? {} : { leadershipInDoubt: () => cluster.leadershipInDoubt() }),
    pools: b.pools,
    logger: b.logger,
    elections: b.cluster === null ? null : leaderElector(b.cluster.store),
    assignments: cluster?.store ?? null,
    registrations: cluster === null ? null : { unregister: (id: number) => cluster.unregister(id) },
    leaderThrottle,
    topicStats: b.topicStats,
    replicationStats: b.replicationStats,
    mutationQuotas,
    zeroCopy: zeroCopyAvailable && b.config.bool('fetch.zero.copy.enable'),
  };
  const topicNames = {
    nameOfId: (topicId: string) => metadata.image().topicById(topicId)?.name,
    exists: (name: string) => metadata.image().topic(name) !== undefined,
    autoCreateTopics: () => b.config.bool('auto.create.topics.enable'),
  };
  // Client quotas from the metadata (AlterClientQuotas), unless the embedder gave its own quota step.
  const quotas = gateOptions.quotas ?? new ClientQuotaManager({ image: () => metadata.image(), clock: b.clock, windowMs: b.config.int('quota.window.size.seconds') * 1000, numWindows: b.config.int('quota.window.num'), fetchSessions: b.fetchSessions, mutations: mutationQuotas });
  const gate = new RequestGate(topicNames, { ...gateOptions, quotas, ...(authorizer === undefined ? {} : { authorizer }) });
  return new RequestRouter(buildHandlers(services), gate, b.pools.logReads, b.logger, b.observability?.requests ?? null);
}
