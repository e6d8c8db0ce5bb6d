/**
 * How the broker builds its coordinators (group, with the share groups beside it, and
 * transaction) from narrow dependencies (coordinator/deps.ts, built by coordinator-deps.ts; the
 * coordinators never see the Broker) and links them to the rest of it. Kafka's rules kept: each
 * coordinator loads and serves the partitions of its internal topic (`__consumer_offsets`,
 * `__transaction_state`) that this broker leads and unloads those it stops leading (Kafka's
 * onElection / onResignation), a transaction marker written to `__consumer_offsets` completes or
 * aborts that producer's pending offset commits in the group coordinator, and in a cluster the
 * transaction coordinator sends its markers to the leaders of the data partitions
 * (WriteTxnMarkers over the inter-broker listener, txn-marker-routing.ts). Samsa's deviation: the
 * marker send backoff is a fixed 100 ms.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import type { InterBrokerSecurity } from '../config/inter-broker-security.js';
import type { Logger } from '../common/logger.js';
import type { Scheduler } from '../common/scheduler.js';
import type { CoordinatorDeps } from '../coordinator/deps.js';
import type { MetadataStore } from '../metadata/store.js';
import { GroupCoordinator, OFFSETS_TOPIC } from '../group/coordinator.js';
import { TransactionCoordinator } from '../txn/coordinator.js';
import { TRANSACTION_STATE_TOPIC } from '../txn/txn-log.js';
import { groupCoordinatorSettings, internalTopics, metadataView, partitionWriter, txnCoordinatorSettings } from './coordinator-deps.js';
import type { PartitionRoles } from './partition-roles.js';
import { producerIdBlocks } from './producer-id-blocks.js';
import type { ReplicaManager } from './replica-manager.js';
import { buildShareServices, type ShareServices } from './share/share-services.js';
import type { TopicController } from './topic-controller.js';
import { TxnMarkerRouting } from './txn-marker-routing.js';

/** What the broker gives to build its coordinators (its parts, never itself). */
export interface CoordinatorHost {
  readonly config: BrokerConfig;
  readonly nodeId: number;
  readonly replicas: ReplicaManager;
  readonly topics: TopicController;
  readonly metadata: MetadataStore;
  readonly roles: PartitionRoles;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly interBroker: InterBrokerSecurity;
}

/** Where the broker keeps its coordinators: each is set as soon as it is built, so a start-up failing after it still stops it. */
export interface CoordinatorSlots {
  groups: GroupCoordinator;
  shares: ShareServices;
  txnCoordinator: TransactionCoordinator;
}

/** The coordinators' narrow dependencies, shared by all of them (settings apart). */
export type SharedCoordinatorDeps = Omit<CoordinatorDeps<unknown>, 'settings' | 'logger'>;

export function sharedCoordinatorDeps(h: CoordinatorHost): SharedCoordinatorDeps {
  return {
    writer: partitionWriter(h.replicas, { scheduler: h.scheduler, commitTimeoutMs: h.config.int('offsets.commit.timeout.ms') }),
    internal: internalTopics(h.replicas, h.topics, h.config),
    metadata: metadataView(h.metadata, h.replicas, h.topics),
    scheduler: h.scheduler,
  };
}

/**
 * The group coordinator, with the share groups' shard attached before it loads its partitions
 * (share records replay into it), started: the `__consumer_offsets` partitions led here are loaded.
 */
export function startGroupCoordinator(h: CoordinatorHost, deps: SharedCoordinatorDeps, into: Pick<CoordinatorSlots, 'groups' | 'shares'>): void {
  const groups = new GroupCoordinator({ ...deps, logger: h.logger.child('group-coordinator'), settings: groupCoordinatorSettings(h.config) });
  into.groups = groups;
  into.shares = buildShareServices({ ...deps, logger: h.logger }, h.config, h.replicas, h.metadata, h.topics, groups, { localId: h.nodeId, interBroker: h.interBroker });
  groups.start();
}

/**
 * The transaction coordinator (producer ids above `idFloor`; in a cluster its markers go out
 * through `markerRouting`), started and linked: the group coordinator follows its markers, and
 * both coordinators and the share groups follow the leadership of their partitions from now on.
 */
export function startTxnCoordinator(h: CoordinatorHost, deps: SharedCoordinatorDeps, into: CoordinatorSlots, idFloor: bigint, markerRouting: TxnMarkerRouting | null): void {
  const txn = new TransactionCoordinator({ ...deps, logger: h.logger.child('txn-coordinator'), settings: txnCoordinatorSettings(h.config), producerIdBlocks: producerIdBlocks(h.metadata, h.nodeId, idFloor), markerRouting });
  into.txnCoordinator = txn;
  groupsFollowTxnMarkers(txn, into.groups);
  txn.start();
  coordinatorsFollowLeadership(h.roles, into.groups, txn);
  into.shares.followLeadership(h.roles);
}

/** In a cluster: the transaction coordinator's WriteTxnMarkers channel to other leaders. */
export function txnMarkerRouting(config: BrokerConfig, deps: { localId: number; metadata: MetadataStore; replicas: ReplicaManager; interBroker: InterBrokerSecurity; scheduler: Scheduler; logger: Logger }): TxnMarkerRouting {
  return new TxnMarkerRouting({
    localId: deps.localId,
    metadata: deps.metadata,
    replicas: deps.replicas,
    listenerName: deps.interBroker.listenerName,
    security: deps.interBroker.security,
    scheduler: deps.scheduler,
    backoffMs: 100,
    requestTimeoutMs: config.int('replica.socket.timeout.ms'),
    logger: deps.logger.child('txn-markers'),
  });
}

/** The group coordinator learns of the transaction markers written to `__consumer_offsets`. */
function groupsFollowTxnMarkers(txn: TransactionCoordinator, groups: GroupCoordinator): void {
  txn.markers.onMarker((topic, partition, marker) => {
    if (topic === OFFSETS_TOPIC) groups.onTransactionMarker(partition, marker.producerId, marker.commit);
  });
}

/** From now on the coordinators follow the leadership of their partitions (they loaded those led at start). */
function coordinatorsFollowLeadership(roles: PartitionRoles, groups: GroupCoordinator, txn: TransactionCoordinator): void {
  roles.onRoleChange({
    becameLeader: (p) => (p.topic === OFFSETS_TOPIC ? groups.onBecameLeader(p.index) : p.topic === TRANSACTION_STATE_TOPIC ? txn.onBecameLeader(p.index) : undefined),
    becameFollower: (p) => (p.topic === OFFSETS_TOPIC ? groups.onBecameFollower(p.index) : p.topic === TRANSACTION_STATE_TOPIC ? txn.onBecameFollower(p.index) : undefined),
  });
}
