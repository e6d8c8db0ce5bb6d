/**
 * Old-protocol configurations of kafka-python and librdkafka (issue 23's "must show" 2):
 * - kafka-python 2.0 with api_version=(0, 10) (no ApiVersions; Fetch v2 and Produce v2, magic 1)
 *   and (0, 10, 1) (Fetch v3) consumes through a consumer group what a modern client wrote, and
 *   produces and reads back;
 * - librdkafka (confluent-kafka) with api.version.request=false, broker.version.fallback=0.9.0
 *   (Fetch v1 and Produce v1, magic 0) does the same.
 * The produce parts need the Produce-side up-conversion of magic 0/1 message sets.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { pythonJson } from '../helpers/compat.js';
import { runPython } from '../helpers/run-process.js';
import { WireClient } from '../helpers/wire.js';

let broker: RunningBroker;
let wire: WireClient;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'num.partitions': 1, 'offsets.topic.num.partitions': 2, 'group.initial.rebalance.delay.ms': 0 } });
  wire = await WireClient.connect(broker.port);
});

after(async () => {
  wire?.close();
  await broker?.stop();
});

/** A topic holding `${prefix}-v<i>` for i < n as v2 batches of `codecs` in turn (a modern writer's data). */
async function modernTopic(topic: string, prefix: string, n: number, codecs: number[]): Promise<void> {
  assert.equal(await wire.createTopic(topic, 1), 0);
  let i = 0;
  for (const codec of codecs) {
    const records = [];
    for (let k = 0; k < n / codecs.length; k++, i++) records.push({ key: `${prefix}-k${i}`, value: `${prefix}-v${i}`, timestamp: BigInt(Date.now()) });
    assert.equal((await wire.produce(topic, 0, encodeRecordBatch({ compression: codec, records }))).errorCode, 0);
  }
}

const expected = (prefix: string, n: number): [number, string, string][] => Array.from({ length: n }, (_, i) => [i, `${prefix}-k${i}`, `${prefix}-v${i}`]);

// Reads a JSON job on stdin; optionally produces, then consumes `count` records through a group.
const KAFKA_PYTHON = String.raw`
import json, sys, time
from kafka import KafkaProducer, KafkaConsumer
job = json.load(sys.stdin)
api = tuple(job['api'])
if job.get('produce'):
    p = KafkaProducer(bootstrap_servers=job['bootstrap'], api_version=api, acks='all', compression_type=job.get('codec'))
    fs = [p.send(job['topic'], key=('%s-k%d' % (job['prefix'], i)).encode(), value=('%s-v%d' % (job['prefix'], i)).encode()) for i in range(job['count'])]
    p.flush()
    for f in fs: f.get(timeout=30)
    p.close()
c = KafkaConsumer(job['topic'], bootstrap_servers=job['bootstrap'], api_version=api, group_id=job['group'], auto_offset_reset='earliest', enable_auto_commit=False)
got = []
deadline = time.time() + 45
while len(got) < job['count'] and time.time() < deadline:
    for tp, msgs in c.poll(timeout_ms=500).items():
        for m in msgs:
            got.append([m.offset, m.key.decode(), m.value.decode(), m.timestamp])
c.commit()
c.close()
print(json.dumps(got))
`;

// librdkafka as a 0.9 client: no ApiVersions, Fetch v1 / Produce v1 (magic 0).
const RDKAFKA_09 = String.raw`
import json, sys, time
from confluent_kafka import Producer, Consumer
job = json.load(sys.stdin)
old = {'bootstrap.servers': job['bootstrap'], 'api.version.request': False, 'broker.version.fallback': '0.9.0'}
if job.get('produce'):
    p = Producer(dict(old, **{'compression.codec': job.get('codec') or 'none', 'acks': 'all'}))
    errors = []
    for i in range(job['count']):
        p.produce(job['topic'], key=('%s-k%d' % (job['prefix'], i)).encode(), value=('%s-v%d' % (job['prefix'], i)).encode(), on_delivery=lambda e, m: errors.append(str(e)) if e else None)
    if p.flush(30) != 0 or errors: raise SystemExit('produce failed: %r' % errors)
c = Consumer(dict(old, **{'group.id': job['group'], 'auto.offset.reset': 'earliest', 'enable.auto.commit': False}))
c.subscribe([job['topic']])
got = []
deadline = time.time() + 45
while len(got) < job['count'] and time.time() < deadline:
    m = c.poll(0.5)
    if m is None: continue
    if m.error(): raise SystemExit('consume error: %s' % m.error())
    got.append([m.offset(), m.key().decode(), m.value().decode(), m.timestamp()[1]])
c.commit(asynchronous=False)
c.close()
print(json.dumps(got))
`;

async function run(script: string, what: string, job: Record<string, unknown>): Promise<[number, string, string, number][]> {
  const r = await runPython(script, [], { input: JSON.stringify({ bootstrap: broker.bootstrap, ...job }), timeoutMs: 90_000 });
  return pythonJson(r, what);
}

for (const api of [[0, 10], [0, 10, 1]]) {
  test(`kafka-python api_version=${JSON.stringify(api)} consumes through a group what a modern client wrote (Fetch v${api.length === 2 ? 2 : 3}, magic 1; gzip wrappers: Debian's kafka-python has no snappy or lz4 module)`, async () => {
    const topic = `kpy-old-${api.join('')}`;
    await modernTopic(topic, 'm', 8, [0, 1, 0, 1]);
    const before = broker.broker.conversions.fetchReads;
    const got = await run(KAFKA_PYTHON, 'kafka-python', { api, topic, group: `g-${topic}`, count: 8 });
    assert.deepEqual(got.map((r) => r.slice(0, 3)), expected('m', 8));
    assert.ok(got.every((r) => r[3] > 0), 'magic 1 timestamps');
    assert.ok(broker.broker.conversions.fetchReads > before, 'served by down-conversion');
  });
}

test('librdkafka with api.version.request=false, broker.version.fallback=0.9.0 consumes through a group what a modern client wrote (Fetch v1, magic 0; gzip, snappy and lz4 wrappers)', async () => {
  const topic = 'rdk-old-09';
  await modernTopic(topic, 'm', 8, [0, 1, 2, 3]);
  const got = await run(RDKAFKA_09, 'librdkafka 0.9', { topic, group: `g-${topic}`, count: 8 });
  assert.deepEqual(got.map((r) => r.slice(0, 3)), expected('m', 8));
});

test('kafka-python api_version=(0, 10) produces (Produce v2, magic 1; gzip) and reads back', async () => {
  const topic = 'kpy-old-produce';
  assert.equal(await wire.createTopic(topic, 1), 0);
  const got = await run(KAFKA_PYTHON, 'kafka-python', { api: [0, 10], topic, group: `g-${topic}`, count: 6, produce: true, prefix: 'p', codec: 'gzip' });
  assert.deepEqual(got.map((r) => r.slice(0, 3)), expected('p', 6));
});

test('librdkafka as a 0.9 client produces (Produce v1, magic 0; snappy) and reads back', async () => {
  const topic = 'rdk-old-produce';
  assert.equal(await wire.createTopic(topic, 1), 0);
  const got = await run(RDKAFKA_09, 'librdkafka 0.9', { topic, group: `g-${topic}`, count: 6, produce: true, prefix: 'p', codec: 'snappy' });
  assert.deepEqual(got.map((r) => r.slice(0, 3)), expected('p', 6));
});
