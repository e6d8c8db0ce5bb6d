/**
 * DeleteRecords (v0-2): the log start offset moves, whole segments below it go, ListOffsets
 * earliest and Fetch follow it (OFFSET_OUT_OF_RANGE below), kafkajs sees the new low watermark,
 * errors per partition, and the new start survives a kill -9.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { WireClient } from '../helpers/wire.js';

const { Kafka, logLevel } = kafkajs;
const E = { NONE: 0, OFFSET_OUT_OF_RANGE: 1, UNKNOWN_TOPIC_OR_PARTITION: 3, INVALID_TOPIC_EXCEPTION: 17, POLICY_VIOLATION: 44 } as const;

let broker: BrokerProcess;
let c: WireClient;

before(async () => {
  broker = await startBrokerProcess({ overrides: { 'log.segment.delete.delay.ms': 0 } });
  c = await WireClient.connect(broker.port);
});

after(async () => {
  c?.close();
  await broker?.kill();
  if (broker) removeDir(broker.dataDir);
});

async function deleteRecords(topic: string, partitions: { partition: number; offset: bigint }[], version = 2): Promise<{ partitionIndex: number; lowWatermark: bigint; errorCode: number }[]> {
  const res = await c.request(21, version, { topics: [{ name: topic, partitions: partitions.map((p) => ({ partitionIndex: p.partition, offset: p.offset })) }], timeoutMs: 5000 });
  return res.topics[0].partitions;
}

async function fill(topic: string, batches: number): Promise<void> {
  for (let i = 0; i < batches; i++) {
    const r = await c.produce(topic, 0, encodeRecordBatch({ records: Array.from({ length: 10 }, (_, j) => ({ key: `k${j}`, value: `v${i}-${j}-${'d'.repeat(50)}` })) }));
    assert.equal(r.errorCode, 0);
  }
}

it('moves the log start offset; Fetch, ListOffsets and kafkajs follow; segments below are deleted', async () => {
  assert.equal(await c.createTopic('dr', 1, { 'segment.bytes': 2048 }), 0);
  await fill('dr', 30);
  const segsBefore = readdirSync(join(broker.dataDir, 'dr-0')).filter((f) => f.endsWith('.log')).length;
  const [r] = await deleteRecords('dr', [{ partition: 0, offset: 155n }]);
  assert.deepEqual(r, { partitionIndex: 0, lowWatermark: 155n, errorCode: E.NONE });
  assert.equal((await c.listOffset('dr', 0, -2n)).offset, 155n);
  assert.equal((await c.fetchOnce('dr', 0, 154n)).errorCode, E.OFFSET_OUT_OF_RANGE);
  const at = await c.fetchOnce('dr', 0, 155n);
  assert.equal(at.errorCode, E.NONE);
  assert.equal(at.logStartOffset, 155n);
  const { batches } = await c.fetchAll('dr', 0, 155n);
  const offsets = batches.flatMap((b) => b.records.map((x) => x.offset)).filter((o) => o >= 155n);
  assert.equal(offsets[0], 155n);
  assert.equal(offsets.length, 300 - 155);
  const segsAfter = readdirSync(join(broker.dataDir, 'dr-0')).filter((f) => f.endsWith('.log')).length;
  assert.ok(segsAfter < segsBefore, `segments ${segsBefore} -> ${segsAfter}`);
  // A lower offset does not move the start back; v0 works.
  assert.equal((await deleteRecords('dr', [{ partition: 0, offset: 10n }], 0))[0]!.lowWatermark, 155n);

  const kafka = new Kafka({ clientId: 'dr-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    assert.equal((await admin.fetchTopicOffsets('dr'))[0]!.low, '155');
    await admin.deleteTopicRecords({ topic: 'dr', partitions: [{ partition: 0, offset: '200' }] });
    const offs = await admin.fetchTopicOffsets('dr');
    assert.equal(offs[0]!.low, '200');
    assert.equal(offs[0]!.high, '300');
    await admin.deleteTopicRecords({ topic: 'dr', partitions: [{ partition: 0, offset: '-1' }] });
    assert.equal((await admin.fetchTopicOffsets('dr'))[0]!.low, '300', 'offset -1 deletes up to the high watermark');
  } finally {
    await admin.disconnect();
  }
});

it('per-partition errors: unknown partition, above the high watermark, compact-only policy, internal topic', async () => {
  assert.equal(await c.createTopic('dr-err', 2), 0);
  await fill('dr-err', 2);
  const rs = await deleteRecords('dr-err', [
    { partition: 0, offset: 21n },
    { partition: 1, offset: -7n },
    { partition: 5, offset: 0n },
  ]);
  assert.deepEqual(rs.map((x) => x.errorCode), [E.OFFSET_OUT_OF_RANGE, E.OFFSET_OUT_OF_RANGE, E.UNKNOWN_TOPIC_OR_PARTITION]);
  assert.equal(await c.createTopic('dr-compact', 1, { 'cleanup.policy': 'compact' }), 0);
  await fill('dr-compact', 1);
  assert.equal((await deleteRecords('dr-compact', [{ partition: 0, offset: 5n }]))[0]!.errorCode, E.POLICY_VIOLATION);
  assert.equal(await c.createTopic('dr-both', 1, { 'cleanup.policy': 'compact,delete' }), 0);
  await fill('dr-both', 1);
  assert.equal((await deleteRecords('dr-both', [{ partition: 0, offset: 5n }]))[0]!.errorCode, E.NONE);
});

it('the new log start offset survives kill -9', async () => {
  assert.equal(await c.createTopic('dr-crash', 1, { 'segment.bytes': 2048 }), 0);
  await fill('dr-crash', 10);
  assert.equal((await deleteRecords('dr-crash', [{ partition: 0, offset: 42n }]))[0]!.lowWatermark, 42n);
  c.close();
  await broker.kill();
  broker = await startBrokerProcess({ dataDir: broker.dataDir, overrides: { 'log.segment.delete.delay.ms': 0 } });
  c = await WireClient.connect(broker.port);
  assert.equal((await c.listOffset('dr-crash', 0, -2n)).offset, 42n);
  assert.equal((await c.fetchOnce('dr-crash', 0, 41n)).errorCode, E.OFFSET_OUT_OF_RANGE);
});
