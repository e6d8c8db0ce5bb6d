/**
 * Go clients from Debian (issue 23's "must show"), built in GOPATH mode from test/compat/go/:
 * - segmentio/kafka-go 0.2 (Produce v2 with magic 1 messages, Fetch v2, no ApiVersions) writes
 *   with every codec it has and reads back through a consumer group;
 * - sarama 1.22 with Config.Version 0.8.2 (magic 0, Fetch/Produce/ListOffsets v0), 0.10.2
 *   (magic 1) and 0.11 (record batches) produces and consumes;
 * - both read topics written by a modern client (kafkajs, and v2 batches with snappy and lz4) and
 *   a modern client (kcat) reads what they wrote.
 * The produce parts need the Produce-side up-conversion of magic 0/1 message sets.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { kcat } from '../helpers/compat.js';
import { goProgram, runGo } from '../helpers/go-build.js';
import { WireClient } from '../helpers/wire.js';

interface GoRecord {
  partition: number;
  offset: number;
  key: string;
  value: string;
  timeMs: number;
}

let broker: RunningBroker;
let kafka: Kafka;
let wire: WireClient;

before(async () => {
  // Builds (or finds cached) binaries first, so the build is not charged to a test.
  await goProgram('sarama');
  broker = await startBroker({ port: 0, config: { 'num.partitions': 1, 'offsets.topic.num.partitions': 2, 'group.initial.rebalance.delay.ms': 0 } });
  kafka = new Kafka({ clientId: 'legacy-go', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  wire = await WireClient.connect(broker.port);
});

after(async () => {
  wire?.close();
  await broker?.stop();
});

async function createTopic(topic: string, partitions = 1): Promise<void> {
  assert.equal(await wire.createTopic(topic, partitions), 0, `create ${topic}`);
}

/** n records written by kafkajs (v2 batches) with `codec`, keys/values `${prefix}-k<i>`/`-v<i>`. */
async function writeWithKafkajs(topic: string, prefix: string, n: number, compression = CompressionTypes.None): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, compression, messages: Array.from({ length: n }, (_, i) => ({ key: `${prefix}-k${i}`, value: `${prefix}-v${i}` })) });
  } finally {
    await producer.disconnect();
  }
}

/** n records as one v2 batch with codec id `codec` (snappy and lz4, which kafkajs lacks without plugins). */
async function writeBatch(topic: string, prefix: string, n: number, codec: number): Promise<void> {
  const batch = encodeRecordBatch({ compression: codec, records: Array.from({ length: n }, (_, i) => ({ key: `${prefix}-k${i}`, value: `${prefix}-v${i}`, timestamp: BigInt(Date.now()) })) });
  const r = await wire.produce(topic, 0, batch);
  assert.equal(r.errorCode, 0, `produce: ${r.errorMessage}`);
}

