/**
 * Every API handler this broker serves, built from the services `broker.ts` composes: each handler
 * that needs some names them in its own `...Deps` interface (narrow views of the real classes),
 * and `HandlerServices` is what all of them need together. The router and ApiVersions are built
 * from the returned list (ApiVersions receives the list itself, never the broker).
 */
import type { ApiHandler } from '../handler.js';
import { produceHandler, type ProduceDeps } from './00-produce.js';
import { fetchHandler, type FetchDeps } from './01-fetch.js';
import { listOffsetsHandler, type ListOffsetsDeps } from './02-list-offsets.js';
import { metadataHandler, type MetadataDeps } from './03-metadata.js';
import { offsetCommitHandler, type OffsetCommitDeps } from './08-offset-commit.js';
import { offsetFetchHandler } from './09-offset-fetch.js';
import { findCoordinatorHandler, type FindCoordinatorDeps } from './10-find-coordinator.js';
import { joinGroupHandler } from './11-join-group.js';
import { heartbeatHandler } from './12-heartbeat.js';
import { describeAclsHandler } from './29-describe-acls.js';
import type { AclDeps } from './acl-deps.js';
import { createAclsHandler } from './30-create-acls.js';
import { deleteAclsHandler } from './31-delete-acls.js';
import { leaveGroupHandler } from './13-leave-group.js';
import { syncGroupHandler } from './14-sync-group.js';
import { describeGroupsHandler } from './15-describe-groups.js';
import { listGroupsHandler } from './16-list-groups.js';
import { deleteGroupsHandler } from './42-delete-groups.js';
import { consumerGroupHeartbeatHandler } from './68-consumer-group-heartbeat.js';
import { consumerGroupDescribeHandler } from './69-consumer-group-describe.js';
import { offsetDeleteHandler, type OffsetDeleteDeps } from './47-offset-delete.js';
import { apiVersionsHandler } from './18-api-versions.js';
import { offsetForLeaderEpochHandler, type OffsetForLeaderEpochDeps } from './23-offset-for-leader-epoch.js';
import { createTopicsHandler, type CreateTopicsDeps } from './19-create-topics.js';
import { deleteTopicsHandler, type DeleteTopicsDeps } from './20-delete-topics.js';
import { describeConfigsHandler, type DescribeConfigsDeps } from './32-describe-configs.js';
import { deleteRecordsHandler, type DeleteRecordsDeps } from './21-delete-records.js';
import { alterConfigsHandler } from './33-alter-configs.js';
import { incrementalAlterConfigsHandler } from './44-incremental-alter-configs.js';
import { describeLogDirsHandler, type DescribeLogDirsDeps } from './35-describe-log-dirs.js';
import { createPartitionsHandler, type CreatePartitionsDeps } from './37-create-partitions.js';
import { describeClusterHandler, type DescribeClusterDeps } from './60-describe-cluster.js';
import { initProducerIdHandler, type InitProducerIdDeps } from './22-init-producer-id.js';
import { addPartitionsToTxnHandler, type AddPartitionsToTxnDeps } from './24-add-partitions-to-txn.js';
import { addOffsetsToTxnHandler, type AddOffsetsToTxnDeps } from './25-add-offsets-to-txn.js';
import { endTxnHandler, type EndTxnDeps } from './26-end-txn.js';
import { writeTxnMarkersHandler, type WriteTxnMarkersDeps } from './27-write-txn-markers.js';
import { txnOffsetCommitHandler, type TxnOffsetCommitDeps } from './28-txn-offset-commit.js';
import { describeProducersHandler, type DescribeProducersDeps } from './61-describe-producers.js';
import { describeTransactionsHandler, type DescribeTransactionsDeps } from './65-describe-transactions.js';
import { listTransactionsHandler, type ListTransactionsDeps } from './66-list-transactions.js';
import { alterReplicaLogDirsHandler, type AlterReplicaLogDirsDeps } from './34-alter-replica-log-dirs.js';
import { electLeadersHandler, type ElectLeadersDeps } from './43-elect-leaders.js';
import { alterPartitionReassignmentsHandler, type AlterPartitionReassignmentsDeps } from './45-alter-partition-reassignments.js';
import { listPartitionReassignmentsHandler, type ListPartitionReassignmentsDeps } from './46-list-partition-reassignments.js';
import { unregisterBrokerHandler, type UnregisterBrokerDeps } from './64-unregister-broker.js';
import { describeTopicPartitionsHandler, type DescribeTopicPartitionsDeps } from './75-describe-topic-partitions.js';
import { saslHandshakeHandler } from './17-sasl-handshake.js';
import { saslAuthenticateHandler } from './36-sasl-authenticate.js';
import { describeUserScramCredentialsHandler } from './50-describe-user-scram-credentials.js';
import type { ScramDeps } from './scram-deps.js';
import { alterUserScramCredentialsHandler } from './51-alter-user-scram-credentials.js';
import { describeClientQuotasHandler, type DescribeClientQuotasDeps } from './48-describe-client-quotas.js';
import { alterClientQuotasHandler, type AlterClientQuotasDeps } from './49-alter-client-quotas.js';
import type { ConfigResourceDeps } from './config-resources.js';
import type { GroupDeps } from './group-context.js';
import type { ShareDeps } from './share-deps.js';
import { shareGroupHeartbeatHandler } from './76-share-group-heartbeat.js';
import { shareGroupDescribeHandler } from './77-share-group-describe.js';
import { shareFetchHandler } from './78-share-fetch.js';
import { shareAcknowledgeHandler } from './79-share-acknowledge.js';
import { initializeShareGroupStateHandler } from './83-initialize-share-group-state.js';
import { readShareGroupStateHandler } from './84-read-share-group-state.js';
import { writeShareGroupStateHandler } from './85-write-share-group-state.js';
import { deleteShareGroupStateHandler } from './86-delete-share-group-state.js';
import { readShareGroupStateSummaryHandler } from './87-read-share-group-state-summary.js';

