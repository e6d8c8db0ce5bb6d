/**
 * Record contents and decompression bombs over TCP against a broker process: batches with a valid
 * CRC but broken records, or claiming 2^31-1 records while holding one, are refused and the log
 * end offset does not move, so real clients keep consuming; compressed batches that inflate past
 * the topic's limit are refused while streaming, without the broker's memory following them and
 * without stalling other connections; large batches validated off the event loop still append in
 * request order.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../src/common/error-codes.js';
import { CompressionType, RECORD_BATCH_OVERHEAD } from '../../src/protocol/records/batch-header.js';
import { compress } from '../../src/protocol/records/compression.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat, prng, rssKiB } from '../helpers/compat.js';
import { batchAround, bombBody, zstdStreamBomb } from '../helpers/records.js';
import { API, WireClient, waitFor, withClient } from '../helpers/wire.js';

const MiB = 1024 * 1024;
let broker: BrokerProcess;

before(async () => {
  broker = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': 0, 'num.partitions': 1 } });
});

after(async () => {
  await broker?.kill();
  if (broker) removeDir(broker.dataDir);
});

async function leo(c: WireClient, topic: string, partition = 0): Promise<bigint> {
  const r = await c.listOffset(topic, partition, -1n);
  assert.equal(r.errorCode, 0);
  return r.offset;
}

function goodBatch(prefix: string, n: number, compression: number = CompressionType.none): Buffer {
  return encodeRecordBatch({ compression, records: Array.from({ length: n }, (_, i) => ({ key: `${prefix}-k${i}`, value: `${prefix}-v${i}` })) });
}

/** Every value of the topic's partition 0, read by kcat. */
async function kcatValues(topic: string): Promise<string[]> {
  const r = await kcat(['-C', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\\n'], { timeoutMs: 30_000 });
  return r.stdout.toString('utf8').split('\n').filter((l) => l !== '');
}

/** Every value of the topic, read by a kafkajs consumer group from the beginning. */
async function kafkajsValues(topic: string, expected: number): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'record-validation', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `g-${topic}-${Date.now()}`, sessionTimeout: 10_000 });
  const values: string[] = [];
  const errors: unknown[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs consumed ${values.length} of ${expected}: ${values.slice(-3).join(',')}`)), 30_000);
      consumer.on(consumer.events.CRASH, (e) => errors.push(e));
      void consumer.run({
        eachMessage: async ({ message }) => {
          values.push(message.value?.toString() ?? '<null>');
          if (values.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    // Nothing beyond what was produced (a phantom record would show up here).
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    await consumer.disconnect();
  }
  assert.deepEqual(errors, [], 'kafkajs consumer crashed');
  return values;
}

test('(a) a batch with a valid CRC but random record bytes is INVALID_RECORD; the log does not move and clients read past it', async () => {
  const topic = 'random-records';
  const rnd = prng(424242);
  await withClient(broker.port, async (c) => {
    assert.equal(await c.createTopic(topic, 1), 0);
    assert.equal((await c.produce(topic, 0, goodBatch('before', 5))).errorCode, 0);
    assert.deepEqual(await kcatValues(topic), ['before-v0', 'before-v1', 'before-v2', 'before-v3', 'before-v4']);
    const end = await leo(c, topic);
    for (const size of [16, 80, 1000, 100_000]) {
      for (const count of [1, 3, 1000]) {
        const junk = Buffer.from(Array.from({ length: size }, () => Math.floor(rnd() * 256)));
        const plain = await c.produce(topic, 0, batchAround(junk, count));
        assert.equal(plain.errorCode, ErrorCode.INVALID_RECORD, `uncompressed ${size} random bytes, count ${count}: ${plain.errorMessage}`);
        // The same random records inside a valid zstd / gzip stream.
        for (const codec of [CompressionType.zstd, CompressionType.gzip, CompressionType.lz4, CompressionType.snappy]) {
          const r = await c.produce(topic, 0, batchAround(compress(codec, junk), count, { codec }));
          assert.equal(r.errorCode, ErrorCode.INVALID_RECORD, `codec ${codec} ${size} random bytes, count ${count}: ${r.errorMessage}`);
        }
      }
    }
    // A valid record followed by garbage, and a valid batch whose count says one more.
    const good = goodBatch('x', 2);
    const trailing = batchAround(Buffer.concat([good.subarray(RECORD_BATCH_OVERHEAD), Buffer.from([0, 0, 0])]), 2);
    assert.equal((await c.produce(topic, 0, trailing)).errorCode, ErrorCode.INVALID_RECORD);
    const short = batchAround(good.subarray(RECORD_BATCH_OVERHEAD), 3);
    assert.equal((await c.produce(topic, 0, short)).errorCode, ErrorCode.INVALID_RECORD);
    assert.equal(await leo(c, topic), end, 'log end offset unchanged by the rejected batches');
    assert.equal((await c.produce(topic, 0, goodBatch('after', 3, CompressionType.gzip))).errorCode, 0); // kafkajs decodes gzip only
  });
  const expected = ['before-v0', 'before-v1', 'before-v2', 'before-v3', 'before-v4', 'after-v0', 'after-v1', 'after-v2'];
  assert.deepEqual(await kcatValues(topic), expected, 'kcat reads every good record');
  assert.deepEqual(await kafkajsValues(topic, expected.length), expected, 'kafkajs reads every good record, nothing else');
});

test('(b) recordsCount = lastOffsetDelta + 1 = 2^31-1 with one record is INVALID_RECORD and the log end offset stays', async () => {
  const topic = 'huge-count';
  await withClient(broker.port, async (c) => {
    assert.equal(await c.createTopic(topic, 1), 0);
    assert.equal((await c.produce(topic, 0, goodBatch('ok', 2))).errorCode, 0);
    const end = await leo(c, topic);
    const one = goodBatch('one', 1);
    for (const codec of [CompressionType.none, CompressionType.zstd]) {
      const body = codec === CompressionType.none ? one.subarray(RECORD_BATCH_OVERHEAD) : compress(codec, one.subarray(RECORD_BATCH_OVERHEAD));
      const liar = batchAround(body, 0x7fffffff, { codec });
      const r = await c.produce(topic, 0, liar);
      assert.equal(r.errorCode, ErrorCode.INVALID_RECORD, r.errorMessage ?? '');
      assert.equal(await leo(c, topic), end, 'log end offset unchanged');
    }
    assert.equal((await c.produce(topic, 0, goodBatch('next', 1))).errorCode, 0);
    assert.equal(await leo(c, topic), end + 1n);
  });
});

/** Sends `frame` on `c` while probing ApiVersions on another connection every 2 ms; returns the produce answer and the probes' latencies. */
async function produceWhileProbing(c: WireClient, topic: string, batch: Buffer): Promise<{ errorCode: number; errorMessage: string | null; ms: number; probes: number[] }> {
  const probe = await WireClient.connect(broker.port);
  const probes: number[] = [];
  let done = false;
  const prober = (async () => {
    while (!done) {
      const t0 = performance.now();
      await probe.apiVersions(3);
      probes.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  await waitFor(() => probes.length > 0, 10_000, 'the liveness prober to get an answer', 1);
  const t0 = performance.now();
  const res = await c.produce(topic, 0, batch);
  const ms = performance.now() - t0;
  done = true;
  await prober;
  probe.close();
  return { errorCode: res.errorCode, errorMessage: res.errorMessage, ms, probes };
}

test('(c) a zstd bomb (400 MB of zero values in ~20 KB) is MESSAGE_TOO_LARGE, memory stays flat and other connections are answered meanwhile', async (t) => {
  const topic = 'zstd-bomb';
  const pid = broker.child.pid!;
  await withClient(broker.port, async (c) => {
    assert.equal(await c.createTopic(topic, 1), 0);
    assert.equal((await c.produce(topic, 0, goodBatch('ok', 1))).errorCode, 0);
    const end = await leo(c, topic);
    const rssBefore = rssKiB(pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssKiB(pid))), 5);
    try {
      for (const [label, body] of [
        ['concatenated frames', bombBody(CompressionType.zstd, 400, 1)],
        ['one streamed frame, size not declared', zstdStreamBomb(400, 1, false)],
        ['one streamed frame, size declared', zstdStreamBomb(400, 1, true)],
        ['one record with a 400 MiB value', zstdStreamBomb(1, 400, false)],
      ] as const) {
        const count = label === 'one record with a 400 MiB value' ? 1 : 400;
        const r = await produceWhileProbing(c, topic, batchAround(body, count, { codec: CompressionType.zstd }));
        assert.equal(r.errorCode, ErrorCode.MESSAGE_TOO_LARGE, `${label}: ${r.errorMessage}`);
        const worst = Math.max(...r.probes);
        const sorted = [...r.probes].sort((a, b) => a - b);
        t.diagnostic(`${label}: ${body.length} B compressed, answered in ${r.ms.toFixed(1)} ms; ${r.probes.length} ApiVersions meanwhile: median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(2)} ms, worst ${worst.toFixed(2)} ms`);
        // Generous for a loaded 2-core VM; inflating on the event loop stalled others for 1.4-5 s.
        assert.ok(worst < 500, `${label}: an ApiVersions on another connection took ${worst.toFixed(1)} ms`);
      }
    } finally {
      clearInterval(sampler);
    }
    t.diagnostic(`broker RSS ${Math.round(rssBefore / 1024)} MiB before, peak ${Math.round(rssPeak / 1024)} MiB`);
    assert.ok(rssPeak - rssBefore < 160 * 1024, `broker RSS grew by ${Math.round((rssPeak - rssBefore) / 1024)} MiB for 400 MiB bombs`);
    assert.equal(await leo(c, topic), end);
  });
});

test('gzip and lz4 bombs and a snappy block claiming 1 GiB are MESSAGE_TOO_LARGE; so is a bomb sent to a topic that recompresses', async (t) => {
  const pid = broker.child.pid!;
  await withClient(broker.port, async (c) => {
    assert.equal(await c.createTopic('bombs', 1), 0);
    assert.equal(await c.createTopic('bombs-recompress', 1, { 'compression.type': 'gzip' }), 0);
    const rssBefore = rssKiB(pid);
    const liar = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x04, 0x00, 0x01, 0x02]); // raw snappy block, preamble 1 GiB
    const cases: [string, number, Buffer, number][] = [
      ['gzip 400 x 1 MiB', CompressionType.gzip, bombBody(CompressionType.gzip, 400, 1), 400],
      ['lz4 100 x 1 MiB', CompressionType.lz4, bombBody(CompressionType.lz4, 100, 1), 100],
      ['snappy preamble 1 GiB', CompressionType.snappy, liar, 1],
    ];
    for (const topic of ['bombs', 'bombs-recompress']) {
      for (const [label, codec, body, count] of cases) {
        const r = await produceWhileProbing(c, topic, batchAround(body, count, { codec }));
        assert.equal(r.errorCode, ErrorCode.MESSAGE_TOO_LARGE, `${topic} ${label}: ${r.errorMessage}`);
        t.diagnostic(`${topic} ${label}: ${body.length} B, answered in ${r.ms.toFixed(1)} ms, worst ApiVersions ${Math.max(...r.probes).toFixed(2)} ms`);
      }
      const z = await c.produce(topic, 0, batchAround(zstdStreamBomb(400, 1, false), 400, { codec: CompressionType.zstd }));
      assert.equal(z.errorCode, ErrorCode.MESSAGE_TOO_LARGE, `${topic} zstd: ${z.errorMessage}`);
      assert.equal(await leo(c, topic), 0n);
    }
    const rssAfter = rssKiB(pid);
    assert.ok(rssAfter - rssBefore < 160 * 1024, `broker RSS grew by ${Math.round((rssAfter - rssBefore) / 1024)} MiB`);
  });
});

/** A compressible records section of ~`mib` MiB in `count` records, text-like. */
function bigRecords(prefix: string, mib: number, compression: number): { batch: Buffer; count: number } {
  const rnd = prng(mib * 1000 + prefix.length);
  const words = ['alpha', 'beta', 'gamma', 'delta', 'kafka', 'samsa', 'offset', 'record'];
  const count = mib * 256;
  const records = Array.from({ length: count }, (_, i) => {
    let v = `${prefix}-${i}:`;
    while (v.length < 4000) v += words[Math.floor(rnd() * words.length)];
    return { key: `${prefix}-${i}`, value: v };
  });
  return { batch: encodeRecordBatch({ compression, records }), count };
}

test('large batches validated off the event loop append in request order with small ones pipelined behind them', async () => {
  const topic = 'pipelined';
  await withClient(broker.port, async (setup) => assert.equal(await setup.createTopic(topic, 1), 0));
  const c = await WireClient.connect(broker.port);
  try {
    // Big (6 MiB inflated: past the synchronous budget) and small batches, all sent before any answer.
    const big = bigRecords('big', 6, CompressionType.zstd);
    const frames: { corr: number; frame: Buffer; count: number; label: string }[] = [];
    const add = (label: string, batch: Buffer, count: number): void => {
      const corr = c.newCorrelationId();
      const frame = WireClient.encodeRequest(API.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] }, corr);
      frames.push({ corr, frame, count, label });
    };
    add('small-1', goodBatch('s1', 3), 3);
    add('big-1', big.batch, big.count);
    add('small-2', goodBatch('s2', 2), 2);
    add('small-3', goodBatch('s3', 1, CompressionType.lz4), 1);
    add('big-2', big.batch, big.count);
    add('small-4', goodBatch('s4', 4), 4);
    const answers = frames.map((f) => c.sendFrame(f.corr, f.frame, 30_000));
    const bases: bigint[] = [];
    for (const a of answers) {
      const payload = await a;
      // Produce v9 response: correlation id, tagged fields, topics[compact] name, partitions[compact] index, errorCode, baseOffset.
      const r = new (await import('../../src/protocol/primitives/reader.js')).Reader(payload);
      r.readInt32();
      r.readTaggedFields();
      const { decodeProduceResponse } = await import('../../src/protocol/generated/messages/produce.js');
      const res = decodeProduceResponse(r, 9);
      const p = res.responses[0]!.partitionResponses[0]!;
      assert.equal(p.errorCode, 0, p.errorMessage ?? '');
      bases.push(p.baseOffset);
    }
    let expected = 0n;
    frames.forEach((f, i) => {
      assert.equal(bases[i], expected, `${f.label} appended in request order`);
      expected += BigInt(f.count);
    });
    const { batches } = await c.fetchAll(topic, 0);
    assert.equal(batches.reduce((n, b) => n + b.records.length, 0), Number(expected));
  } finally {
    c.close();
  }
});

test('requests pipelined behind a produce validated off the event loop wait for it (Kafka handles one request per connection at a time)', async () => {
  const topic = 'pipelined-read';
  await withClient(broker.port, async (setup) => assert.equal(await setup.createTopic(topic, 1), 0));
  const c = await WireClient.connect(broker.port);
  try {
    const big = bigRecords('rd', 6, CompressionType.zstd);
    // Sent back to back, before any answer: the produce goes off the event loop, ListOffsets not.
    const produced = c.produce(topic, 0, big.batch);
    const latest = c.listOffset(topic, 0, -1n);
    const [p, l] = await Promise.all([produced, latest]);
    assert.equal(p.errorCode, 0, p.errorMessage ?? '');
    assert.equal(l.errorCode, 0);
    assert.equal(l.offset, BigInt(big.count), 'ListOffsets sent after the produce sees its records');
  } finally {
    c.close();
  }
});

test('topic policy on batches validated off the event loop: compacted topics need keys, timestamps within bounds, recompression', async () => {
  await withClient(broker.port, async (c) => {
    assert.equal(await c.createTopic('compacted-big', 1, { 'cleanup.policy': 'compact' }), 0);
    assert.equal(await c.createTopic('ts-big', 1, { 'message.timestamp.before.max.ms': 3_600_000 }), 0);
    assert.equal(await c.createTopic('gzip-big', 1, { 'compression.type': 'gzip' }), 0);
    const big = bigRecords('k', 6, CompressionType.zstd);
    assert.equal((await c.produce('compacted-big', 0, big.batch)).errorCode, 0, 'keyed big batch accepted');
    const keyless = encodeRecordBatch({ compression: CompressionType.zstd, records: [...Array.from({ length: 2000 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(3000) + i })), { key: null, value: 'no key' }] });
    const r1 = await c.produce('compacted-big', 0, keyless);
    assert.equal(r1.errorCode, ErrorCode.INVALID_RECORD, r1.errorMessage ?? '');
    assert.match(r1.errorMessage ?? '', /without key/);
    const now = BigInt(Date.now());
    const old = encodeRecordBatch({ compression: CompressionType.zstd, baseTimestamp: now, records: Array.from({ length: 2000 }, (_, i) => ({ value: 'w'.repeat(3000) + i, timestamp: i === 1500 ? now - 7_200_000n : now })) });
    const r2 = await c.produce('ts-big', 0, old);
    assert.equal(r2.errorCode, ErrorCode.INVALID_TIMESTAMP, r2.errorMessage ?? '');
    const r3 = await c.produce('gzip-big', 0, big.batch);
    assert.equal(r3.errorCode, 0, r3.errorMessage ?? '');
    const { batches } = await c.fetchAll('gzip-big', 0);
    assert.equal(batches.length, 1);
    assert.equal(batches[0]!.compression, CompressionType.gzip);
    assert.equal(batches[0]!.records.length, big.count);
    assert.equal(batches[0]!.records[17]!.key?.toString(), 'k-17');
  });
});