/** Everything a modern client (kcat: librdkafka with ApiVersions, Fetch v11+, every codec) reads from partition 0. */
async function readWithKcat(topic: string, n: number): Promise<{ key: string; value: string; offset: number }[]> {
  const r = await kcat(['-C', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-c', String(n), '-e', '-q', '-J'], { timeoutMs: 30_000 });
  return r.stdout
    .toString('utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { key: string; payload: string; offset: number })
    .map((m) => ({ key: m.key, value: m.payload, offset: m.offset }));
}

/** Asserts the records are `${prefix}-k<i>`/`-v<i>` for i < n at offsets base + i, in order. */
function assertSequence(got: { key: string; value: string; offset: number }[], prefix: string, n: number, base = 0): void {
  assert.deepEqual(
    got.map((r) => [r.offset, r.key, r.value]),
    Array.from({ length: n }, (_, i) => [base + i, `${prefix}-k${i}`, `${prefix}-v${i}`]),
  );
}

test('kafka-go 0.2 reads through a consumer group what a modern client wrote (Fetch v2: magic 1, uncompressed, gzip, snappy and lz4 wrappers)', async () => {
  const topic = 'kgo-reads-modern';
  await createTopic(topic);
  await writeWithKafkajs(topic, 'a', 5);
  await writeWithKafkajs(topic, 'b', 5, CompressionTypes.GZIP);
  await writeBatch(topic, 'c', 5, 2);
  await writeBatch(topic, 'd', 5, 3);
  const got = await runGo<GoRecord[]>('kafkago', ['-mode', 'consume', '-brokers', broker.bootstrap, '-topic', topic, '-group', 'kgo-g1', '-count', '20']);
  assertSequence(got.slice(0, 5), 'a', 5, 0);
  assertSequence(got.slice(5, 10), 'b', 5, 5);
  assertSequence(got.slice(10, 15), 'c', 5, 10);
  assertSequence(got.slice(15, 20), 'd', 5, 15);
});

for (const version of ['0.8.2.0', '0.10.2.0', '0.11.0.0'] as const) {
  test(`sarama Version ${version} consumes what a modern client wrote (uncompressed, gzip, snappy, lz4)`, async () => {
    const topic = `sarama-reads-modern-${version.replaceAll('.', '')}`;
    await createTopic(topic);
    await writeWithKafkajs(topic, 'a', 3);
    await writeWithKafkajs(topic, 'b', 3, CompressionTypes.GZIP);
    await writeBatch(topic, 'c', 3, 2);
    await writeBatch(topic, 'd', 3, 3);
    const got = await runGo<GoRecord[]>('sarama', ['-version', version, '-mode', 'consume', '-brokers', broker.bootstrap, '-topic', topic, '-count', '12']);
    got.sort((x, y) => x.offset - y.offset);
    for (const [i, prefix] of ['a', 'b', 'c', 'd'].entries()) assertSequence(got.slice(3 * i, 3 * i + 3), prefix, 3, 3 * i);
    if (version === '0.8.2.0') assert.ok(got.every((r) => r.timeMs === -1), 'magic 0 has no timestamps');
    else assert.ok(got.every((r) => r.timeMs > 0), 'magic 1 and v2 carry timestamps');
  });
}

for (const version of ['0.10.2.0', '0.11.0.0'] as const) {
  test(`sarama Version ${version} consumer group reads what a modern client wrote`, async () => {
    const topic = `sarama-group-modern-${version.replaceAll('.', '')}`;
    await createTopic(topic);
    await writeWithKafkajs(topic, 'a', 6, CompressionTypes.GZIP);
    const got = await runGo<GoRecord[]>('sarama', ['-version', version, '-mode', 'group', '-group', `sg-${version}`, '-brokers', broker.bootstrap, '-topic', topic, '-count', '6']);
    assertSequence(got, 'a', 6);
  });
}

for (const codec of ['none', 'gzip', 'snappy', 'lz4'] as const) {
  test(`kafka-go 0.2 writes with ${codec} (Produce v2, magic 1) and reads back through a consumer group; a modern client (kcat) reads it too`, async () => {
    const topic = `kgo-writes-${codec}`;
    await createTopic(topic);
    await runGo('kafkago', ['-mode', 'produce', '-brokers', broker.bootstrap, '-topic', topic, '-codec', codec, '-count', '8', '-prefix', codec]);
    const got = await runGo<GoRecord[]>('kafkago', ['-mode', 'consume', '-brokers', broker.bootstrap, '-topic', topic, '-group', `kgo-${codec}`, '-count', '8']);
    assertSequence(got, codec, 8);
    assertSequence(await readWithKcat(topic, 8), codec, 8);
  });
}

const SARAMA_CODECS = { '0.8.2.0': ['none', 'gzip', 'snappy'], '0.10.2.0': ['none', 'gzip', 'snappy', 'lz4'], '0.11.0.0': ['none', 'gzip', 'snappy', 'lz4'] } as const;
for (const [version, codecs] of Object.entries(SARAMA_CODECS)) {
  test(`sarama Version ${version} produces (${codecs.join(', ')}) and consumes; a modern client (kcat) reads what it wrote`, async () => {
    const topic = `sarama-writes-${version.replaceAll('.', '')}`;
    await createTopic(topic);
    let base = 0;
    for (const codec of codecs) {
      const w = await runGo<{ offsets: number[] }>('sarama', ['-version', version, '-mode', 'produce', '-brokers', broker.bootstrap, '-topic', topic, '-codec', codec, '-count', '4', '-prefix', codec]);
      assert.deepEqual(w.offsets, [0, 1, 2, 3].map((i) => base + i), `${codec}: offsets assigned`);
      base += 4;
    }
    const got = await runGo<GoRecord[]>('sarama', ['-version', version, '-mode', 'consume', '-brokers', broker.bootstrap, '-topic', topic, '-count', String(base)]);
    got.sort((x, y) => x.offset - y.offset);
    const modern = await readWithKcat(topic, base);
    codecs.forEach((codec, i) => {
      assertSequence(got.slice(4 * i, 4 * i + 4), codec, 4, 4 * i);
      assertSequence(modern.slice(4 * i, 4 * i + 4), codec, 4, 4 * i);
    });
  });
}
