/**
 * Old clients' APIs over TCP with exact request versions (issue 23): Fetch v0-v3 answered with
 * magic 0/1 messages converted from the stored v2 batches (each conversion edge: uncompressed
 * from mid-batch, nested compressed wrappers per codec, LogAppendTime, transactional data,
 * message.downconversion.enable=false, zstd, max_bytes), ListOffsets v0's offset lists, and
 * OffsetCommit/OffsetFetch v0 (UNSUPPORTED_VERSION, as Kafka 3.x without ZooKeeper).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { legacyRecords, readLegacyMessages, type LegacyMessage } from '../helpers/legacy-messages.js';
import { WireClient } from '../helpers/wire.js';

let broker: RunningBroker;
let c: WireClient;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'num.partitions': 1, 'transaction.state.log.num.partitions': 2, 'offsets.topic.num.partitions': 2 } });
  c = await WireClient.connect(broker.port);
});

after(async () => {
  c.close();
  await broker.stop();
});

async function createTopic(name: string, configs: Record<string, string> = {}): Promise<void> {
  assert.equal(await c.createTopic(name, 1, configs), 0, `create ${name}`);
}

async function produce(topic: string, batch: Buffer): Promise<bigint> {
  const r = await c.produce(topic, 0, batch);
  assert.equal(r.errorCode, 0, `produce to ${topic}: ${r.errorMessage}`);
  return r.baseOffset;
}

interface LegacyPartition {
  errorCode: number;
  highWatermark: bigint;
  records: Buffer;
}

/** One Fetch of `version` (0-3) for partition 0 of `topic`. */
async function legacyFetch(version: number, topic: string, fetchOffset: bigint, partitionMaxBytes = 1 << 20, maxBytes = 1 << 20): Promise<LegacyPartition> {
  const res = await c.request(1, version, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes }] }],
  });
  const p = res.responses[0].partitions[0];
  const recs = p.records as Buffer | null;
  return { errorCode: p.errorCode, highWatermark: p.highWatermark, records: recs ?? Buffer.alloc(0) };
}

const rec = (i: number, ts = 1_700_000_000_000n): { key: string; value: string; timestamp: bigint; headers: { key: string; value: string }[] } => ({
  key: `k${i}`,
  value: `v${i}`,
  timestamp: ts + BigInt(i),
  headers: [{ key: 'h', value: 'dropped' }],
});

test('ApiVersions advertises Fetch from v0 and ListOffsets from v0 (served); OffsetCommit/OffsetFetch keep their minimums', async () => {
  const res = await c.apiVersions();
  const byKey = new Map((res.apiKeys as { apiKey: number; minVersion: number; maxVersion: number }[]).map((k) => [k.apiKey, k]));
  assert.deepEqual([byKey.get(1)?.minVersion, byKey.get(1)?.maxVersion], [0, 17]);
  assert.deepEqual([byKey.get(2)?.minVersion, byKey.get(2)?.maxVersion], [0, 10]);
  assert.equal(byKey.get(8)?.minVersion, 2);
  assert.equal(byKey.get(9)?.minVersion, 1);
});

test('Fetch v0-v1 carry magic 0 and v2-v3 magic 1 messages, never v2 batches; an uncompressed batch read from its middle starts at the fetch offset', async () => {
  const topic = 'legacy-plain';
  await createTopic(topic);
  await produce(topic, encodeRecordBatch({ records: [0, 1, 2, 3].map((i) => rec(i)) }));
  await produce(topic, encodeRecordBatch({ records: [{ key: null, value: null, timestamp: 1_700_000_000_100n }, { key: 'k5', value: '', timestamp: 1_700_000_000_101n }] }));
  for (const version of [0, 1, 2, 3]) {
    const magic = version <= 1 ? 0 : 1;
    const p = await legacyFetch(version, topic, 2n);
    assert.equal(p.errorCode, 0);
    assert.equal(p.highWatermark, 6n);
    const msgs = readLegacyMessages(p.records);
    assert.ok(msgs.every((m) => m.magic === magic && m.inner === null), `v${version}: every message uncompressed with magic ${magic}`);
    const got = legacyRecords(msgs);
    assert.deepEqual(got.map((r) => r.offset), [2n, 3n, 4n, 5n], `v${version}: offsets from the fetch offset`);
    assert.deepEqual(got.map((r) => [r.key, r.value]), [['k2', 'v2'], ['k3', 'v3'], [null, null], ['k5', '']]);
    assert.deepEqual(got.map((r) => r.timestamp), magic === 1 ? [1_700_000_000_002n, 1_700_000_000_003n, 1_700_000_000_100n, 1_700_000_000_101n] : [null, null, null, null]);
    assert.ok(got.every((r) => (r.attributes & 0x08) === 0), 'CreateTime: no timestamp-type bit');
  }
  assert.ok(broker.broker.conversions.fetchBatches > 0, 'conversions are counted');
});

