/**
 * kafkajs against a real Samsa broker over TCP: admin topic creation, keyed produce with headers
 * (murmur2 partitioning, as Java's default partitioner), gzip, and reading back exactly what was
 * stored (verified with fetches through the generated codecs; kafkajs can only consume through a
 * group, which the groups suite covers).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, CompressionTypes, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { partitionForKey } from '../../src/common/murmur2.js';
import { decodeRecordBatches, type RecordBatch } from '../../src/protocol/records/record.js';
import { WireClient } from '../helpers/wire.js';
import type { FetchResponse } from '../../src/protocol/generated/messages/fetch.js';

let broker: RunningBroker;
let kafka: Kafka;

before(async () => {
  broker = await startBroker({ port: 0 });
  kafka = new Kafka({ clientId: 'kafkajs-compat', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});

after(async () => {
  await broker.stop();
});

async function fetchAll(topic: string, partition: number): Promise<RecordBatch[]> {
  const c = await WireClient.connect(broker.port);
  try {
    const batches: RecordBatch[] = [];
    let offset = 0n;
    for (;;) {
      const res = await c.request<FetchResponse>(1, 11, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20, logStartOffset: -1n, currentLeaderEpoch: -1 }] }],
        forgottenTopicsData: [], rackId: '',
      });
      const p = res.responses[0]?.partitions[0];
      assert.ok(p);
      assert.equal(p.errorCode, 0);
      const records = p.records ?? Buffer.alloc(0);
      if (records.length === 0) return batches;
      const decoded = decodeRecordBatches(records, { verifyCrc: true });
      batches.push(...decoded);
      const last = decoded[decoded.length - 1];
      assert.ok(last);
      offset = last.baseOffset + BigInt(last.lastOffsetDelta) + 1n;
    }
  } finally {
    c.close();
  }
}

test('kafkajs creates a topic, produces keyed records with headers and they are stored exactly, in order, on murmur2 partitions', async () => {
  const admin = kafka.admin();
  await admin.connect();
  const topic = 'kjs-keyed';
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true }), true);
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  assert.equal(meta.topics[0]?.partitions.length, 4);
  await admin.disconnect();

  const producer = kafka.producer();
  await producer.connect();
  const sent: { key: string; value: string; h: string }[] = [];
  for (let i = 0; i < 200; i++) sent.push({ key: `key-${i % 37}`, value: `value-${i}`, h: `hdr-${i}` });
  for (let i = 0; i < sent.length; i += 20) {
    await producer.send({
      topic,
      acks: -1,
      messages: sent.slice(i, i + 20).map((m) => ({ key: m.key, value: m.value, headers: { trace: m.h } })),
    });
  }
  await producer.disconnect();

  const seen: { key: string; value: string; h: string; partition: number }[] = [];
  for (let p = 0; p < 4; p++) {
    const batches = await fetchAll(topic, p);
    let expectOffset = 0n;
    for (const b of batches) {
      for (const r of b.records) {
        assert.equal(r.offset, expectOffset++, 'offsets are contiguous from 0');
        seen.push({ key: r.key?.toString() ?? '', value: r.value?.toString() ?? '', h: r.headers[0]?.value?.toString() ?? '', partition: p });
        assert.equal(r.headers[0]?.key, 'trace');
      }
    }
  }
  assert.equal(seen.length, sent.length);
  for (const s of seen) assert.equal(s.partition, partitionForKey(Buffer.from(s.key), 4), `key ${s.key} on murmur2 partition`);
  // Per partition, records appear in the order they were sent.
  for (let p = 0; p < 4; p++) {
    const got = seen.filter((s) => s.partition === p).map((s) => s.value);
    const want = sent.filter((s) => partitionForKey(Buffer.from(s.key), 4) === p).map((s) => s.value);
    assert.deepEqual(got, want);
  }
  const byValue = new Map(seen.map((s) => [s.value, s]));
  for (const m of sent) {
    const s = byValue.get(m.value);
    assert.ok(s, `record ${m.value} stored`);
    assert.equal(s.key, m.key);
    assert.equal(s.h, m.h);
  }
});

test('kafkajs gzip-compressed batches round-trip', async () => {
  const topic = 'kjs-gzip';
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const values = Array.from({ length: 500 }, (_, i) => `compressible payload ${i} `.repeat(10));
  await producer.send({ topic, compression: CompressionTypes.GZIP, messages: values.map((value) => ({ value })) });
  await producer.disconnect();
  const batches = await fetchAll(topic, 0);
  assert.ok(batches.some((b) => b.compression === 1), 'stored batch keeps gzip compression');
  assert.deepEqual(batches.flatMap((b) => b.records.map((r) => r.value?.toString())), values);
});

test('kafkajs admin: list topics, fetch offsets, delete topic, create partitions', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 2 }] });
  assert.ok((await admin.listTopics()).includes('kjs-admin'));
  await admin.createPartitions({ topicPartitions: [{ topic: 'kjs-admin', count: 5 }] });
  const meta = await admin.fetchTopicMetadata({ topics: ['kjs-admin'] });
  assert.equal(meta.topics[0]?.partitions.length, 5);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'kjs-admin', messages: [{ value: 'a', partition: 1 }, { value: 'b', partition: 1 }] });
  await producer.disconnect();
  const offsets = await admin.fetchTopicOffsets('kjs-admin');
  const p1 = offsets.find((o) => o.partition === 1);
  assert.equal(p1?.high, '2');
  assert.equal(p1?.low, '0');
  await assert.rejects(admin.createTopics({ topics: [{ topic: 'bad/name' }] }).then((ok) => { if (!ok) throw new Error('not created'); }));
  await admin.deleteTopics({ topics: ['kjs-admin'] });
  assert.ok(!(await admin.listTopics()).includes('kjs-admin'));
  await admin.disconnect();
});
