/**
 * Admin APIs a single node answers as Kafka does for a cluster of one (issue 11 item 1):
 * ElectLeaders (43: ELECTION_NOT_NEEDED), AlterPartitionReassignments (45: a no-op to the only
 * broker), ListPartitionReassignments (46: empty), AlterReplicaLogDirs (34: moves a replica
 * between the configured log.dirs) and DescribeTopicPartitions (75, KIP-966). Before, the broker
 * closed the connection on each. Driven with kafkajs's admin (reassignments),
 * @platformatic/kafka's request code over its Connection (34, 45, 46, 75), and at the wire level
 * at every version served (43 has no client among those installed).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { Connection, alterPartitionReassignmentsV0, alterReplicaLogDirsV2, describeTopicPartitionsV0, listPartitionReassignmentsV0 } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import type { ApiVersionsResponse } from '../../src/protocol/generated/messages/api-versions.js';
import type { ElectLeadersResponse } from '../../src/protocol/generated/messages/elect-leaders.js';
import type { AlterReplicaLogDirsResponse } from '../../src/protocol/generated/messages/alter-replica-log-dirs.js';
import type { AlterPartitionReassignmentsResponse } from '../../src/protocol/generated/messages/alter-partition-reassignments.js';
import type { ListPartitionReassignmentsResponse } from '../../src/protocol/generated/messages/list-partition-reassignments.js';
import type { DescribeTopicPartitionsResponse } from '../../src/protocol/generated/messages/describe-topic-partitions.js';
import type { DescribeLogDirsResponse } from '../../src/protocol/generated/messages/describe-log-dirs.js';
import { WireClient, withClient } from '../helpers/wire.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC_OPS = 3576;

let root: string;
let dirs: string[];
let broker: RunningBroker;
let conn: Connection;

async function start(): Promise<void> {
  broker = await startBroker({ port: 0, dataDir: root, config: { 'log.dirs': dirs.join(','), 'num.partitions': 1 } });
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'samsa-admin-apis-'));
  dirs = [join(root, 'd1'), join(root, 'd2')];
  await start();
  conn = new Connection('admin-apis');
  await conn.connect('127.0.0.1', broker.port);
  await withClient(broker.port, async (c) => {
    assert.equal(await c.createTopic('ea-one', 3), 0);
    assert.equal(await c.createTopic('ea-two', 1), 0);
  });
});

after(async () => {
  await conn?.close();
  await broker?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

test('ApiVersions advertises 34 (v1-2), 43 (v0-2), 45 (v0), 46 (v0) and 75 (v0)', async () => {
  await withClient(broker.port, async (c) => {
    const res = await c.request<ApiVersionsResponse>(18, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    const byKey = new Map(res.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    assert.deepEqual([34, 43, 45, 46, 75].map((k) => byKey.get(k)), [[1, 2], [0, 2], [0, 0], [0, 0], [0, 0]]);
  });
});

test('ElectLeaders v0-v2: ELECTION_NOT_NEEDED per named partition; unknown ones; all partitions: none listed', async () => {
  await withClient(broker.port, async (c) => {
    for (let v = 0; v <= 2; v++) {
      for (const electionType of v === 0 ? [0] : [0, 1]) {
        const res = await c.request<ElectLeadersResponse>(43, v, { electionType, timeoutMs: 5000, topicPartitions: [{ topic: 'ea-one', partitions: [0, 2, 7] }, { topic: 'ea-missing', partitions: [0] }] });
        if (v >= 1) assert.equal(res.errorCode, 0);
        const got = res.replicaElectionResults.map((t) => [t.topic, t.partitionResult.map((p) => [p.partitionId, p.errorCode])]);
        assert.deepEqual(got, [
          ['ea-one', [[0, ErrorCode.ELECTION_NOT_NEEDED], [2, ErrorCode.ELECTION_NOT_NEEDED], [7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
          ['ea-missing', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
        ], `v${v} type ${electionType}`);
        assert.equal(res.replicaElectionResults[0]!.partitionResult[0]!.errorMessage, 'Leader election not needed for topic partition.');
      }
      const all = await c.request<ElectLeadersResponse>(43, v, { electionType: 0, timeoutMs: 5000, topicPartitions: null });
      const one = all.replicaElectionResults.find((t) => t.topic === 'ea-one');
      assert.deepEqual(one?.partitionResult, [], `v${v}: partitions needing no election are left out`);
    }
    const bad = await c.request<ElectLeadersResponse>(43, 2, { electionType: 7, timeoutMs: 5000, topicPartitions: [{ topic: 'ea-one', partitions: [0] }] });
    assert.equal(bad.errorCode, ErrorCode.INVALID_REQUEST);
  });
});

test('kafkajs alterPartitionReassignments to the only broker is a no-op; listPartitionReassignments is empty', async () => {
  const admin = new Kafka({ clientId: 'reassign-kafkajs', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const nodeId = broker.broker.nodeId;
    await admin.alterPartitionReassignments({ topics: [{ topic: 'ea-one', partitionAssignment: [{ partition: 0, replicas: [nodeId] }, { partition: 1, replicas: [nodeId] }] }] });
    assert.deepEqual(await admin.listPartitionReassignments({}), { topics: [] });
    assert.deepEqual(await admin.listPartitionReassignments({ topics: [{ topic: 'ea-one', partitions: [0, 1, 2] }] }), { topics: [] });
    await assert.rejects(
      admin.alterPartitionReassignments({ topics: [{ topic: 'ea-one', partitionAssignment: [{ partition: 0, replicas: [nodeId + 1] }] }] }),
      (e: Error & { errors?: { type?: string }[] }) => e.errors?.[0]?.type === 'INVALID_REPLICA_ASSIGNMENT',
    );
  } finally {
    await admin.disconnect();
  }
});

test('platformatic AlterPartitionReassignments / ListPartitionReassignments v0 and wire errors per partition', async () => {
  const nodeId = broker.broker.nodeId;
  const ok = await alterPartitionReassignmentsV0.api.async(conn, 5000, false, [{ name: 'ea-two', partitions: [{ partitionIndex: 0, replicas: [nodeId] }] }]);
  assert.equal(ok.errorCode, 0);
  assert.deepEqual(ok.responses.map((t) => t.partitions.map((p) => p.errorCode)), [[0]]);
  const listed = await listPartitionReassignmentsV0.api.async(conn, 5000, [{ name: 'ea-two', partitionIndexes: [0] }]);
  assert.deepEqual(listed.topics, []);
  await withClient(broker.port, async (c) => {
    const res = await c.request<AlterPartitionReassignmentsResponse>(45, 0, { timeoutMs: 5000, topics: [
      { name: 'ea-one', partitions: [
        { partitionIndex: 0, replicas: [] },
        { partitionIndex: 1, replicas: [nodeId, nodeId] },
        { partitionIndex: 2, replicas: [nodeId, 42] },
        { partitionIndex: 0, replicas: null },
        { partitionIndex: 9, replicas: [nodeId] },
      ] },
      { name: 'ea-missing', partitions: [{ partitionIndex: 0, replicas: [nodeId] }] },
    ] });
    assert.equal(res.errorCode, 0);
    assert.deepEqual(res.responses.map((t) => t.partitions.map((p) => p.errorCode)), [
      [ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    assert.match(res.responses[0]!.partitions[2]!.errorMessage ?? '', /broker 42, but no such broker is registered/);
    const all = await c.request<ListPartitionReassignmentsResponse>(46, 0, { timeoutMs: 5000, topics: null });
    assert.deepEqual([all.errorCode, all.topics], [0, []]);
  });
});

test('platformatic DescribeTopicPartitions v0: partitions, authorized operations, unknown topics, cursor paging', async () => {
  // The client reports the unknown topic's error and hands over the whole response with it.
  const res = await describeTopicPartitionsV0.api.async(conn, [{ name: 'ea-one' }, { name: 'ea-missing' }], 2000)
    .then(() => assert.fail('the unknown topic is reported'), (e: { response: Awaited<ReturnType<typeof describeTopicPartitionsV0.api.async>> }) => e.response);
  const one = res.topics.find((t) => t.name === 'ea-one')!;
  assert.equal(one.errorCode, 0);
  assert.deepEqual(one.partitions.map((p) => [p.partitionIndex, p.leaderId, p.replicaNodes, p.isrNodes]), [0, 1, 2].map((i) => [i, broker.broker.nodeId, [broker.broker.nodeId], [broker.broker.nodeId]]));
  assert.equal(one.topicAuthorizedOperations, TOPIC_OPS);
  assert.equal(res.topics.find((t) => t.name === 'ea-missing')?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  // Paging two partitions at a time over all topics (empty list) walks every partition once.
  const seen: string[] = [];
  let cursor: { topicName: string; partitionIndex: number } | undefined;
  for (let page = 0; page < 20; page++) {
    const r = await describeTopicPartitionsV0.api.async(conn, [], 2, cursor);
    for (const t of r.topics) for (const p of t.partitions) seen.push(`${t.name}-${p.partitionIndex}`);
    if (!r.nextCursor) break;
    cursor = r.nextCursor;
  }
  assert.deepEqual(seen.filter((s) => s.startsWith('ea-')), ['ea-one-0', 'ea-one-1', 'ea-one-2', 'ea-two-0']);
  await withClient(broker.port, async (c) => {
    const bad = await c.request<DescribeTopicPartitionsResponse>(75, 0, { topics: [{ name: 'ea-one' }], responsePartitionLimit: 10, cursor: { topicName: 'ea-two', partitionIndex: 0 } });
    assert.deepEqual(bad.topics.map((t) => [t.name, t.errorCode]), [['ea-one', ErrorCode.INVALID_REQUEST]]);
  });
});

function logDirOf(res: DescribeLogDirsResponse, topic: string): string[] {
  return res.results.filter((d) => d.topics.some((t) => t.name === topic && t.partitions.length > 0)).map((d) => d.logDir);
}

test('AlterReplicaLogDirs moves a replica between log.dirs; data, appends and a restart follow it', async () => {
  const topic = 'ea-move';
  await withClient(broker.port, async (c) => {
    assert.equal(await c.createTopic(topic, 1), 0);
    for (let i = 0; i < 5; i++) assert.equal((await c.produce(topic, 0, encodeRecordBatch({ records: [{ key: `k${i}`, value: `before-${i}` }] }))).errorCode, 0);
  });
  const before = await withClient(broker.port, (c) => c.request<DescribeLogDirsResponse>(35, 4, { topics: null }));
  const [from] = logDirOf(before, topic);
  assert.ok(from !== undefined && dirs.includes(from), `hosted in one of ${dirs.join(', ')}`);
  const to = dirs.find((d) => d !== from)!;

  // A directory that is not in log.dirs, and a partition this broker does not host.
  const errs = await alterReplicaLogDirsV2.api.async(conn, [{ path: join(root, 'elsewhere'), topics: [{ name: topic, partitions: [0] }] }, { path: to, topics: [{ name: 'ea-missing', partitions: [0] }] }]).catch((e: { response?: { results: { topicName: string; partitions: { errorCode: number }[] }[] } }) => e.response);
  assert.deepEqual(errs?.results.map((r) => [r.topicName, r.partitions.map((p) => p.errorCode)]), [[topic, [ErrorCode.LOG_DIR_NOT_FOUND]], ['ea-missing', [ErrorCode.REPLICA_NOT_AVAILABLE]]]);

  const moved = await alterReplicaLogDirsV2.api.async(conn, [{ path: to, topics: [{ name: topic, partitions: [0] }] }]);
  assert.deepEqual(moved.results.map((r) => [r.topicName, r.partitions.map((p) => p.errorCode)]), [[topic, [0]]]);
  assert.deepEqual(readdirSync(from).filter((n) => n.startsWith(`${topic}-`)), [], 'nothing left in the old directory');
  assert.ok(readdirSync(to).includes(`${topic}-0`));
  const afterMove = await withClient(broker.port, (c) => c.request<DescribeLogDirsResponse>(35, 4, { topics: null }));
  assert.deepEqual(logDirOf(afterMove, topic), [to]);

  // Reads and appends go on in the new place.
  await withClient(broker.port, async (c) => {
    for (let i = 5; i < 8; i++) assert.equal((await c.produce(topic, 0, encodeRecordBatch({ records: [{ key: `k${i}`, value: `after-${i}` }] }))).errorCode, 0);
  });
  const consumed = await consumeAll(topic, 8);
  assert.deepEqual(consumed, [...Array.from({ length: 5 }, (_, i) => `before-${i}`), ...Array.from({ length: 3 }, (_, i) => `after-${i + 5}`)]);

  // Moving to where it already is, at v1 and v0 on the wire, changes nothing.
  await withClient(broker.port, async (c) => {
    for (const v of [0, 1, 2]) {
      const r = await c.request<AlterReplicaLogDirsResponse>(34, v, { dirs: [{ path: to, topics: [{ name: topic, partitions: [0] }] }] });
      assert.deepEqual(r.results.map((t) => t.partitions.map((p) => p.errorCode)), [[0]], `v${v}`);
    }
  });

  // After a restart the partition loads from its new directory with every record.
  await conn.close();
  await broker.stop();
  await start();
  conn = new Connection('admin-apis');
  await conn.connect('127.0.0.1', broker.port);
  const restarted = await withClient(broker.port, (c) => c.request<DescribeLogDirsResponse>(35, 4, { topics: null }));
  assert.deepEqual(logDirOf(restarted, topic), [to]);
  assert.equal((await consumeAll(topic, 8)).length, 8);
});

async function consumeAll(topic: string, count: number): Promise<string[]> {
  return withClient(broker.port, async (c: WireClient) => {
    const { batches } = await c.fetchAll(topic, 0);
    const values = batches.flatMap((b) => b.records.map((r) => r.value?.toString('utf8') ?? ''));
    assert.equal(values.length, count);
    return values;
  });
}