for (const codec of ['gzip', 'snappy', 'lz4'] as const) {
  const id = { gzip: 1, snappy: 2, lz4: 3 }[codec];
  test(`Fetch v0-v3 of a ${codec} batch: one ${codec} wrapper message holding the records (magic 1: relative inner offsets; magic 0: absolute)`, async () => {
    const topic = `legacy-${codec}`;
    await createTopic(topic);
    await produce(topic, encodeRecordBatch({ records: [0, 1].map((i) => rec(i)) }));
    await produce(topic, encodeRecordBatch({ compression: id, records: [2, 3, 4].map((i) => rec(i)) }));
    for (const version of [0, 1, 2, 3]) {
      const magic = version <= 1 ? 0 : 1;
      const msgs = readLegacyMessages((await legacyFetch(version, topic, 3n)).records);
      // The compressed batch is sent whole (an old client skips what precedes its fetch offset).
      assert.equal(msgs.length, 1, `v${version}: one wrapper`);
      const w = msgs[0] as LegacyMessage;
      assert.equal(w.magic, magic);
      assert.equal(w.codec, id);
      assert.equal(w.offset, 4n, 'wrapper offset = last inner offset');
      assert.equal(w.key, null);
      assert.deepEqual(w.inner?.map((m) => m.offset), magic === 1 ? [0n, 1n, 2n] : [2n, 3n, 4n]);
      assert.ok(w.inner?.every((m) => m.magic === magic && m.codec === 0));
      if (magic === 1) assert.equal(w.timestamp, 1_700_000_000_004n, 'wrapper timestamp = max inner timestamp');
      const got = legacyRecords(msgs);
      assert.deepEqual(got.map((r) => [r.offset, r.key, r.value]), [[2n, 'k2', 'v2'], [3n, 'k3', 'v3'], [4n, 'k4', 'v4']]);
    }
  });
}

test('LogAppendTime topic: magic 1 messages carry the append time with the timestamp-type bit (wrapper and inner); magic 0 has no timestamp', async () => {
  const topic = 'legacy-lat';
  await createTopic(topic, { 'message.timestamp.type': 'LogAppendTime' });
  const before = BigInt(Date.now());
  await produce(topic, encodeRecordBatch({ records: [0, 1].map((i) => rec(i, 1000n)) }));
  await produce(topic, encodeRecordBatch({ compression: 1, records: [2, 3].map((i) => rec(i, 1000n)) }));
  const after = BigInt(Date.now());
  const v2 = readLegacyMessages((await legacyFetch(2, topic, 0n)).records);
  const flat = legacyRecords(v2);
  assert.equal(flat.length, 4);
  for (const r of flat) {
    assert.ok(r.timestamp !== null && r.timestamp >= before && r.timestamp <= after, `append time ${r.timestamp} within [${before}, ${after}]`);
    assert.equal(r.attributes & 0x08, 0x08, 'LogAppendTime bit');
  }
  const wrapper = v2[2] as LegacyMessage;
  assert.equal(wrapper.attributes & 0x08, 0x08, 'wrapper carries the LogAppendTime bit');
  assert.equal(wrapper.timestamp, (wrapper.inner?.[0] as LegacyMessage).timestamp);
  const v0 = legacyRecords(readLegacyMessages((await legacyFetch(0, topic, 0n)).records));
  assert.deepEqual(v0.map((r) => [r.magic, r.timestamp, r.attributes & 0x08]), [[0, null, 0], [0, null, 0], [0, null, 0], [0, null, 0]]);
});

