/**
 * Per-record produce errors (Produce v8+ record_errors, KIP-467) over TCP against a broker
 * process: keyless records sent to a compacted topic and timestamps outside
 * message.timestamp.{before,after}.max.ms are named by their index in the batch, with Kafka's
 * error_message, for uncompressed batches, compressed ones checked on the event loop and large
 * ones checked in the worker pool; the batch is still rejected as a whole and the log does not move.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../../src/common/error-codes.js';
import { CompressionType } from '../../src/protocol/records/batch-header.js';
import { encodeRecordBatch, type RecordInput } from '../../src/protocol/records/record.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { WireClient } from '../helpers/wire.js';

let broker: BrokerProcess;
let c: WireClient;

before(async () => {
  broker = await startBrokerProcess({ overrides: { 'num.partitions': 1 } });
  c = await WireClient.connect(broker.port);
});

after(async () => {
  c?.close();
  await broker?.kill();
  if (broker) removeDir(broker.dataDir);
});

interface ProduceOut {
  errorCode: number;
  errorMessage: string | null;
  recordErrors: { batchIndex: number; batchIndexErrorMessage: string | null }[];
}

async function produce(topic: string, records: Buffer, version = 9): Promise<ProduceOut> {
  return (await c.produce(topic, 0, records, -1, version)) as unknown as ProduceOut;
}

async function leo(topic: string): Promise<bigint> {
  const r = await c.listOffset(topic, 0, -1n);
  assert.equal(r.errorCode, 0);
  return r.offset;
}

/** n records; those in `keyless` have a null key. */
function records(n: number, keyless: number[], value: (i: number) => Buffer | string = (i) => `v${i}`): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({ key: keyless.includes(i) ? null : `k${i}`, value: value(i) }));
}

const KEY_MESSAGE = (topic: string): string => `Compacted topic cannot accept message without key in topic partition ${topic}-0`;

function assertKeylessErrors(r: ProduceOut, topic: string, indexes: number[]): void {
  assert.equal(r.errorCode, ErrorCode.INVALID_RECORD);
  assert.deepEqual(
    r.recordErrors.map((e) => [e.batchIndex, e.batchIndexErrorMessage]),
    indexes.map((i) => [i, KEY_MESSAGE(topic)]),
  );
  const shown = indexes
    .slice(0, 3)
    .map((i) => `RecordError(batchIndex=${i}, message='${KEY_MESSAGE(topic)}')`)
    .join(', ');
  assert.equal(r.errorMessage, `One or more records have been rejected due to ${indexes.length} record errors in total, and only showing the first three errors at most: [${shown}]`);
}

test('keyless records to a compacted topic: record_errors lists exactly their indexes (uncompressed, gzip, lz4)', async () => {
  const topic = 'rerr-compact';
  assert.equal(await c.createTopic(topic, 1, { 'cleanup.policy': 'compact' }), 0);
  for (const compression of [CompressionType.none, CompressionType.gzip, CompressionType.lz4]) {
    const r = await produce(topic, encodeRecordBatch({ compression, records: records(6, [1, 3, 4, 5]) }));
    assertKeylessErrors(r, topic, [1, 3, 4, 5]);
  }
  assert.equal(await leo(topic), 0n, 'the batch is rejected as a whole');
  // A batch with every key present is accepted.
  assert.equal((await produce(topic, encodeRecordBatch({ records: records(3, []) }))).errorCode, 0);
  assert.equal(await leo(topic), 3n);
  // Produce v7 has neither record_errors nor error_message: the same error code.
  const v7 = await produce(topic, encodeRecordBatch({ records: records(2, [0]) }), 7);
  assert.equal(v7.errorCode, ErrorCode.INVALID_RECORD);
  assert.deepEqual(v7.recordErrors, []);
});

test('a large compressed batch checked in the worker pool names its keyless records too', async () => {
  const topic = 'rerr-compact-large';
  assert.equal(await c.createTopic(topic, 1, { 'cleanup.policy': 'compact', 'max.message.bytes': 8 * 1024 * 1024 }), 0);
  // ~3 MiB of random values: over the 1 MiB the event loop checks itself even after zstd.
  const batch = encodeRecordBatch({ compression: CompressionType.zstd, records: records(48, [7, 47], () => randomBytes(64 * 1024)) });
  assert.ok(batch.length > 2 * 1024 * 1024, `batch of ${batch.length} bytes`);
  const r = await produce(topic, batch);
  assertKeylessErrors(r, topic, [7, 47]);
  assert.equal(await leo(topic), 0n);
});

test('timestamps out of range and keyless records in one batch: INVALID_TIMESTAMP naming each record once', async () => {
  const topic = 'rerr-ts';
  assert.equal(await c.createTopic(topic, 1, { 'cleanup.policy': 'compact', 'message.timestamp.after.max.ms': 60_000 }), 0);
  const now = BigInt(Date.now());
  const hour = 3_600_000n;
  const batch = encodeRecordBatch({
    baseTimestamp: now,
    records: [
      { key: 'a', value: 'ok', timestamp: now },
      { key: null, value: 'keyless', timestamp: now },
      { key: 'c', value: 'future', timestamp: now + hour },
      { key: null, value: 'keyless and future', timestamp: now + 2n * hour },
      { key: 'e', value: 'ok', timestamp: now - hour },
    ],
  });
  const r = await produce(topic, batch);
  assert.equal(r.errorCode, ErrorCode.INVALID_TIMESTAMP);
  assert.equal(r.errorMessage, 'One or more records have been rejected due to invalid timestamp');
  assert.deepEqual(
    r.recordErrors.map((e) => e.batchIndex),
    [1, 2, 3],
  );
  assert.equal(r.recordErrors[0]?.batchIndexErrorMessage, KEY_MESSAGE(topic));
  assert.match(r.recordErrors[1]?.batchIndexErrorMessage ?? '', new RegExp(`^Timestamp ${now + hour} of message with offset 2 is out of range\\. The timestamp should be within \\[-?\\d+, \\d+\\]$`));
  assert.equal(r.recordErrors[2]?.batchIndexErrorMessage, KEY_MESSAGE(topic), 'the key error wins for a record failing both');
  assert.equal(await leo(topic), 0n);
});
