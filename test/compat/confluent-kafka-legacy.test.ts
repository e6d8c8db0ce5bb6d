/**
 * librdkafka (confluent-kafka 1.7 / librdkafka 2.0.2) told not to ask ApiVersions and to assume an
 * old broker (`api.version.request=false`, `broker.version.fallback=0.9.0`: Produce v1 with magic 0
 * messages; `0.8.2`: Produce v0, magic 0) produces with every codec it has; lz4 with magic 0
 * uses Kafka's pre-0.10 frame header checksum (KAFKA-3160). Samsa up-converts; a modern
 * confluent-kafka consumer (ApiVersions, Fetch with v2 batches) reads back the same offsets, keys
 * and values. (With fallback 0.10.0 librdkafka still asks ApiVersions and sends v2 batches.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../src/index.js';
import { pythonJson } from '../helpers/compat.js';
import { runPython } from '../helpers/run-process.js';
import { WireClient } from '../helpers/wire.js';

type Started = Awaited<ReturnType<typeof startBroker>>;
let broker: Started;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'num.partitions': 1, 'group.initial.rebalance.delay.ms': 0 } });
});

after(async () => {
  await broker?.stop();
});

const PRODUCE = String.raw`
import json, sys
from confluent_kafka import Producer
job = json.load(sys.stdin)
p = Producer({'bootstrap.servers': job['bootstrap'], 'api.version.request': False, 'broker.version.fallback': job['fallback'],
              'compression.codec': job['codec'], 'linger.ms': 50, 'acks': 'all'})
out = [None] * len(job['records'])
def report(i):
    def cb(err, msg):
        out[i] = {'error': str(err)} if err is not None else {'offset': msg.offset()}
    return cb
for i, r in enumerate(job['records']):
    p.produce(job['topic'], key=r['key'].encode() if r['key'] is not None else None, value=r['value'].encode(), partition=0, on_delivery=report(i))
p.flush(60)
print(json.dumps(out))
`;

const CONSUME = String.raw`
import json, sys
from confluent_kafka import Consumer, TopicPartition
job = json.load(sys.stdin)
c = Consumer({'bootstrap.servers': job['bootstrap'], 'group.id': 'legacy-readback', 'enable.auto.commit': False})
c.assign([TopicPartition(job['topic'], 0, 0)])
out = []
while len(out) < job['count']:
    m = c.poll(20)
    if m is None:
        break
    if m.error():
        raise SystemExit(str(m.error()))
    out.append([m.offset(), m.key().decode() if m.key() is not None else None, m.value().decode()])
c.close()
print(json.dumps(out))
`;

for (const fallback of ['0.9.0', '0.8.2']) {
  for (const codec of ['none', 'gzip', 'snappy', 'lz4']) {
    test(`librdkafka broker.version.fallback=${fallback} (Produce v${fallback === '0.9.0' ? 1 : 0}, magic 0), ${codec}: acknowledged offsets, read back by a modern confluent-kafka consumer`, async () => {
      const topic = `rdk-legacy-${fallback.replace(/\./g, '')}-${codec}`;
      const c = await WireClient.connect(broker.port);
      try {
        assert.equal(await c.createTopic(topic, 1), 0);
      } finally {
        c.close();
      }
      const before = broker.broker.conversions.produceBatches;
      const sent = Array.from({ length: 40 }, (_, i) => ({ key: i % 4 === 3 ? null : `k${i}`, value: `${codec}-${fallback}-v${i}-${'y'.repeat(i)}` }));
      const r = await runPython(PRODUCE, [], { input: JSON.stringify({ bootstrap: broker.bootstrap, topic, fallback, codec, records: sent }), timeoutMs: 90_000 });
      const acks = pythonJson<{ offset?: number; error?: string }[]>(r, `librdkafka fallback ${fallback} ${codec}`);
      assert.deepEqual(
        acks.map((a) => a.error ?? a.offset),
        sent.map((_, i) => i),
      );
      const read = await runPython(CONSUME, [], { input: JSON.stringify({ bootstrap: broker.bootstrap, topic, count: sent.length }), timeoutMs: 60_000 });
      assert.deepEqual(
        pythonJson(read, 'confluent-kafka read back'),
        sent.map((s, i) => [i, s.key, s.value]),
      );
      assert.ok(broker.broker.conversions.produceBatches > before, 'the old-format sets were converted');
    });
  }
}
