/**
 * Broker APIs over TCP with exact request versions: fetch sessions (KIP-227), long poll,
 * ListOffsets variants, CreateTopics validation and configs, auto-creation, DescribeConfigs,
 * DescribeCluster, DescribeLogDirs, ApiVersions ranges.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { WireClient } from '../helpers/wire.js';
import type { FetchResponse } from '../../src/protocol/generated/messages/fetch.js';
import type { ProduceResponse } from '../../src/protocol/generated/messages/produce.js';
import type { ListOffsetsResponse } from '../../src/protocol/generated/messages/list-offsets.js';
import type { CreateTopicsResponse } from '../../src/protocol/generated/messages/create-topics.js';
import type { MetadataResponse } from '../../src/protocol/generated/messages/metadata.js';
import type { DescribeConfigsResponse } from '../../src/protocol/generated/messages/describe-configs.js';
import type { DescribeClusterResponse } from '../../src/protocol/generated/messages/describe-cluster.js';
import type { DescribeLogDirsResponse } from '../../src/protocol/generated/messages/describe-log-dirs.js';
import type { ApiVersionsResponse } from '../../src/protocol/generated/messages/api-versions.js';
import { ErrorCode } from '../../src/common/error-codes.js';

let broker: RunningBroker;
let c: WireClient;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'num.partitions': 2 } });
  c = await WireClient.connect(broker.port);
});

after(async () => {
  c.close();
  await broker.stop();
});

async function createTopic(name: string, partitions: number, configs: Record<string, string> = {}, validateOnly = false): Promise<CreateTopicsResponse> {
  return c.request<CreateTopicsResponse>(19, 7, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
    timeoutMs: 5000,
    validateOnly,
  });
}

async function produce(topic: string, partition: number, values: string[], timestamp = BigInt(Date.now())): Promise<bigint> {
  const records = encodeRecordBatch({ baseTimestamp: timestamp, records: values.map((v, i) => ({ value: v, timestamp: timestamp + BigInt(i) })) });
  const res = await c.request<ProduceResponse>(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  const p = res.responses[0]?.partitionResponses[0];
  assert.equal(p?.errorCode, 0);
  return p.baseOffset;
}

function fetchReq(topics: { topic: string; partitions: { partition: number; fetchOffset: bigint }[] }[], sessionId: number, sessionEpoch: number, extra: { maxWaitMs?: number; minBytes?: number; forgotten?: { topic: string; partitions: number[] }[] } = {}) {
  return {
    replicaId: -1, maxWaitMs: extra.maxWaitMs ?? 0, minBytes: extra.minBytes ?? 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId, sessionEpoch,
    topics: topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: 1 << 20, logStartOffset: -1n, currentLeaderEpoch: -1 })) })),
    forgottenTopicsData: extra.forgotten ?? [], rackId: '',
  };
}

test('ApiVersions advertises Kafka 4 minimums (Fetch: Kafka 3.x, served by down-conversion) and the spec maxima', async () => {
  const res = await c.request<ApiVersionsResponse>(18, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
  assert.equal(res.errorCode, 0);
  const byKey = new Map(res.apiKeys.map((k) => [k.apiKey, k]));
  assert.deepEqual([byKey.get(0)?.minVersion, byKey.get(0)?.maxVersion], [0, 11]);
  assert.deepEqual([byKey.get(1)?.minVersion, byKey.get(1)?.maxVersion], [0, 17]);
  assert.deepEqual([byKey.get(3)?.minVersion, byKey.get(3)?.maxVersion], [0, 12]);
  assert.deepEqual([byKey.get(18)?.minVersion, byKey.get(18)?.maxVersion], [0, 4]);
});

test('CreateTopics: validateOnly creates nothing; bad names, partitions, replication and configs get their codes', async () => {
  let r = await createTopic('vo-topic', 3, {}, true);
  assert.equal(r.topics[0]?.errorCode, 0);
  assert.equal(r.topics[0]?.numPartitions, 3);
  const meta = await c.request<MetadataResponse>(3, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'vo-topic' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  assert.equal(meta.topics[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal((await createTopic('bad name!', 1)).topics[0]?.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
  assert.equal((await createTopic('zero-parts', 0)).topics[0]?.errorCode, ErrorCode.INVALID_PARTITIONS);
  r = await c.request<CreateTopicsResponse>(19, 7, { topics: [{ name: 'rf3', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
  assert.equal(r.topics[0]?.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
  assert.equal((await createTopic('bad-config', 1, { 'retention.ms': 'soon' })).topics[0]?.errorCode, ErrorCode.INVALID_CONFIG);
  assert.equal((await createTopic('unknown-config', 1, { 'no.such.config': '1' })).topics[0]?.errorCode, ErrorCode.INVALID_CONFIG);
  r = await createTopic('with-config', 2, { 'retention.ms': '12345', 'cleanup.policy': 'delete' });
  assert.equal(r.topics[0]?.errorCode, 0);
  assert.equal(r.topics[0]?.configs?.find((x) => x.name === 'retention.ms')?.value, '12345');
  assert.equal((await createTopic('with-config', 2)).topics[0]?.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
  assert.equal((await createTopic('with.dot', 1)).topics[0]?.errorCode, 0);
  assert.equal((await createTopic('with_dot', 1)).topics[0]?.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, "'.' and '_' collide");
});

test('Metadata auto-creates with num.partitions, and not when the request forbids it', async () => {
  let meta = await c.request<MetadataResponse>(3, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'auto-1' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
  assert.equal(meta.topics[0]?.errorCode, 0);
  assert.equal(meta.topics[0]?.partitions.length, 2);
  assert.notEqual(meta.topics[0]?.topicId, 'AAAAAAAAAAAAAAAAAAAAAA');
  meta = await c.request<MetadataResponse>(3, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'auto-2' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  assert.equal(meta.topics[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  meta = await c.request<MetadataResponse>(3, 1, { topics: null });
  assert.ok(meta.topics.some((t) => t.name === 'auto-1'));
  assert.equal(meta.controllerId, 1);
});

test('ListOffsets: earliest, latest, by timestamp, max timestamp', async () => {
  await createTopic('lo', 1);
  const t0 = 1_700_000_000_000n;
  await produce('lo', 0, ['a', 'b', 'c'], t0);
  await produce('lo', 0, ['d', 'e'], t0 + 1000n);
  await produce('lo', 0, ['f'], t0 + 500n);
  const ask = async (timestamp: bigint) => {
    const r = await c.request<ListOffsetsResponse>(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'lo', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] });
    const p = r.topics[0]?.partitions[0];
    assert.equal(p?.errorCode, 0);
    return p;
  };
  assert.equal((await ask(-2n))?.offset, 0n);
  assert.equal((await ask(-1n))?.offset, 6n);
  assert.equal((await ask(t0 + 1000n))?.offset, 3n, 'first batch with a timestamp >= t0+1000');
  assert.equal((await ask(t0 + 99999n))?.offset, -1n);
  const max = await ask(-3n);
  assert.equal(max?.timestamp, t0 + 1001n);
  assert.equal(max?.offset, 4n);
  const unknown = await c.request<ListOffsetsResponse>(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'nope', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] });
  assert.equal(unknown.topics[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('Fetch: out of range, long poll wakes on produce, partition max bytes', async () => {
  await createTopic('fp', 1);
  await produce('fp', 0, ['x']);
  let r = await c.request<FetchResponse>(1, 11, fetchReq([{ topic: 'fp', partitions: [{ partition: 0, fetchOffset: 5n }] }], 0, -1));
  assert.equal(r.responses[0]?.partitions[0]?.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  const c2 = await WireClient.connect(broker.port);
  const started = Date.now();
  const pending = c2.request<FetchResponse>(1, 11, fetchReq([{ topic: 'fp', partitions: [{ partition: 0, fetchOffset: 1n }] }], 0, -1, { maxWaitMs: 5000, minBytes: 1 }));
  await new Promise((res) => setTimeout(res, 100));
  await produce('fp', 0, ['y']);
  r = await pending;
  c2.close();
  assert.ok(Date.now() - started < 4000, 'woke before max.wait.ms');
  assert.ok((r.responses[0]?.partitions[0]?.records?.length ?? 0) > 0);
  // Expiry of a long poll with no data: on the broker's manual clock in manual-time.test.ts.
});

test('Fetch sessions: full then incremental responses list only partitions with news', async () => {
  await createTopic('fs', 2);
  await produce('fs', 0, ['p0']);
  await produce('fs', 1, ['p1']);
  const parts = [{ partition: 0, fetchOffset: 0n }, { partition: 1, fetchOffset: 0n }];
  let r = await c.request<FetchResponse>(1, 12, fetchReq([{ topic: 'fs', partitions: parts }], 0, 0));
  assert.equal(r.errorCode, 0);
  const sessionId = r.sessionId;
  assert.ok(sessionId > 0, 'a session was created');
  assert.equal(r.responses[0]?.partitions.length, 2);
  // Incremental: move both offsets to the end; nothing new → empty response.
  r = await c.request<FetchResponse>(1, 12, fetchReq([{ topic: 'fs', partitions: [{ partition: 0, fetchOffset: 1n }, { partition: 1, fetchOffset: 1n }] }], sessionId, 1));
  assert.equal(r.errorCode, 0);
  assert.equal(r.responses.length, 0, 'no partition changed');
  await produce('fs', 1, ['p1-b']);
  r = await c.request<FetchResponse>(1, 12, fetchReq([], sessionId, 2));
  assert.deepEqual(r.responses.flatMap((t) => t.partitions.map((p) => p.partitionIndex)), [1]);
  // Wrong epoch and unknown session.
  r = await c.request<FetchResponse>(1, 12, fetchReq([], sessionId, 7));
  assert.equal(r.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
  r = await c.request<FetchResponse>(1, 12, fetchReq([], 987654, 1));
  assert.equal(r.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  // Forget partition 0, then only partition 1 remains in the session.
  r = await c.request<FetchResponse>(1, 12, fetchReq([], sessionId, 3, { forgotten: [{ topic: 'fs', partitions: [0] }] }));
  assert.equal(r.errorCode, 0);
  await produce('fs', 0, ['p0-b']);
  await produce('fs', 1, ['p1-c']);
  r = await c.request<FetchResponse>(1, 12, fetchReq([], sessionId, 4));
  assert.deepEqual(r.responses.flatMap((t) => t.partitions.map((p) => p.partitionIndex)), [1]);
});

test('DescribeConfigs, DescribeCluster and DescribeLogDirs', async () => {
  await createTopic('dc', 1, { 'retention.ms': '777' });
  const r = await c.request<DescribeConfigsResponse>(32, 4, { resources: [{ resourceType: 2, resourceName: 'dc', configurationKeys: null }, { resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions'] }, { resourceType: 2, resourceName: 'missing', configurationKeys: null }], includeSynonyms: true, includeDocumentation: false });
  const topic = r.results[0];
  assert.equal(topic?.errorCode, 0);
  const ret = topic?.configs.find((x) => x.name === 'retention.ms');
  assert.equal(ret?.value, '777');
  assert.equal(ret?.configSource, 1);
  assert.equal(ret?.synonyms[0]?.source, 1);
  const seg = topic?.configs.find((x) => x.name === 'segment.bytes');
  assert.equal(seg?.configSource, 5);
  assert.equal(r.results[1]?.configs[0]?.value, '2');
  assert.equal(r.results[1]?.configs[0]?.configSource, 4);
  assert.equal(r.results[2]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

  const cl = await c.request<DescribeClusterResponse>(60, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
  assert.equal(cl.errorCode, 0);
  assert.equal(cl.brokers[0]?.port, broker.port);
  assert.equal(cl.clusterId, broker.broker.clusterId);

  await produce('dc', 0, ['z'.repeat(1000)]);
  const ld = await c.request<DescribeLogDirsResponse>(35, 4, { topics: [{ topic: 'dc', partitions: [0] }] });
  assert.equal(ld.results.length, 1);
  const size = ld.results[0]?.topics.find((t) => t.name === 'dc')?.partitions[0]?.partitionSize ?? 0n;
  assert.ok(size > 1000n, `partition size ${size}`);
});

test('Produce: unknown partition, acks validation, corrupt batch, message too large', async () => {
  await createTopic('pv', 1, { 'max.message.bytes': '2000' });
  const good = encodeRecordBatch({ records: [{ value: 'v' }] });
  let r = await c.request<ProduceResponse>(0, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'pv', partitionData: [{ index: 5, records: good }] }] });
  assert.equal(r.responses[0]?.partitionResponses[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  r = await c.request<ProduceResponse>(0, 9, { transactionalId: null, acks: 2, timeoutMs: 1000, topicData: [{ name: 'pv', partitionData: [{ index: 0, records: good }] }] });
  assert.equal(r.responses[0]?.partitionResponses[0]?.errorCode, ErrorCode.INVALID_REQUIRED_ACKS);
  const bad = Buffer.from(good);
  bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 0xff, bad.length - 1);
  r = await c.request<ProduceResponse>(0, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'pv', partitionData: [{ index: 0, records: bad }] }] });
  assert.equal(r.responses[0]?.partitionResponses[0]?.errorCode, ErrorCode.CORRUPT_MESSAGE);
  const big = encodeRecordBatch({ records: [{ value: Buffer.alloc(5000, 1) }] });
  r = await c.request<ProduceResponse>(0, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'pv', partitionData: [{ index: 0, records: big }] }] });
  assert.equal(r.responses[0]?.partitionResponses[0]?.errorCode, ErrorCode.MESSAGE_TOO_LARGE);
  r = await c.request<ProduceResponse>(0, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'pv', partitionData: [{ index: 0, records: good }] }] });
  assert.equal(r.responses[0]?.partitionResponses[0]?.errorCode, 0);
  assert.equal(r.responses[0]?.partitionResponses[0]?.baseOffset, 0n, 'rejected batches took no offsets');
});

test('Produce acks=all below min.insync.replicas gets NOT_ENOUGH_REPLICAS; acks=1 is still accepted', async () => {
  await createTopic('minisr', 1, { 'min.insync.replicas': '2' });
  const records = encodeRecordBatch({ records: [{ value: 'v' }] });
  let r = await c.request<ProduceResponse>(0, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'minisr', partitionData: [{ index: 0, records }] }] });
  assert.equal(r.responses[0]?.partitionResponses[0]?.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
  r = await c.request<ProduceResponse>(0, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'minisr', partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ value: 'w' }] }) }] }] });
  assert.equal(r.responses[0]?.partitionResponses[0]?.errorCode, 0);
  assert.equal(r.responses[0]?.partitionResponses[0]?.baseOffset, 0n);
});

test('Produce: message.timestamp.before/after.max.ms reject records outside the window with INVALID_TIMESTAMP', async () => {
  await createTopic('tsb', 1, { 'message.timestamp.before.max.ms': '60000', 'message.timestamp.after.max.ms': '60000' });
  const now = BigInt(Date.now());
  const send = async (records: Buffer) => {
    const r = await c.request<ProduceResponse>(0, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'tsb', partitionData: [{ index: 0, records }] }] });
    return r.responses[0]?.partitionResponses[0]?.errorCode;
  };
  assert.equal(await send(encodeRecordBatch({ baseTimestamp: now, records: [{ value: 'ok', timestamp: now }, { value: 'ok2', timestamp: now + 5n }] })), 0);
  assert.equal(await send(encodeRecordBatch({ baseTimestamp: now - 3_600_000n, records: [{ value: 'old', timestamp: now - 3_600_000n }] })), ErrorCode.INVALID_TIMESTAMP);
  assert.equal(await send(encodeRecordBatch({ baseTimestamp: now + 3_600_000n, records: [{ value: 'future', timestamp: now + 3_600_000n }] })), ErrorCode.INVALID_TIMESTAMP);
  // A later record older than the first one (negative timestamp delta) is found too.
  assert.equal(await send(encodeRecordBatch({ baseTimestamp: now, records: [{ value: 'a', timestamp: now }, { value: 'b', timestamp: now - 3_600_000n }] })), ErrorCode.INVALID_TIMESTAMP);
});

test('Fetch: a long poll on a topic deleted while waiting answers UNKNOWN_TOPIC_OR_PARTITION at once', async () => {
  await createTopic('gone', 1);
  const c2 = await WireClient.connect(broker.port);
  const started = Date.now();
  const pending = c2.request<FetchResponse>(1, 11, fetchReq([{ topic: 'gone', partitions: [{ partition: 0, fetchOffset: 0n }] }], 0, -1, { maxWaitMs: 5000, minBytes: 1 }));
  await new Promise((res) => setTimeout(res, 100));
  await c.request(20, 6, { topics: [{ name: 'gone', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], timeoutMs: 1000 });
  const r = await pending;
  c2.close();
  assert.ok(Date.now() - started < 4000, 'answered before max.wait.ms');
  assert.equal(r.responses[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('OffsetForLeaderEpoch: end offset of the current epoch is the log end; fencing codes; unknown partition', async () => {
  await createTopic('ofle', 1);
  await produce('ofle', 0, ['a', 'b', 'c']);
  const ask = (leaderEpoch: number, currentLeaderEpoch: number, partition = 0) =>
    c.request<{ topics: { partitions: { errorCode: number; leaderEpoch: number; endOffset: bigint }[] }[] }>(23, 4, {
      replicaId: -1,
      topics: [{ topic: 'ofle', partitions: [{ partition, currentLeaderEpoch, leaderEpoch }] }],
    });
  let r = await ask(0, 0);
  assert.deepEqual(r.topics[0]?.partitions[0], { partition: 0, errorCode: 0, leaderEpoch: 0, endOffset: 3n });
  r = await ask(0, 5);
  assert.equal(r.topics[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);
  r = await ask(7, -1);
  assert.equal(r.topics[0]?.partitions[0]?.endOffset, -1n, 'an epoch above the latest is unknown');
  r = await ask(0, -1, 9);
  assert.equal(r.topics[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});