test('transactional data: control batches never reach a v0-v3 consumer; aborted records do (no isolation level before v4), as from Kafka 3.x', async () => {
  const topic = 'legacy-txn';
  await createTopic(topic);
  const kafka = new Kafka({ clientId: 'legacy-txn', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ transactionalId: 'legacy-txn-1', idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    let tx = await producer.transaction();
    await tx.send({ topic, messages: [{ key: 'a', value: 'aborted-1' }, { key: 'a', value: 'aborted-2' }] });
    await tx.abort();
    tx = await producer.transaction();
    await tx.send({ topic, messages: [{ key: 'c', value: 'committed' }] });
    await tx.commit();
  } finally {
    await producer.disconnect();
  }
  // Log: 0-1 aborted, 2 abort marker, 3 committed, 4 commit marker.
  for (const version of [0, 1, 2, 3]) {
    const p = await legacyFetch(version, topic, 0n);
    assert.equal(p.highWatermark, 5n);
    const got = legacyRecords(readLegacyMessages(p.records));
    assert.deepEqual(got.map((r) => [r.offset, r.value]), [[0n, 'aborted-1'], [1n, 'aborted-2'], [3n, 'committed']], `v${version}`);
    // Positioned on the last marker: nothing to send, and no control record either.
    const tail = await legacyFetch(version, topic, 4n);
    assert.equal(tail.errorCode, 0);
    assert.equal(tail.records.length, 0, `v${version}: a fetch of only a control batch is empty`);
  }
});

test('message.downconversion.enable=false: Fetch v0-v3 get UNSUPPORTED_VERSION for the topic; v4+ unaffected; the broker-wide synonym applies to topics without an override', async () => {
  const topic = 'legacy-disabled';
  await createTopic(topic, { 'message.downconversion.enable': 'false' });
  await produce(topic, encodeRecordBatch({ records: [rec(0)] }));
  for (const version of [0, 1, 2, 3]) {
    const p = await legacyFetch(version, topic, 0n);
    assert.equal(p.errorCode, ErrorCode.UNSUPPORTED_VERSION, `v${version}`);
    assert.equal(p.records.length, 0);
  }
  assert.equal((await c.fetchOnce(topic, 0, 0n)).errorCode, 0);

  const other = await startBroker({ port: 0, config: { 'num.partitions': 1, 'log.message.downconversion.enable': false } });
  const c2 = await WireClient.connect(other.port);
  try {
    assert.equal(await c2.createTopic('t', 1), 0);
    assert.equal(await c2.createTopic('t-on', 1, { 'message.downconversion.enable': 'true' }), 0);
    for (const t of ['t', 't-on']) assert.equal((await c2.produce(t, 0, encodeRecordBatch({ records: [rec(0)] }))).errorCode, 0);
    const fetch = async (t: string): Promise<number> =>
      (await c2.request(1, 3, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topic: t, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] })).responses[0].partitions[0].errorCode;
    assert.equal(await fetch('t'), ErrorCode.UNSUPPORTED_VERSION);
    assert.equal(await fetch('t-on'), 0, 'a topic override re-enables it');
  } finally {
    c2.close();
    await other.stop();
  }
});

