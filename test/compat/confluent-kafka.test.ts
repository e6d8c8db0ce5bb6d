/**
 * confluent-kafka-python 1.7 (librdkafka 2.0.2, Debian's /usr/bin/python3) against a Samsa broker
 * process: AdminClient topic creation, keyed records with headers placed by the murmur2
 * partitioner and read back exactly via assign(), and every compression.type.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { partitionForKey } from '../../src/common/murmur2.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { assertStoredWithCodec, assertReadBackInOrder, makeKeyedRecords, type ConsumedRecord, pythonJson, type SentRecord } from '../helpers/compat.js';
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

const ROUND_TRIP = String.raw`
import json, sys, time
from confluent_kafka import Producer, Consumer, TopicPartition, KafkaError, OFFSET_BEGINNING
from confluent_kafka.admin import AdminClient, NewTopic

job = json.load(sys.stdin)
bs = job['bootstrap']
topic = job['topic']
n = job['partitions']
errors = []
admin = AdminClient({'bootstrap.servers': bs})
fs = admin.create_topics([NewTopic(topic, num_partitions=n, replication_factor=1)], operation_timeout=10)
for t, f in fs.items():
    f.result(timeout=20)  # raises on failure

pconf = {'bootstrap.servers': bs, 'partitioner': 'murmur2_random', 'linger.ms': 20, 'acks': 'all',
         'error_cb': lambda e: errors.append('producer: ' + str(e))}
if job.get('compression'):
    pconf['compression.type'] = job['compression']
producer = Producer(pconf)
delivered = [None] * len(job['records'])
def report(i):
    def cb(err, msg):
        delivered[i] = [msg.partition(), msg.offset()] if err is None else ['ERR', str(err)]
    return cb
for i, r in enumerate(job['records']):
    headers = [(k, v.encode()) for k, v in r['headers']]
    producer.produce(topic, key=r['key'].encode(), value=r['value'].encode(), headers=headers, on_delivery=report(i))
    producer.poll(0)
left = producer.flush(30)
if left:
    raise SystemExit('%d messages not delivered' % left)

consumer = Consumer({'bootstrap.servers': bs, 'group.id': 'samsa-confluent-compat', 'enable.auto.commit': False,
                     'enable.partition.eof': True, 'auto.offset.reset': 'earliest',
                     'error_cb': lambda e: errors.append('consumer: ' + str(e))})
consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(n)])
consumed = []
eof = set()
deadline = time.time() + 60
while len(eof) < n and time.time() < deadline:
    m = consumer.poll(0.5)
    if m is None:
        continue
    if m.error():
        if m.error().code() == KafkaError._PARTITION_EOF:
            eof.add(m.partition())
        else:
            errors.append('poll: ' + str(m.error()))
        continue
    consumed.append({'partition': m.partition(), 'offset': m.offset(),
                     'key': m.key().decode() if m.key() is not None else None,
                     'value': m.value().decode() if m.value() is not None else None,
                     'headers': [[k, v.decode()] for k, v in (m.headers() or [])]})
consumer.close()
print(json.dumps({'delivered': delivered, 'consumed': consumed, 'eof': sorted(eof), 'errors': errors}))
`;

interface Result {
  delivered: ([number, number] | ['ERR', string])[];
  consumed: ConsumedRecord[];
  eof: number[];
  errors: string[];
}

async function roundTrip(job: { topic: string; partitions: number; records: SentRecord[]; compression?: string }): Promise<Result> {
  const r = await runPython(ROUND_TRIP, [], { input: JSON.stringify({ bootstrap: broker.bootstrap, ...job }), timeoutMs: 100_000 });
  return pythonJson<Result>(r, 'confluent-kafka round trip');
}

function checkRoundTrip(sent: SentRecord[], partitions: number, res: Result): void {
  assert.deepEqual(res.eof, [...Array(partitions).keys()], `every partition reached EOF (errors: ${res.errors.join('; ')})`);
  const nextOffset = new Map<number, number>();
  sent.forEach((rec, i) => {
    const d = res.delivered[i];
    assert.ok(d && d[0] !== 'ERR', `record ${i} delivery: ${JSON.stringify(d)}`);
    const [p, off] = d as [number, number];
    assert.equal(p, partitionForKey(Buffer.from(rec.key), partitions), `record ${i} (key ${rec.key}) partition`);
    const next = nextOffset.get(p) ?? 0;
    assert.equal(off, next, `record ${i}: acknowledged offset on partition ${p}`);
    nextOffset.set(p, next + 1);
  });
  assertReadBackInOrder(sent, partitions, res.consumed);
}

test('confluent-kafka: AdminClient topic, keyed records with headers on murmur2 partitions, read back in order', async () => {
  const topic = 'ck-keyed';
  const partitions = 6;
  const sent = makeKeyedRecords('ck', 500);
  const res = await roundTrip({ topic, partitions, records: sent });
  const md = await withClient(broker.port, (c) => c.metadata([topic]));
  assert.equal(md.topics[0].errorCode, 0);
  assert.equal(md.topics[0].partitions.length, partitions);
  checkRoundTrip(sent, partitions, res);
  assert.ok(new Set(res.consumed.map((c) => c.partition)).size >= 4, 'keys spread over partitions');
  if (res.errors.length > 0) console.log(`# confluent-kafka client errors (not fatal): ${res.errors.join('; ')}`);
});

for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
  test(`confluent-kafka: compression.type=${codec} round trip`, async () => {
    const topic = `ck-z-${codec}`;
    const sent = makeKeyedRecords(`ckz${codec}`, 400);
    const res = await roundTrip({ topic, partitions: 3, records: sent, compression: codec });
    checkRoundTrip(sent, 3, res);
    const stored = await withClient(broker.port, (c) => c.fetchAll(topic, 1));
    assert.ok(stored.batches.length > 0);
    assertStoredWithCodec(stored.batches, codec);
  });
}
