/**
 * A consumer's Fetch over its consumer_byte_rate is answered as Kafka answers it
 * (KafkaApis.handleFetchRequest → getThrottledResponse): throttle_time_ms set, error NONE, no
 * partitions, and its bytes not counted, so the same records come with the first fetch after the
 * throttle. Fetch sessions: a throttled full fetch opens no session (session id 0), a throttled
 * incremental fetch keeps its session. The broker runs on a manual clock (counts, not timings);
 * a kafkajs consumer under the quota then reads every record exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { ManualScheduler, startBroker } from '../../src/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { WireClient, waitFor, withClient } from '../helpers/wire.js';

interface FetchRes {
  throttleTimeMs: number;
  errorCode: number;
  sessionId: number;
  responses: { topic: string; partitions: { partitionIndex: number; errorCode: number; highWatermark: bigint; records: Buffer | null }[] }[];
}

const BATCH_VALUE = 1900;

async function setQuota(port: number, clientId: string, value: number): Promise<void> {
  await withClient(port, async (c) => {
    const r = await c.request<{ entries: { errorCode: number }[] }>(49, 1, { entries: [{ entity: [{ entityType: 'client-id', entityName: clientId }], ops: [{ key: 'consumer_byte_rate', value, remove: false }] }], validateOnly: false });
    assert.equal(r.entries[0]?.errorCode, 0);
  });
}

async function fill(port: number, topic: string, batches: number): Promise<void> {
  await withClient(port, async (c) => {
    const created = await c.request<{ topics: { errorCode: number }[] }>(19, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
    assert.equal(created.topics[0]?.errorCode, 0);
    for (let i = 0; i < batches; i++) {
      const r = await c.produce(topic, 0, encodeRecordBatch({ baseTimestamp: 1n, records: [{ value: String(i % 10).repeat(BATCH_VALUE), timestamp: 1n }] }));
      assert.equal(r.errorCode, 0);
    }
  });
}

/** The base offsets of the record batches in `records` (batch header: baseOffset int64, length int32). */
function batchOffsets(records: Buffer | null): bigint[] {
  const out: bigint[] = [];
  if (records === null) return out;
  for (let pos = 0; pos + 12 <= records.length; ) {
    out.push(records.readBigInt64BE(pos));
    pos += 12 + records.readInt32BE(pos + 8);
  }
  return out;
}

test('a throttled consumer Fetch carries no records and the throttle; its bytes are not counted, so the same records come after the throttle', { timeout: 60_000 }, async () => {
  const clock = new ManualScheduler(Date.now());
  const b = await startBroker({ port: 0, scheduler: clock, config: { 'num.partitions': 1, 'quota.window.num': 2, 'quota.window.size.seconds': 1 } });
  const topic = 'fetch-throttled';
  try {
    await fill(b.port, topic, 12);
    // 5000 B/s over 2 windows of 1 s: a fetch asks for at most 5000 bytes (two batches of ~1970).
    await setQuota(b.port, 'samsa-test', 5000); // the wire client's client id
    const c = await WireClient.connect(b.port);
    try {
      const fetch = (offset: bigint, sessionId: number, sessionEpoch: number, withPartition = true): Promise<FetchRes> =>
        c.request<FetchRes>(1, 12, {
          replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId, sessionEpoch,
          topics: withPartition ? [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }] : [],
          forgottenTopicsData: [], rackId: '',
        });
      // Sessionless (epoch -1): 2 batches within the quota, then 2 more would take the rate to 8000 B/s.
      const first = await fetch(0n, 0, -1);
      assert.equal(first.throttleTimeMs, 0);
      assert.deepEqual(batchOffsets(first.responses[0]?.partitions[0]?.records ?? null), [0n, 1n]);
      const over = await fetch(2n, 0, -1);
      assert.ok(over.throttleTimeMs > 0, 'throttled');
      assert.equal(over.errorCode, 0);
      assert.deepEqual(over.responses, [], 'no partitions, no records');
      // After the throttle (both windows gone), offset 2 is read: the throttled fetch served nothing.
      clock.advance(2000);
      const again = await fetch(2n, 0, -1);
      assert.equal(again.throttleTimeMs, 0, 'the throttled bytes were not counted');
      assert.deepEqual(batchOffsets(again.responses[0]?.partitions[0]?.records ?? null), [2n, 3n]);

      // A full fetch that opens a session (epoch 0), throttled: no session is kept or announced.
      const sessionsBefore = b.broker.fetchSessions.size;
      const fullOver = await fetch(4n, 0, 0);
      assert.ok(fullOver.throttleTimeMs > 0);
      assert.deepEqual(fullOver.responses, []);
      assert.equal(fullOver.sessionId, 0, 'a throttled full fetch opens no session (Kafka: INVALID_SESSION_ID)');
      assert.equal(b.broker.fetchSessions.size, sessionsBefore);
      clock.advance(2000);
      // Not throttled: the session opens with the records.
      const full = await fetch(4n, 0, 0);
      assert.equal(full.throttleTimeMs, 0);
      assert.ok(full.sessionId > 0);
      assert.deepEqual(batchOffsets(full.responses[0]?.partitions[0]?.records ?? null), [4n, 5n]);
      // Incremental (epoch 1, the partition's offset moves on to 6): throttled, the session stays.
      const incOver = await fetch(6n, full.sessionId, 1);
      assert.ok(incOver.throttleTimeMs > 0);
      assert.deepEqual(incOver.responses, []);
      assert.equal(incOver.sessionId, full.sessionId, 'a throttled incremental fetch keeps its session');
      clock.advance(2000);
      // Epoch 2 with no changes: the partition (still at offset 6) answers with the records the throttled fetch did not send.
      const inc = await fetch(0n, full.sessionId, 2, false);
      assert.equal(inc.errorCode, 0);
      assert.equal(inc.throttleTimeMs, 0);
      assert.deepEqual(batchOffsets(inc.responses[0]?.partitions[0]?.records ?? null), [6n, 7n]);
      console.log(`throttled fetch: ${over.throttleTimeMs} ms (sessionless), ${fullOver.throttleTimeMs} ms (full, new session), ${incOver.throttleTimeMs} ms (incremental), each with no partitions`);
    } finally {
      c.close();
    }
  } finally {
    await b.stop();
  }
});

test('a kafkajs consumer under consumer_byte_rate reads every record once, in order, through throttled fetches', { timeout: 120_000 }, async () => {
  const b = await startBroker({ port: 0, config: { 'num.partitions': 1, 'quota.window.num': 2, 'quota.window.size.seconds': 1 } });
  const topic = 'fetch-throttled-kafkajs';
  const kafka = new Kafka({ clientId: 'kjs-slow', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'kjs-slow', maxBytesPerPartition: 4096, maxBytes: 4096 });
  try {
    await fill(b.port, topic, 60); // about 118 KB
    await setQuota(b.port, 'kjs-slow', 40_000);
    const seen: bigint[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const started = Date.now();
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(BigInt(message.offset)) });
    await waitFor(() => seen.length >= 60, 90_000, 'kafkajs to read the 60 records', 50);
    const seconds = (Date.now() - started) / 1000;
    assert.deepEqual(seen, Array.from({ length: 60 }, (_, i) => BigInt(i)), 'every record once, in order');
    console.log(`kafkajs under 40000 B/s: 60 records (~${60 * (BATCH_VALUE + 70)} B) in ${seconds.toFixed(1)} s`);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await b.stop();
  }
});
