/**
 * @platformatic/kafka (v1.x) against a Samsa broker process: Admin topic creation, keyed records
 * with headers placed like Java's partitioner, exact read back in order with Consumer.fetch() on
 * explicit partitions (no group needed), and compression.
 *
 * @platformatic/kafka's defaultPartitioner is NOT Java's: it takes `murmur2(key) >>> 0` (unsigned)
 * where Java clears the sign bit, so keys with a negative hash land elsewhere. Its
 * compatibilityPartitioner is Java's; we configure it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Consumer, Producer, compatibilityPartitioner, compressionsAlgorithms, stringSerializers } from '@platformatic/kafka';
import { partitionForKey } from '../../src/common/murmur2.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { CODEC_ID, expectedByPartition, makeKeyedRecords, type SentRecord } from '../helpers/compat.js';
import { withClient } from '../helpers/wire.js';

let broker: BrokerProcess;

before(async () => {
  broker = await startBrokerProcess();
});

after(async () => {
  await broker?.kill();
  if (broker) removeDir(broker.dataDir);
});

interface Got {
  offset: bigint;
  key: string | null;
  value: string | null;
  headers: [string, string][];
}

async function createTopic(topic: string, partitions: number): Promise<string> {
  const admin = new Admin({ clientId: 'samsa-plt-admin', bootstrapBrokers: [broker.bootstrap] });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
    const md = await admin.metadata({ topics: [topic] });
    const t = md.topics.get(topic);
    assert.ok(t, 'topic in metadata');
    assert.equal(t.partitionsCount, partitions);
    return t.id;
  } finally {
    await admin.close();
  }
}

/** Produces in several send() calls; checks each call's per-partition base offsets. */
async function produce(topic: string, partitions: number, sent: SentRecord[], compression?: 'gzip' | 'snappy' | 'lz4' | 'zstd'): Promise<void> {
  const producer = new Producer({
    clientId: 'samsa-plt-producer',
    bootstrapBrokers: [broker.bootstrap],
    serializers: stringSerializers,
    partitioner: compatibilityPartitioner,
    acks: -1,
    ...(compression ? { compression } : {}),
  });
  try {
    const counts = new Map<number, number>();
    const chunk = 50;
    for (let i = 0; i < sent.length; i += chunk) {
      const part = sent.slice(i, i + chunk);
      const res = await producer.send({
        messages: part.map((r) => ({ topic, key: r.key, value: r.value, headers: new Map(r.headers) })),
      });
      const perPartition = new Map<number, number>();
      for (const r of part) {
        const p = partitionForKey(Buffer.from(r.key), partitions);
        perPartition.set(p, (perPartition.get(p) ?? 0) + 1);
      }
      assert.ok(res.offsets, 'acks=-1 send returns offsets');
      for (const o of res.offsets) {
        assert.equal(o.topic, topic);
        assert.ok(perPartition.has(o.partition), `send reported partition ${o.partition} which no key maps to`);
        assert.equal(BigInt(o.offset), BigInt(counts.get(o.partition) ?? 0), `base offset of partition ${o.partition}`);
      }
      assert.equal(res.offsets.length, perPartition.size, 'one offset per partition written');
      for (const [p, n] of perPartition) counts.set(p, (counts.get(p) ?? 0) + n);
    }
  } finally {
    await producer.close();
  }
}

/** Reads a partition from 0 to its high watermark with Consumer.fetch(). */
async function readPartition(consumer: Consumer<Buffer, Buffer, Buffer, Buffer>, topicId: string, partition: number): Promise<{ records: Got[]; attributes: number[] }> {
  const out: Got[] = [];
  const attributes: number[] = [];
  let offset = 0n;
  for (let round = 0; round < 1000; round++) {
    const res = await consumer.fetch({
      node: 1,
      maxWaitTime: 10,
      topics: [{ topicId, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }],
    });
    const pd = res.responses[0]?.partitions[0];
    assert.ok(pd, 'partition in fetch response');
    assert.equal(pd.errorCode, 0, `fetch error ${pd.errorCode}`);
    for (const batch of pd.records ?? []) {
      attributes.push(batch.attributes);
      for (const r of batch.records) {
        const off = batch.firstOffset + BigInt(r.offsetDelta);
        if (off < offset) continue;
        out.push({
          offset: off,
          key: r.key ? r.key.toString('utf8') : null,
          value: r.value ? r.value.toString('utf8') : null,
          headers: r.headers.map(([k, v]) => [k?.toString('utf8') ?? '', v?.toString('utf8') ?? '']),
        });
        offset = off + 1n;
      }
    }
    if (offset >= pd.highWatermark) return { records: out, attributes };
  }
  throw new Error('fetch loop did not reach the high watermark');
}

async function readAndCheck(topic: string, topicId: string, partitions: number, sent: SentRecord[]): Promise<number[]> {
  const consumer = new Consumer({ clientId: 'samsa-plt-consumer', groupId: 'samsa-plt-unused', bootstrapBrokers: [broker.bootstrap] });
  const attributes: number[] = [];
  try {
    await consumer.metadata({ topics: [topic] });
    const expected = expectedByPartition(sent, partitions);
    for (let p = 0; p < partitions; p++) {
      const got = await readPartition(consumer, topicId, p);
      attributes.push(...got.attributes);
      const want = expected.get(p)!;
      assert.equal(got.records.length, want.length, `partition ${p} count`);
      got.records.forEach((g, i) => {
        assert.equal(g.offset, BigInt(i), `partition ${p}: offsets dense and in order`);
        assert.equal(g.key, want[i]!.key, `partition ${p} offset ${i}: key`);
        assert.equal(g.value, want[i]!.value, `partition ${p} offset ${i}: value`);
        assert.deepEqual(g.headers, want[i]!.headers, `partition ${p} offset ${i}: headers`);
      });
    }
  } finally {
    await consumer.close(true);
  }
  return attributes;
}

test('@platformatic/kafka: admin topic, keyed records with headers on Java partitions, read back in order', async () => {
  const topic = 'plt-keyed';
  const partitions = 6;
  const sent = makeKeyedRecords('plt', 400);
  const topicId = await createTopic(topic, partitions);
  await produce(topic, partitions, sent);
  await readAndCheck(topic, topicId, partitions, sent);
  // Independent check with our own decoder (CRCs verified).
  const stored = await withClient(broker.port, async (c) => {
    let n = 0;
    for (let p = 0; p < partitions; p++) n += (await c.fetchAll(topic, p)).batches.reduce((s, b) => s + b.records.length, 0);
    return n;
  });
  assert.equal(stored, sent.length);
});

const codecs = (['gzip', 'snappy', 'lz4', 'zstd'] as const).filter((c) => compressionsAlgorithms[c].available);

test('@platformatic/kafka: compression round trips', async () => {
  assert.ok(codecs.includes('gzip') && codecs.includes('snappy') && codecs.includes('lz4'), `available codecs: ${codecs.join(',')}`);
  console.log(`# @platformatic/kafka codecs: ${codecs.join(', ')}`);
  for (const codec of codecs) {
    const topic = `plt-z-${codec}`;
    const sent = makeKeyedRecords(`pltz${codec}`, 200);
    const topicId = await createTopic(topic, 2);
    await produce(topic, 2, sent, codec);
    const attrs = await readAndCheck(topic, topicId, 2, sent);
    assert.ok(attrs.length > 0);
    for (const a of attrs) assert.equal(a & 7, CODEC_ID[codec], `${codec}: batch attributes`);
  }
});
