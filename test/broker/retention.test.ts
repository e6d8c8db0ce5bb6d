/**
 * Retention on a broker process with small segments: by time (retention.ms) and by size
 * (retention.bytes), set per topic at creation and as broker defaults (--override). Old segment
 * files go away, ListOffsets earliest moves forward (seen by our codec client and by kafkajs),
 * fetching below it is OFFSET_OUT_OF_RANGE, and what remains is the newest data, intact.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { WireClient, waitFor, withClient } from '../helpers/wire.js';

const { Kafka, logLevel } = kafkajs;
const OFFSET_OUT_OF_RANGE = 1;
const SEGMENT_BYTES = 4096;

let broker: BrokerProcess;

before(async () => {
  broker = await startBrokerProcess({ overrides: { 'log.retention.check.interval.ms': 200 } });
});

after(async () => {
  await broker?.kill();
  if (broker) removeDir(broker.dataDir);
});

function segmentFiles(dataDir: string, topic: string, partition = 0): { name: string; size: number }[] {
  const dir = join(dataDir, `${topic}-${partition}`);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .map((name) => ({ name, size: statSync(join(dir, name)).size }));
}

/** Produces `count` single-batch requests of `perBatch` records; returns the values in offset order. */
async function produceBatches(c: WireClient, topic: string, count: number, opts: { perBatch?: number; timestamp?: bigint; tag: string }): Promise<{ firstOffset: bigint; values: string[] }> {
  const values: string[] = [];
  let firstOffset = -1n;
  for (let i = 0; i < count; i++) {
    const vals = Array.from({ length: opts.perBatch ?? 5 }, (_, j) => `${opts.tag}-${i}-${j}-${'x'.repeat(80)}`);
    const res = await c.produce(topic, 0, encodeRecordBatch({ records: vals.map((v) => ({ value: v, ...(opts.timestamp !== undefined ? { timestamp: opts.timestamp } : {}) })) }));
    assert.equal(res.errorCode, 0, `produce: ${res.errorMessage}`);
    if (firstOffset < 0n) firstOffset = res.baseOffset;
    values.push(...vals);
  }
  return { firstOffset, values };
}

/** The data left from `earliest` is contiguous, CRC-clean, and is exactly the tail of what was sent. */
async function checkTail(c: WireClient, topic: string, sent: string[]): Promise<void> {
  const earliest = (await c.listOffset(topic, 0, -2n)).offset;
  const { batches, highWatermark } = await c.fetchAll(topic, 0, earliest);
  assert.equal(highWatermark, BigInt(sent.length));
  const got = batches.flatMap((b) => b.records.filter((r) => r.offset >= earliest).map((r) => r.value!.toString()));
  assert.equal(got.length, sent.length - Number(earliest));
  assert.deepEqual(got, sent.slice(Number(earliest)));
}

test('retention.bytes (topic config): oldest segments deleted, earliest offset moves forward', async () => {
  const topic = 'ret-bytes';
  const retentionBytes = 3 * SEGMENT_BYTES;
  await withClient(broker.port, async (c) => {
    assert.equal(await c.createTopic(topic, 1, { 'segment.bytes': SEGMENT_BYTES, 'retention.bytes': retentionBytes, 'file.delete.delay.ms': 0 }), 0);
    const { values } = await produceBatches(c, topic, 100, { tag: 'b' });
    const earliest = await waitFor(
      async () => {
        const e = await c.listOffset(topic, 0, -2n);
        assert.equal(e.errorCode, 0);
        const total = segmentFiles(broker.dataDir, topic).reduce((s, f) => s + f.size, 0);
        return e.offset > 0n && total <= retentionBytes + SEGMENT_BYTES ? e.offset : null;
      },
      10_000,
      'size retention to delete old segments',
    );
    const files = segmentFiles(broker.dataDir, topic);
    assert.ok(files.length >= 2 && files.length <= 5, `${files.length} segments left`);
    assert.equal(files[0]!.name, `${String(earliest).padStart(20, '0')}.log`, 'the oldest remaining segment starts at the earliest offset');
    assert.equal((await c.listOffset(topic, 0, -1n)).offset, BigInt(values.length), 'latest offset unchanged');
    assert.equal((await c.fetchOnce(topic, 0, 0n)).errorCode, OFFSET_OUT_OF_RANGE, 'fetching a deleted offset');
    await checkTail(c, topic, values);
  });
});

test('retention.ms (topic config): segments with only old timestamps are deleted, newer data kept', async () => {
  const topic = 'ret-time';
  await withClient(broker.port, async (c) => {
    assert.equal(await c.createTopic(topic, 1, { 'segment.bytes': SEGMENT_BYTES, 'retention.ms': 60_000, 'file.delete.delay.ms': 0 }), 0);
    const old = await produceBatches(c, topic, 60, { tag: 'old', timestamp: BigInt(Date.now() - 3_600_000) });
    const fresh = await produceBatches(c, topic, 30, { tag: 'new' });
    const all = [...old.values, ...fresh.values];
    const earliest = await waitFor(
      async () => {
        const e = (await c.listOffset(topic, 0, -2n)).offset;
        // Every segment holding only hour-old records goes; the one where new records begin stays.
        const files = segmentFiles(broker.dataDir, topic);
        const second = files[1] ? BigInt(files[1].name.slice(0, 20)) : null;
        return e > 0n && (second === null || second > fresh.firstOffset) ? e : null;
      },
      10_000,
      'time retention to delete expired segments',
    );
    assert.ok(earliest <= fresh.firstOffset, `earliest ${earliest} must not pass the first fresh record ${fresh.firstOffset}`);
    assert.equal((await c.fetchOnce(topic, 0, 0n)).errorCode, OFFSET_OUT_OF_RANGE);
    await checkTail(c, topic, all);
  });
});

test('broker defaults (--override log.segment.bytes / log.retention.bytes) apply to auto-created topics; kafkajs sees the low watermark move', async () => {
  const b = await startBrokerProcess({
    overrides: {
      'log.segment.bytes': SEGMENT_BYTES,
      'log.retention.bytes': 2 * SEGMENT_BYTES,
      'log.retention.check.interval.ms': 200,
      'log.segment.delete.delay.ms': 0,
    },
  });
  const kafka = new Kafka({ clientId: 'samsa-retention', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    const topic = 'ret-auto';
    let values: string[] = [];
    await withClient(b.port, async (c) => {
      values = (await produceBatches(c, topic, 80, { tag: 'auto' })).values; // auto-creates the topic
    });
    await admin.connect();
    const low = await waitFor(
      async () => {
        const offs = await admin.fetchTopicOffsets(topic);
        const p0 = offs.find((o) => o.partition === 0)!;
        assert.equal(p0.high, String(values.length));
        // Retention passes may run while the data is still being produced: wait for one after it.
        const total = segmentFiles(b.dataDir, topic).reduce((s, f) => s + f.size, 0);
        return Number(p0.low) > 0 && total <= 3 * SEGMENT_BYTES ? Number(p0.low) : null;
      },
      10_000,
      'kafkajs fetchTopicOffsets low watermark to move and the log to shrink within retention.bytes + one segment',
    );
    await withClient(b.port, async (c) => {
      assert.equal((await c.listOffset(topic, 0, -2n)).offset, BigInt(low));
      await checkTail(c, topic, values);
    });
  } finally {
    await admin.disconnect().catch(() => undefined);
    await b.kill();
    removeDir(b.dataDir);
  }
});
