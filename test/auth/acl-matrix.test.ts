/**
 * Must-show 2 of issue 15: the authorization matrix. For every API the broker serves, a request
 * from User:ANONYMOUS (PLAINTEXT, from 127.0.0.1) without the needed ACL is refused with Kafka's
 * error code, and the same request succeeds once the ACL in the table is granted (then the grant
 * is removed again). "Succeeds" means no authorization error anywhere in the answer; the table
 * names the code the allowed request gets when the broker's state makes it fail for another reason
 * (e.g. Heartbeat of an unknown member: UNKNOWN_MEMBER_ID shows the request got past the gate).
 * ACLs are managed over the wire (CreateAcls / DeleteAcls) by an admin connection from 127.0.0.2
 * holding ALL on the cluster through a host-based ACL. The broker runs with
 * authorizer.class.name=StandardAuthorizer and allow.everyone.if.no.acl.found=true (bootstrap
 * only: a placeholder ACL on `*` of every resource type makes every resource "have ACLs", so the
 * default answer for the client is DENIED, as with allow.everyone.if.no.acl.found=false).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { AclOp, AclResourceType as R, PatternType, type AclBinding } from '../../src/auth/acl.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import type { ProtocolClient } from '../../src/client/protocol-client.js';
import { ADMIN_HOST, CLIENT_HOST, bootstrapAcls, connectFrom, createAcls, deleteAcls, errorCodes, grant } from './acl-helpers.js';

const E = ErrorCode;
const AUTH_ERRORS: ReadonlySet<number> = new Set([E.TOPIC_AUTHORIZATION_FAILED, E.GROUP_AUTHORIZATION_FAILED, E.CLUSTER_AUTHORIZATION_FAILED, E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]);
const T = 'acl-t';
const G = 'acl-g';
const X = 'acl-tx';
const CLUSTER = 'kafka-cluster';

let broker: RunningBroker;
let admin: ProtocolClient;
let client: ProtocolClient;

before(async () => {
  broker = await startBroker({
    port: 0,
    config: { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'allow.everyone.if.no.acl.found': 'true', 'auto.create.topics.enable': 'false', 'num.partitions': 1 },
    logger: { level: 'warn' },
  });
  admin = await connectFrom(broker.port, ADMIN_HOST);
  client = await connectFrom(broker.port, CLIENT_HOST);
  await bootstrapAcls(admin);
  for (const name of [T, 'acl-del', 'acl-dr']) {
    const res = await admin.request<{ topics: { errorCode: number }[] }>(19, 7, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
    assert.equal(res.topics[0]?.errorCode, 0, `create ${name}`);
  }
});

after(async () => {
  admin?.close();
  client?.close();
  await broker?.stop();
});

const batch = (): Buffer => encodeRecordBatch({ baseOffset: 0n, records: [{ key: null, value: Buffer.from('v') }] });
const fetchPartition = { partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 };

interface Row {
  readonly api: string;
  readonly apiKey: number;
  readonly version: number;
  readonly body: () => unknown;
  /** The error a request without the ACL gets (somewhere in the answer). */
  readonly denied: number;
  /** The ACLs that make it pass. */
  readonly grants: readonly AclBinding[];
  /** ACLs held in both cases (the row checks one step past them). */
  readonly given?: readonly AclBinding[];
  /** The codes the allowed request may get (default: only 0). */
  readonly allowed?: readonly number[];
}