test('zstd: a zstd topic answers UNSUPPORTED_COMPRESSION_TYPE to Fetch v0-v3, as does a zstd batch that would be converted first', async () => {
  await createTopic('legacy-zstd-topic', { 'compression.type': 'zstd' });
  assert.equal((await legacyFetch(2, 'legacy-zstd-topic', 0n)).errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  const topic = 'legacy-zstd-batch';
  await createTopic(topic);
  await produce(topic, encodeRecordBatch({ records: [rec(0)] }));
  await produce(topic, encodeRecordBatch({ compression: 4, records: [rec(1)] }));
  const head = await legacyFetch(3, topic, 0n);
  assert.equal(head.errorCode, 0);
  assert.deepEqual(legacyRecords(readLegacyMessages(head.records)).map((r) => r.offset), [0n], 'data ends before the zstd batch');
  assert.equal((await legacyFetch(3, topic, 1n)).errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
});

test('Fetch v3 max_bytes and partition max bytes bound the converted data (whole messages), one batch at least', async () => {
  const topic = 'legacy-bytes';
  await createTopic(topic);
  const value = 'x'.repeat(1000);
  for (let i = 0; i < 20; i++) await produce(topic, encodeRecordBatch({ records: [{ key: `k${i}`, value }] }));
  const messageSize = 12 + 22 + 4 + 'k0'.length + 4 + value.length;
  // Reading the whole partition in small responses: each within max_bytes, whole messages, in order.
  for (const [version, limit] of [[3, 5 * messageSize + 10], [1, 3 * messageSize]] as const) {
    let offset = 0n;
    let responses = 0;
    while (offset < 20n) {
      const p = version === 3 ? await legacyFetch(3, topic, offset, 1 << 20, limit) : await legacyFetch(1, topic, offset, limit);
      assert.ok(p.records.length <= limit, `v${version}: ${p.records.length} bytes within ${limit}`);
      const got = readLegacyMessages(p.records);
      assert.ok(got.length >= 1);
      assert.equal(got.reduce((n, m) => n + 12 + (m.value?.length ?? 0) + 4 + 4 + (m.key?.length ?? 0) + (version === 3 ? 22 : 14) - 8, 0), p.records.length, 'no partial message');
      assert.deepEqual(got.map((m) => m.offset), got.map((_, i) => offset + BigInt(i)));
      offset += BigInt(got.length);
      responses++;
    }
    assert.ok(responses >= 4, `v${version}: ${responses} responses`);
  }
  const tiny = await legacyFetch(3, topic, 7n, 10, 10);
  assert.deepEqual(readLegacyMessages(tiny.records).map((m) => m.offset), [7n], 'the first batch even over the limits');
});

test('ListOffsets v0: offset lists from segment boundaries, newest first, bounded by max_num_offsets', async () => {
  const topic = 'legacy-list';
  await createTopic(topic, { 'segment.bytes': '200' });
  for (let i = 0; i < 4; i++) await produce(topic, encodeRecordBatch({ records: [{ key: `k${i}`, value: 'y'.repeat(150) }] }));
  const list = async (timestamp: bigint, maxNumOffsets: number, replicaId = -1): Promise<bigint[]> => {
    const res = await c.request(2, 0, { replicaId, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp, maxNumOffsets }] }] });
    assert.equal(res.topics[0].partitions[0].errorCode, 0);
    return res.topics[0].partitions[0].oldStyleOffsets as bigint[];
  };
  // Every batch rolled a segment: bases 0, 1, 2, 3 and the (empty) active one at 4.
  assert.deepEqual(await list(-1n, 1), [4n]);
  assert.deepEqual(await list(-1n, 10), [4n, 3n, 2n, 1n, 0n]);
  assert.deepEqual(await list(-2n, 10), [0n]);
  assert.deepEqual(await list(-1n, 2), [4n, 3n]);
  assert.deepEqual(await list(BigInt(Date.now()) + 60_000n, 10), [4n, 3n, 2n, 1n, 0n], 'a future time: every candidate');
  assert.deepEqual(await list(1n, 10), [], 'before every segment was written: none');
  const unknown = await c.request(2, 0, { replicaId: -1, topics: [{ name: 'no-such-topic', partitions: [{ partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 }] }] });
  assert.equal(unknown.topics[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('OffsetCommit v0 and OffsetFetch v0 (ZooKeeper-era) answer UNSUPPORTED_VERSION, as Kafka 3.x without ZooKeeper', async () => {
  const topic = 'legacy-commit';
  await createTopic(topic);
  const commit = await c.request(8, 0, { groupId: 'g0', topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: '' }] }] });
  assert.equal(commit.topics[0].partitions[0].errorCode, ErrorCode.UNSUPPORTED_VERSION);
  const unknown = await c.request(8, 0, { groupId: 'g0', topics: [{ name: 'no-such-topic', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: '' }] }] });
  assert.equal(unknown.topics[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const fetched = await c.request(9, 0, { groupId: 'g0', topics: [{ name: topic, partitionIndexes: [0] }] });
  assert.equal(fetched.topics[0].partitions[0].errorCode, ErrorCode.UNSUPPORTED_VERSION);
  // Nothing was stored: v1 sees no commit.
  const v1 = await c.request(9, 1, { groupId: 'g0', topics: [{ name: topic, partitionIndexes: [0] }] });
  assert.equal(v1.topics[0].partitions[0].committedOffset, -1n);
});
