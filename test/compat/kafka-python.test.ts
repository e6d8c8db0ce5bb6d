/**
 * kafka-python 2.0.2 (Debian's /usr/bin/python3) against a Samsa broker process: admin topic
 * creation, keyed records with headers on Java's murmur2 partitions, exact read back in order via
 * assign() + seek_to_beginning(), and compression with every codec whose Python module exists
 * (codecs without one must be refused by the client, not silently skipped).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { CODEC_ID, assertReadBackInOrder, expectedByPartition, makeKeyedRecords, type ConsumedRecord, pythonJson, type SentRecord } from '../helpers/compat.js';
import { runPython } from '../helpers/run-process.js';
import { withClient } from '../helpers/wire.js';

let broker: BrokerProcess;

before(async () => {
  broker = await startBrokerProcess();
});

after(async () => {
  await broker?.kill();
  if (broker) removeDir(broker.dataDir);
});

// Reads a JSON job on stdin; prints one JSON line with what was delivered and what was read back.
const ROUND_TRIP = String.raw`
import json, sys, time
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

job = json.load(sys.stdin)
bs = job['bootstrap']
topic = job['topic']
n = job['partitions']
if job.get('create', True):
    admin = KafkaAdminClient(bootstrap_servers=bs, client_id='samsa-kpy-admin')
    res = admin.create_topics([NewTopic(name=topic, num_partitions=n, replication_factor=1)])
    for t in res.topic_errors:
        if t[1] != 0:
            raise SystemExit('create_topics failed: %r' % (t,))
    admin.close()

cfg = dict(bootstrap_servers=bs, acks='all', linger_ms=20)
if job.get('compression'):
    cfg['compression_type'] = job['compression']
producer = KafkaProducer(**cfg)
futures = []
for r in job['records']:
    headers = [(k, v.encode()) for k, v in r['headers']]
    futures.append(producer.send(topic, key=r['key'].encode(), value=r['value'].encode(), headers=headers))
producer.flush()
delivered = []
for f in futures:
    md = f.get(timeout=30)
    delivered.append([md.partition, md.offset])
producer.close()

consumer = KafkaConsumer(bootstrap_servers=bs, group_id=None, enable_auto_commit=False, consumer_timeout_ms=1000)
tps = [TopicPartition(topic, p) for p in range(n)]
consumer.assign(tps)
consumer.seek_to_beginning(*tps)
consumed = []
deadline = time.time() + 60
while len(consumed) < len(job['records']) and time.time() < deadline:
    batch = consumer.poll(timeout_ms=500)
    for tp, msgs in batch.items():
        for m in msgs:
            consumed.append({'partition': m.partition, 'offset': m.offset,
                             'key': m.key.decode() if m.key is not None else None,
                             'value': m.value.decode() if m.value is not None else None,
                             'headers': [[k, v.decode()] for k, v in m.headers]})
# Anything extra would show up here.
extra = consumer.poll(timeout_ms=500)
for tp, msgs in extra.items():
    for m in msgs:
        consumed.append({'partition': m.partition, 'offset': m.offset, 'key': None, 'value': 'EXTRA', 'headers': []})
consumer.close()
print(json.dumps({'delivered': delivered, 'consumed': consumed}))
`;


async function roundTrip(job: { topic: string; partitions: number; records: SentRecord[]; compression?: string; create?: boolean }): Promise<{ delivered: [number, number][]; consumed: ConsumedRecord[] }> {
  const r = await runPython(ROUND_TRIP, [], { input: JSON.stringify({ bootstrap: broker.bootstrap, ...job }), timeoutMs: 100_000 });
  return pythonJson(r, 'kafka-python round trip');
}

/** Checks delivery reports and consumed records against Java's partitioning of the sent records. */
function checkRoundTrip(sent: SentRecord[], partitions: number, res: { delivered: [number, number][]; consumed: ConsumedRecord[] }): void {
  const expected = expectedByPartition(sent, partitions);
  assert.equal(res.delivered.length, sent.length);
  const nextOffset = new Map<number, number>();
  sent.forEach((rec, i) => {
    const [p, off] = res.delivered[i]!;
    const want = [...expected.entries()].find(([, list]) => list.includes(rec))![0];
    assert.equal(p, want, `record ${i} (key ${rec.key}) partition`);
    const next = nextOffset.get(p) ?? 0;
    assert.equal(off, next, `record ${i} acknowledged offset on partition ${p}`);
    nextOffset.set(p, next + 1);
  });
  assertReadBackInOrder(sent, partitions, res.consumed);
}

test('kafka-python: admin-created topic, keyed records with headers on murmur2 partitions, read back in order', async () => {
  const topic = 'kpy-keyed';
  const partitions = 6;
  const sent = makeKeyedRecords('kpy', 400);
  const res = await roundTrip({ topic, partitions, records: sent });
  // The admin API created the topic with the requested partition count.
  const md = await withClient(broker.port, (c) => c.metadata([topic]));
  assert.equal(md.topics[0].errorCode, 0);
  assert.equal(md.topics[0].partitions.length, partitions);
  checkRoundTrip(sent, partitions, res);
  assert.ok(new Set(res.delivered.map(([p]) => p)).size >= 4, 'keys spread over partitions');
});

test('kafka-python: compression codecs (those with a Python module) round trip; the others are refused', async () => {
  const probe = await runPython(String.raw`
import json
from kafka import codec
print(json.dumps({'gzip': codec.has_gzip(), 'snappy': codec.has_snappy(), 'lz4': codec.has_lz4(), 'zstd': codec.has_zstd() if hasattr(codec, 'has_zstd') else False}))
`);
  const available = pythonJson<Record<string, boolean>>(probe, 'codec probe');
  assert.equal(available.gzip, true, 'gzip is always available in kafka-python');
  const tested: string[] = [];
  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
    const topic = `kpy-z-${codec}`;
    const sent = makeKeyedRecords(`kpyz${codec}`, 300);
    if (available[codec]) {
      const res = await roundTrip({ topic, partitions: 3, records: sent, compression: codec });
      checkRoundTrip(sent, 3, res);
      const stored = await withClient(broker.port, (c) => c.fetchAll(topic, 0));
      assert.ok(stored.batches.length > 0);
      for (const b of stored.batches) assert.equal(b.compression, CODEC_ID[codec], `${codec}: stored batch codec`);
      tested.push(codec);
    } else {
      // Without the module kafka-python refuses the codec up front: nothing reaches the broker.
      const r = await runPython(
        `from kafka import KafkaProducer\ntry:\n    KafkaProducer(bootstrap_servers='${broker.bootstrap}', compression_type='${codec}')\n    print('ACCEPTED')\nexcept Exception as e:\n    print('REFUSED', type(e).__name__, e)\n`,
        [],
        { timeoutMs: 30_000 },
      );
      assert.match(r.stdout.toString(), /REFUSED/, `${codec} without its module must be refused: ${r.stdout}${r.stderr}`);
    }
  }
  console.log(`# kafka-python codecs round-tripped: ${tested.join(', ')} (unavailable: ${Object.keys(available).filter((k) => !available[k]).join(', ') || 'none'})`);
  assert.ok(tested.includes('gzip'));
});