/** The table: API, version, error without the ACL, the ACL that allows it. */
const rows: Row[] = [
  { api: 'Produce', apiKey: 0, version: 9, denied: E.TOPIC_AUTHORIZATION_FAILED, grants: [grant(R.TOPIC, T, AclOp.WRITE)], body: () => ({ transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: T, partitionData: [{ index: 0, records: batch() }] }] }) },
  { api: 'Produce (transactional id)', apiKey: 0, version: 9, denied: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, grants: [grant(R.TRANSACTIONAL_ID, X, AclOp.WRITE), grant(R.TOPIC, T, AclOp.WRITE)], allowed: [E.INVALID_RECORD, E.INVALID_PRODUCER_ID_MAPPING, E.INVALID_TXN_STATE, E.UNKNOWN_PRODUCER_ID, E.TRANSACTION_COORDINATOR_FENCED], body: () => ({ transactionalId: X, acks: 1, timeoutMs: 5000, topicData: [{ name: T, partitionData: [{ index: 0, records: batch() }] }] }) },
  { api: 'Fetch', apiKey: 1, version: 12, denied: E.TOPIC_AUTHORIZATION_FAILED, grants: [grant(R.TOPIC, T, AclOp.READ)], body: () => ({ replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: T, partitions: [fetchPartition] }], forgottenTopicsData: [], rackId: '' }) },
  { api: 'Fetch (follower)', apiKey: 1, version: 12, denied: E.TOPIC_AUTHORIZATION_FAILED, grants: [grant(R.CLUSTER, CLUSTER, AclOp.CLUSTER_ACTION)], allowed: [E.NOT_LEADER_OR_FOLLOWER, E.UNKNOWN_LEADER_EPOCH, E.FENCED_LEADER_EPOCH, E.REPLICA_NOT_AVAILABLE], body: () => ({ replicaId: 7, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: T, partitions: [fetchPartition] }], forgottenTopicsData: [], rackId: '' }) },
  { api: 'ListOffsets (DESCRIBE implied by READ)', apiKey: 2, version: 7, denied: E.TOPIC_AUTHORIZATION_FAILED, grants: [grant(R.TOPIC, T, AclOp.READ)], body: () => ({ replicaId: -1, isolationLevel: 0, topics: [{ name: T, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] }) },
  { api: 'Metadata (named topic)', apiKey: 3, version: 12, denied: E.TOPIC_AUTHORIZATION_FAILED, grants: [grant(R.TOPIC, T, AclOp.DESCRIBE)], body: () => ({ topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: T }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }) },
  { api: 'OffsetCommit (group)', apiKey: 8, version: 8, denied: E.GROUP_AUTHORIZATION_FAILED, grants: [grant(R.GROUP, G, AclOp.READ), grant(R.TOPIC, T, AclOp.READ)], body: () => ({ groupId: G, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: T, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: '' }] }] }) },
  { api: 'OffsetCommit (topic)', apiKey: 8, version: 8, denied: E.TOPIC_AUTHORIZATION_FAILED, given: [grant(R.GROUP, 'acl-g-read', AclOp.READ)], grants: [grant(R.TOPIC, T, AclOp.READ)], body: () => ({ groupId: 'acl-g-read', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: T, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: '' }] }] }) },
  { api: 'OffsetFetch', apiKey: 9, version: 7, denied: E.GROUP_AUTHORIZATION_FAILED, grants: [grant(R.GROUP, G, AclOp.DESCRIBE), grant(R.TOPIC, T, AclOp.DESCRIBE)], body: () => ({ groupId: G, topics: [{ name: T, partitionIndexes: [0] }], requireStable: false }) },
  { api: 'OffsetFetch v8 (groups)', apiKey: 9, version: 8, denied: E.GROUP_AUTHORIZATION_FAILED, grants: [grant(R.GROUP, G, AclOp.DESCRIBE)], body: () => ({ groups: [{ groupId: G, topics: null }], requireStable: false }) },
  { api: 'FindCoordinator (group)', apiKey: 10, version: 3, denied: E.GROUP_AUTHORIZATION_FAILED, grants: [grant(R.GROUP, G, AclOp.DESCRIBE)], body: () => ({ key: G, keyType: 0 }) },
  { api: 'FindCoordinator v4 (transaction)', apiKey: 10, version: 4, denied: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, grants: [grant(R.TRANSACTIONAL_ID, X, AclOp.DESCRIBE)], body: () => ({ keyType: 1, coordinatorKeys: [X] }) },
  { api: 'JoinGroup', apiKey: 11, version: 5, denied: E.GROUP_AUTHORIZATION_FAILED, grants: [grant(R.GROUP, G, AclOp.READ)], allowed: [E.MEMBER_ID_REQUIRED], body: () => ({ groupId: G, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] }) },
  { api: 'Heartbeat', apiKey: 12, version: 4, denied: E.GROUP_AUTHORIZATION_FAILED, grants: [grant(R.GROUP, G, AclOp.READ)], allowed: [E.UNKNOWN_MEMBER_ID], body: () => ({ groupId: G, generationId: 1, memberId: 'm', groupInstanceId: null }) },
  { api: 'LeaveGroup', apiKey: 13, version: 4, denied: E.GROUP_AUTHORIZATION_FAILED, grants: [grant(R.GROUP, G, AclOp.READ)], allowed: [E.UNKNOWN_MEMBER_ID], body: () => ({ groupId: G, members: [{ memberId: 'm', groupInstanceId: null }] }) },
  { api: 'SyncGroup', apiKey: 14, version: 4, denied: E.GROUP_AUTHORIZATION_FAILED, grants: [grant(R.GROUP, G, AclOp.READ)], allowed: [E.UNKNOWN_MEMBER_ID], body: () => ({ groupId: G, generationId: 1, memberId: 'm', groupInstanceId: null, assignments: [] }) },
  { api: 'DescribeGroups', apiKey: 15, version: 5, denied: E.GROUP_AUTHORIZATION_FAILED, grants: [grant(R.GROUP, G, AclOp.DESCRIBE)], body: () => ({ groups: [G], includeAuthorizedOperations: false }) },
  { api: 'CreateTopics (CREATE on topic)', apiKey: 19, version: 7, denied: E.TOPIC_AUTHORIZATION_FAILED, grants: [grant(R.TOPIC, 'acl-new-', AclOp.CREATE, { patternType: PatternType.PREFIXED })], body: () => ({ topics: [{ name: `acl-new-${Math.random().toString(36).slice(2, 8)}`, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: true }) },
  { api: 'CreateTopics (CREATE on cluster)', apiKey: 19, version: 7, denied: E.TOPIC_AUTHORIZATION_FAILED, grants: [grant(R.CLUSTER, CLUSTER, AclOp.CREATE)], body: () => ({ topics: [{ name: 'acl-any', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: true }) },
  { api: 'DeleteTopics', apiKey: 20, version: 6, denied: E.TOPIC_AUTHORIZATION_FAILED, grants: [grant(R.TOPIC, 'acl-del', AclOp.DELETE)], body: () => ({ topics: [{ name: 'acl-del', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], timeoutMs: 10_000 }) },
  { api: 'DeleteRecords', apiKey: 21, version: 2, denied: E.TOPIC_AUTHORIZATION_FAILED, grants: [grant(R.TOPIC, 'acl-dr', AclOp.DELETE)], body: () => ({ topics: [{ name: 'acl-dr', partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 5000 }) },
  { api: 'InitProducerId (transactional)', apiKey: 22, version: 4, denied: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, grants: [grant(R.TRANSACTIONAL_ID, X, AclOp.WRITE)], allowed: [E.COORDINATOR_LOAD_IN_PROGRESS, E.COORDINATOR_NOT_AVAILABLE], body: () => ({ transactionalId: X, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }) },
  { api: 'InitProducerId (idempotent: IDEMPOTENT_WRITE)', apiKey: 22, version: 4, denied: E.CLUSTER_AUTHORIZATION_FAILED, grants: [grant(R.CLUSTER, CLUSTER, AclOp.IDEMPOTENT_WRITE)], body: () => ({ transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }) },
  { api: 'InitProducerId (idempotent: WRITE on a topic)', apiKey: 22, version: 4, denied: E.CLUSTER_AUTHORIZATION_FAILED, grants: [grant(R.TOPIC, T, AclOp.WRITE)], body: () => ({ transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }) },
  { api: 'OffsetForLeaderEpoch', apiKey: 23, version: 4, denied: E.TOPIC_AUTHORIZATION_FAILED, grants: [grant(R.TOPIC, T, AclOp.DESCRIBE)], body: () => ({ replicaId: -1, topics: [{ topic: T, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] }) },
  { api: 'AddPartitionsToTxn (transactional id)', apiKey: 24, version: 3, denied: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, grants: [grant(R.TRANSACTIONAL_ID, X, AclOp.WRITE), grant(R.TOPIC, T, AclOp.WRITE)], allowed: [E.INVALID_PRODUCER_ID_MAPPING, E.INVALID_PRODUCER_EPOCH, E.PRODUCER_FENCED, E.INVALID_TXN_STATE], body: () => ({ v3AndBelowTransactionalId: X, v3AndBelowProducerId: 999n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: T, partitions: [0] }] }) },
  { api: 'AddPartitionsToTxn (topic)', apiKey: 24, version: 3, denied: E.TOPIC_AUTHORIZATION_FAILED, given: [grant(R.TRANSACTIONAL_ID, 'acl-tx-w', AclOp.WRITE)], grants: [grant(R.TOPIC, T, AclOp.WRITE)], allowed: [E.INVALID_PRODUCER_ID_MAPPING, E.INVALID_PRODUCER_EPOCH, E.PRODUCER_FENCED, E.INVALID_TXN_STATE], body: () => ({ v3AndBelowTransactionalId: 'acl-tx-w', v3AndBelowProducerId: 999n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: T, partitions: [0] }] }) },
  { api: 'AddOffsetsToTxn', apiKey: 25, version: 3, denied: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, grants: [grant(R.TRANSACTIONAL_ID, X, AclOp.WRITE), grant(R.GROUP, G, AclOp.READ)], allowed: [E.INVALID_PRODUCER_ID_MAPPING, E.INVALID_PRODUCER_EPOCH, E.PRODUCER_FENCED, E.INVALID_TXN_STATE], body: () => ({ transactionalId: X, producerId: 999n, producerEpoch: 0, groupId: G }) },
  { api: 'EndTxn', apiKey: 26, version: 3, denied: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, grants: [grant(R.TRANSACTIONAL_ID, X, AclOp.WRITE)], allowed: [E.INVALID_PRODUCER_ID_MAPPING, E.INVALID_PRODUCER_EPOCH, E.PRODUCER_FENCED, E.INVALID_TXN_STATE], body: () => ({ transactionalId: X, producerId: 999n, producerEpoch: 0, committed: false }) },
  { api: 'WriteTxnMarkers', apiKey: 27, version: 1, denied: E.CLUSTER_AUTHORIZATION_FAILED, grants: [grant(R.CLUSTER, CLUSTER, AclOp.CLUSTER_ACTION)], allowed: [E.UNKNOWN_TOPIC_OR_PARTITION], body: () => ({ markers: [{ producerId: 1n, producerEpoch: 0, transactionResult: false, coordinatorEpoch: 0, topics: [{ name: 'acl-no-such-topic', partitionIndexes: [0] }] }] }) },
  { api: 'TxnOffsetCommit', apiKey: 28, version: 3, denied: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, grants: [grant(R.TRANSACTIONAL_ID, X, AclOp.WRITE), grant(R.GROUP, G, AclOp.READ), grant(R.TOPIC, T, AclOp.READ)], allowed: [E.INVALID_PRODUCER_ID_MAPPING, E.INVALID_PRODUCER_EPOCH, E.PRODUCER_FENCED, E.INVALID_TXN_STATE, E.UNKNOWN_MEMBER_ID, E.ILLEGAL_GENERATION], body: () => ({ transactionalId: X, groupId: G, producerId: 999n, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: T, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: '' }] }] }) },
  { api: 'DescribeAcls', apiKey: 29, version: 3, denied: E.CLUSTER_AUTHORIZATION_FAILED, grants: [grant(R.CLUSTER, CLUSTER, AclOp.DESCRIBE)], body: () => ({ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }) },
  { api: 'CreateAcls', apiKey: 30, version: 3, denied: E.CLUSTER_AUTHORIZATION_FAILED, grants: [grant(R.CLUSTER, CLUSTER, AclOp.ALTER)], body: () => ({ creations: [{ resourceType: R.TOPIC, resourceName: 'acl-made', resourcePatternType: 3, principal: 'User:someone', host: '*', operation: AclOp.READ, permissionType: 3 }] }) },
  { api: 'DeleteAcls', apiKey: 31, version: 3, denied: E.CLUSTER_AUTHORIZATION_FAILED, grants: [grant(R.CLUSTER, CLUSTER, AclOp.ALTER)], body: () => ({ filters: [{ resourceTypeFilter: R.TOPIC, resourceNameFilter: 'acl-made', patternTypeFilter: 3, principalFilter: 'User:someone', hostFilter: null, operation: 1, permissionType: 1 }] }) },
  { api: 'DescribeConfigs (topic)', apiKey: 32, version: 4, denied: E.TOPIC_AUTHORIZATION_FAILED, grants: [grant(R.TOPIC, T, AclOp.DESCRIBE_CONFIGS)], body: () => ({ resources: [{ resourceType: 2, resourceName: T, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }) },
  { api: 'DescribeConfigs (broker; DESCRIBE_CONFIGS implied by ALTER_CONFIGS)', apiKey: 32, version: 4, denied: E.CLUSTER_AUTHORIZATION_FAILED, grants: [grant(R.CLUSTER, CLUSTER, AclOp.ALTER_CONFIGS)], body: () => ({ resources: [{ resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions'] }], includeSynonyms: false, includeDocumentation: false }) },
  { api: 'AlterConfigs (topic)', apiKey: 33, version: 2, denied: E.TOPIC_AUTHORIZATION_FAILED, grants: [grant(R.TOPIC, T, AclOp.ALTER_CONFIGS)], body: () => ({ resources: [{ resourceType: 2, resourceName: T, configs: [{ name: 'retention.ms', value: '600000' }] }], validateOnly: true }) },
  { api: 'AlterReplicaLogDirs', apiKey: 34, version: 2, denied: E.CLUSTER_AUTHORIZATION_FAILED, grants: [grant(R.CLUSTER, CLUSTER, AclOp.ALTER)], allowed: [E.LOG_DIR_NOT_FOUND, E.KAFKA_STORAGE_ERROR, E.UNKNOWN_TOPIC_OR_PARTITION], body: () => ({ dirs: [{ path: '/acl-no-such-dir', topics: [{ name: T, partitions: [0] }] }] }) },
  { api: 'DescribeLogDirs', apiKey: 35, version: 4, denied: E.CLUSTER_AUTHORIZATION_FAILED, grants: [grant(R.CLUSTER, CLUSTER, AclOp.DESCRIBE)], body: () => ({ topics: null }) },
  { api: 'CreatePartitions', apiKey: 37, version: 3, denied: E.TOPIC_AUTHORIZATION_FAILED, grants: [grant(R.TOPIC, T, AclOp.ALTER)], body: () => ({ topics: [{ name: T, count: 2, assignments: null }], timeoutMs: 10_000, validateOnly: true }) },
  { api: 'DeleteGroups', apiKey: 42, version: 2, denied: E.GROUP_AUTHORIZATION_FAILED, grants: [grant(R.GROUP, 'acl-g-none', AclOp.DELETE)], allowed: [E.GROUP_ID_NOT_FOUND], body: () => ({ groupsNames: ['acl-g-none'] }) },
  { api: 'ElectLeaders', apiKey: 43, version: 2, denied: E.CLUSTER_AUTHORIZATION_FAILED, grants: [grant(R.CLUSTER, CLUSTER, AclOp.ALTER)], allowed: [E.ELECTION_NOT_NEEDED], body: () => ({ electionType: 0, topicPartitions: [{ topic: T, partitions: [0] }], timeoutMs: 5000 }) },
  { api: 'IncrementalAlterConfigs (topic)', apiKey: 44, version: 1, denied: E.TOPIC_AUTHORIZATION_FAILED, grants: [grant(R.TOPIC, T, AclOp.ALTER_CONFIGS)], body: () => ({ resources: [{ resourceType: 2, resourceName: T, configs: [{ name: 'retention.ms', configOperation: 0, value: '600000' }] }], validateOnly: true }) },
  { api: 'AlterPartitionReassignments', apiKey: 45, version: 0, denied: E.CLUSTER_AUTHORIZATION_FAILED, grants: [grant(R.CLUSTER, CLUSTER, AclOp.ALTER)], allowed: [E.NO_REASSIGNMENT_IN_PROGRESS], body: () => ({ timeoutMs: 5000, topics: [{ name: T, partitions: [{ partitionIndex: 0, replicas: null }] }] }) },
  { api: 'ListPartitionReassignments', apiKey: 46, version: 0, denied: E.CLUSTER_AUTHORIZATION_FAILED, grants: [grant(R.CLUSTER, CLUSTER, AclOp.DESCRIBE)], body: () => ({ timeoutMs: 5000, topics: null }) },
  { api: 'OffsetDelete', apiKey: 47, version: 0, denied: E.GROUP_AUTHORIZATION_FAILED, grants: [grant(R.GROUP, G, AclOp.DELETE), grant(R.TOPIC, T, AclOp.READ)], allowed: [E.GROUP_ID_NOT_FOUND, E.GROUP_SUBSCRIBED_TO_TOPIC], body: () => ({ groupId: G, topics: [{ name: T, partitions: [{ partitionIndex: 0 }] }] }) },
  { api: 'DescribeCluster', apiKey: 60, version: 1, denied: E.CLUSTER_AUTHORIZATION_FAILED, grants: [grant(R.CLUSTER, CLUSTER, AclOp.DESCRIBE)], body: () => ({ includeClusterAuthorizedOperations: false, endpointType: 1 }) },
  { api: 'DescribeProducers', apiKey: 61, version: 0, denied: E.TOPIC_AUTHORIZATION_FAILED, grants: [grant(R.TOPIC, T, AclOp.READ)], body: () => ({ topics: [{ name: T, partitionIndexes: [0] }] }) },
  { api: 'UnregisterBroker', apiKey: 64, version: 0, denied: E.CLUSTER_AUTHORIZATION_FAILED, grants: [grant(R.CLUSTER, CLUSTER, AclOp.ALTER)], allowed: [E.BROKER_ID_NOT_REGISTERED, E.UNSUPPORTED_VERSION, E.INVALID_REQUEST], body: () => ({ brokerId: 99 }) },
  { api: 'DescribeTransactions', apiKey: 65, version: 0, denied: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, grants: [grant(R.TRANSACTIONAL_ID, 'acl-tx-none', AclOp.DESCRIBE)], allowed: [E.TRANSACTIONAL_ID_NOT_FOUND], body: () => ({ transactionalIds: ['acl-tx-none'] }) },
  { api: 'DescribeTopicPartitions', apiKey: 75, version: 0, denied: E.TOPIC_AUTHORIZATION_FAILED, grants: [grant(R.TOPIC, T, AclOp.DESCRIBE)], body: () => ({ topics: [{ name: T }], responsePartitionLimit: 100, cursor: null }) },
];

for (const row of rows) {
  test(`authorization matrix: ${row.api} (key ${row.apiKey} v${row.version}) is refused with ${row.denied} without the ACL and allowed with it`, async () => {
    if (row.given !== undefined) await createAcls(admin, row.given);
    const before = errorCodes(await client.request(row.apiKey, row.version, row.body()));
    assert.ok(before.includes(row.denied), `${row.api} without the ACL: expected ${row.denied} in ${JSON.stringify(before)}`);
    await createAcls(admin, row.grants);
    try {
      const after = errorCodes(await client.request(row.apiKey, row.version, row.body()));
      const ok = new Set([0, ...(row.allowed ?? [])]);
      assert.deepEqual(
        after.filter((c) => AUTH_ERRORS.has(c) || !ok.has(c)),
        [],
        `${row.api} with ${JSON.stringify(row.grants.map((g) => [g.resourceType, g.resourceName, g.operation]))}: ${JSON.stringify(after)}`,
      );
    } finally {
      assert.equal(await deleteAcls(admin, [...row.grants, ...(row.given ?? [])]), row.grants.length + (row.given?.length ?? 0));
    }
  });
}

test('authorization matrix: ApiVersions needs no ACL', async () => {
  const res = await client.request<{ errorCode: number }>(18, 3, { clientSoftwareName: 'acl-test', clientSoftwareVersion: '1' });
  assert.equal(res.errorCode, 0);
});

test('authorization matrix: Metadata for all topics, ListGroups and ListTransactions leave out what the principal may not describe', async () => {
  // A group and a transaction exist (made by the admin host, which holds ALL on the cluster only: grant it the group and id).
  const adminGrants = [grant(R.GROUP, 'acl-listed', AclOp.READ, { host: ADMIN_HOST }), grant(R.TOPIC, T, AclOp.READ, { host: ADMIN_HOST }), grant(R.TRANSACTIONAL_ID, 'acl-listed-tx', AclOp.WRITE, { host: ADMIN_HOST })];
  await createAcls(admin, adminGrants);
  const commit = await admin.request(8, 8, { groupId: 'acl-listed', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: T, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
  assert.deepEqual(errorCodes(commit), [0]);
  const init = await admin.request(22, 4, { transactionalId: 'acl-listed-tx', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  assert.deepEqual(errorCodes(init), [0]);

  const names = async (): Promise<{ topics: string[]; groups: string[]; txns: string[] }> => {
    const md = await client.request<{ topics: { name: string | null }[] }>(3, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const lg = await client.request<{ groups: { groupId: string }[] }>(16, 4, { statesFilter: [] });
    const lt = await client.request<{ transactionStates: { transactionalId: string }[] }>(66, 0, { stateFilters: [], producerIdFilters: [] });
    return { topics: md.topics.map((t) => t.name ?? ''), groups: lg.groups.map((g) => g.groupId), txns: lt.transactionStates.map((s) => s.transactionalId) };
  };
  assert.deepEqual(await names(), { topics: [], groups: [], txns: [] });
  const grants = [grant(R.TOPIC, T, AclOp.DESCRIBE), grant(R.GROUP, 'acl-listed', AclOp.DESCRIBE), grant(R.TRANSACTIONAL_ID, 'acl-listed-tx', AclOp.DESCRIBE)];
  await createAcls(admin, grants);
  try {
    assert.deepEqual(await names(), { topics: [T], groups: ['acl-listed'], txns: ['acl-listed-tx'] });
  } finally {
    await deleteAcls(admin, [...grants, ...adminGrants]);
  }
});

test('authorization matrix: CreateTopics v5+ answers a created topic\'s configs only with DESCRIBE_CONFIGS on it', async () => {
  const create = (name: string) => client.request<{ topics: { errorCode: number; topicConfigErrorCode: number; numPartitions: number; configs: unknown[] }[] }>(19, 7, { topics: [{ name, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: true });
  const grants = [grant(R.TOPIC, 'acl-cfg-', AclOp.CREATE, { patternType: PatternType.PREFIXED })];
  await createAcls(admin, grants);
  try {
    const hidden = (await create('acl-cfg-a')).topics[0];
    assert.deepEqual([hidden?.errorCode, hidden?.topicConfigErrorCode, hidden?.numPartitions, hidden?.configs.length], [0, E.TOPIC_AUTHORIZATION_FAILED, -1, 0]);
    const more = [grant(R.TOPIC, 'acl-cfg-', AclOp.DESCRIBE_CONFIGS, { patternType: PatternType.PREFIXED })];
    await createAcls(admin, more);
    grants.push(...more);
    const shown = (await create('acl-cfg-b')).topics[0];
    assert.deepEqual([shown?.errorCode, shown?.topicConfigErrorCode, shown?.numPartitions], [0, 0, 2]);
    assert.ok((shown?.configs.length ?? 0) > 0);
  } finally {
    await deleteAcls(admin, grants);
  }
});

test('authorization matrix: a DENY wins over an ALLOW, and a topic not described is TOPIC_AUTHORIZATION_FAILED whether it exists or not', async () => {
  const allow = [grant(R.TOPIC, 'acl-', AclOp.ALL, { patternType: PatternType.PREFIXED })];
  const deny = [grant(R.TOPIC, T, AclOp.DESCRIBE, { permissionType: 2 })];
  await createAcls(admin, [...allow, ...deny]);
  try {
    const md = await client.request<{ topics: { name: string; errorCode: number }[] }>(3, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: T }, { topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'acl-missing' }, { topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'other-missing' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const byName = Object.fromEntries(md.topics.map((t) => [t.name, t.errorCode]));
    assert.deepEqual(byName, { [T]: E.TOPIC_AUTHORIZATION_FAILED, 'acl-missing': E.UNKNOWN_TOPIC_OR_PARTITION, 'other-missing': E.TOPIC_AUTHORIZATION_FAILED });
  } finally {
    await deleteAcls(admin, [...allow, ...deny]);
  }
});

test('authorization matrix: authorized-operations bit sets hold what the principal is allowed (Metadata, DescribeCluster, DescribeGroups, DescribeTopicPartitions)', async () => {
  const bits = (...ops: number[]): number => ops.reduce((v, op) => v | (1 << op), 0);
  const grants = [grant(R.TOPIC, T, AclOp.READ), grant(R.CLUSTER, CLUSTER, AclOp.DESCRIBE), grant(R.GROUP, G, AclOp.READ)];
  await createAcls(admin, grants);
  try {
    const md = await client.request<{ clusterAuthorizedOperations: number; topics: { topicAuthorizedOperations: number }[] }>(3, 10, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: T }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });
    assert.equal(md.topics[0]?.topicAuthorizedOperations, bits(AclOp.READ, AclOp.DESCRIBE), 'READ and the DESCRIBE it implies');
    assert.equal(md.clusterAuthorizedOperations, bits(AclOp.DESCRIBE));
    const dc = await client.request<{ clusterAuthorizedOperations: number }>(60, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 });
    assert.equal(dc.clusterAuthorizedOperations, bits(AclOp.DESCRIBE));
    const dg = await client.request<{ groups: { authorizedOperations: number }[] }>(15, 5, { groups: [G], includeAuthorizedOperations: true });
    assert.equal(dg.groups[0]?.authorizedOperations, bits(AclOp.READ, AclOp.DESCRIBE));
    const dtp = await client.request<{ topics: { topicAuthorizedOperations: number }[] }>(75, 0, { topics: [{ name: T }], responsePartitionLimit: 100, cursor: null });
    assert.equal(dtp.topics[0]?.topicAuthorizedOperations, bits(AclOp.READ, AclOp.DESCRIBE));
  } finally {
    await deleteAcls(admin, grants);
  }
});