/** The services all handlers together use (ApiVersions' handler list is built here). */
export type HandlerServices = ScramDeps &
  ProduceDeps &
  FetchDeps &
  ListOffsetsDeps &
  MetadataDeps &
  OffsetCommitDeps &
  GroupDeps &
  ShareDeps &
  FindCoordinatorDeps &
  OffsetDeleteDeps &
  OffsetForLeaderEpochDeps &
  CreateTopicsDeps &
  DeleteTopicsDeps &
  DescribeConfigsDeps &
  DeleteRecordsDeps &
  ConfigResourceDeps &
  DescribeLogDirsDeps &
  CreatePartitionsDeps &
  DescribeClusterDeps &
  InitProducerIdDeps &
  AddPartitionsToTxnDeps &
  AddOffsetsToTxnDeps &
  EndTxnDeps &
  WriteTxnMarkersDeps &
  TxnOffsetCommitDeps &
  DescribeProducersDeps &
  DescribeTransactionsDeps &
  ListTransactionsDeps &
  AlterReplicaLogDirsDeps &
  ElectLeadersDeps &
  AlterPartitionReassignmentsDeps &
  ListPartitionReassignmentsDeps &
  UnregisterBrokerDeps &
  DescribeTopicPartitionsDeps &
  AclDeps &

  DescribeClientQuotasDeps &
  AlterClientQuotasDeps;

/** The handlers of every API key served, given the broker's services. */
export function buildHandlers(services: HandlerServices): readonly ApiHandler<unknown, unknown>[] {
  const handlers: ApiHandler<unknown, unknown>[] = [];
  const built = [
    produceHandler(services),
    fetchHandler(services),
    listOffsetsHandler(services),
    metadataHandler(services),
    offsetCommitHandler(services),
    offsetFetchHandler(services),
    findCoordinatorHandler(services),
    joinGroupHandler(services),
    heartbeatHandler(services),
    leaveGroupHandler(services),
    syncGroupHandler(services),
    describeGroupsHandler(services),
    listGroupsHandler(services),
    deleteGroupsHandler(services),
    offsetDeleteHandler(services),
    apiVersionsHandler({ handlers: () => handlers }),
    offsetForLeaderEpochHandler(services),
    createTopicsHandler(services),
    deleteTopicsHandler(services),
    describeConfigsHandler(services),
    deleteRecordsHandler(services),
    alterConfigsHandler(services),
    incrementalAlterConfigsHandler(services),
    describeLogDirsHandler(services),
    createPartitionsHandler(services),
    describeClusterHandler(services),
    initProducerIdHandler(services),
    addPartitionsToTxnHandler(services),
    addOffsetsToTxnHandler(services),
    endTxnHandler(services),
    writeTxnMarkersHandler(services),
    describeAclsHandler(services),
    createAclsHandler(services),
    deleteAclsHandler(services),
    txnOffsetCommitHandler(services),
    describeProducersHandler(services),
    describeTransactionsHandler(services),
    listTransactionsHandler(services),
    alterReplicaLogDirsHandler(services),
    electLeadersHandler(services),
    alterPartitionReassignmentsHandler(services),
    listPartitionReassignmentsHandler(services),
    unregisterBrokerHandler(services),
    describeTopicPartitionsHandler(services),
    saslHandshakeHandler,
    saslAuthenticateHandler,
    describeUserScramCredentialsHandler(services),
    alterUserScramCredentialsHandler(services),
    describeClientQuotasHandler(services),
    alterClientQuotasHandler(services),
    // KIP-848, unless group.coordinator.rebalance.protocols leaves `consumer` out.
    ...(services.groups.consumerSettings.enabled === false ? [] : [consumerGroupHeartbeatHandler(services), consumerGroupDescribeHandler(services)]),
    // KIP-932, when group.coordinator.rebalance.protocols includes `share`.
    ...(services.shareGroups.settings.enabled ? [shareGroupHeartbeatHandler(services), shareGroupDescribeHandler(services), shareFetchHandler(services), shareAcknowledgeHandler(services), initializeShareGroupStateHandler(services), readShareGroupStateHandler(services), writeShareGroupStateHandler(services), deleteShareGroupStateHandler(services), readShareGroupStateSummaryHandler(services)] : []),
  ] as unknown as readonly ApiHandler<unknown, unknown>[];
  handlers.push(...built);
  return handlers;
}
