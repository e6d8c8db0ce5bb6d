/**
 * How the broker links its two coordinators to the rest of it. Kafka's rules kept: each
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
import type { MetadataStore } from '../metadata/store.js';
import { OFFSETS_TOPIC, type GroupCoordinator } from '../group/coordinator.js';
import type { TransactionCoordinator } from '../txn/coordinator.js';
import { TRANSACTION_STATE_TOPIC } from '../txn/txn-log.js';
import type { PartitionRoles } from './partition-roles.js';
import type { ReplicaManager } from './replica-manager.js';
import { TxnMarkerRouting } from './txn-marker-routing.js';

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
export function groupsFollowTxnMarkers(txn: TransactionCoordinator, groups: GroupCoordinator): void {
  txn.markers.onMarker((topic, partition, marker) => {
    if (topic === OFFSETS_TOPIC) groups.onTransactionMarker(partition, marker.producerId, marker.commit);
  });
}

/** From now on the coordinators follow the leadership of their partitions (they loaded those led at start). */
export function coordinatorsFollowLeadership(roles: PartitionRoles, groups: GroupCoordinator, txn: TransactionCoordinator): void {
  roles.onRoleChange({
    becameLeader: (p) => (p.topic === OFFSETS_TOPIC ? groups.onBecameLeader(p.index) : p.topic === TRANSACTION_STATE_TOPIC ? txn.onBecameLeader(p.index) : undefined),
    becameFollower: (p) => (p.topic === OFFSETS_TOPIC ? groups.onBecameFollower(p.index) : p.topic === TRANSACTION_STATE_TOPIC ? txn.onBecameFollower(p.index) : undefined),
  });
}
