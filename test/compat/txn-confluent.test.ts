/**
 * confluent-kafka-python 1.7 (librdkafka 2.0.2) transactions against a Samsa broker process:
 * committed transactions are seen by a read_committed consumer, aborted ones only by a
 * read_uncommitted consumer; a second producer with the same transactional.id fences the first;
 * an idempotent producer's records arrive once and in order; a consume-transform-produce loop with
 * send_offsets_to_transaction (TxnOffsetCommit with the consumer's member id and generation)
 * outputs each record once and commits the group's offsets.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { pythonJson } from '../helpers/compat.js';
import { runPython } from '../helpers/run-process.js';

let broker: BrokerProcess;

before(async () => {
  broker = await startBrokerProcess({ overrides: { 'transaction.state.log.num.partitions': 4, 'offsets.topic.num.partitions': 4 } });
});

after(async () => {
  await broker?.kill();
  if (broker) removeDir(broker.dataDir);
});

const COMMON = String.raw`
import json, sys, time
from confluent_kafka import Producer, Consumer, TopicPartition, KafkaError, KafkaException, OFFSET_BEGINNING
from confluent_kafka.admin import AdminClient, NewTopic

job = json.load(sys.stdin)
bs = job['bootstrap']
errors = []

def create(topic, n):
    admin = AdminClient({'bootstrap.servers': bs})
    for t, f in admin.create_topics([NewTopic(topic, num_partitions=n, replication_factor=1)], operation_timeout=10).items():
        f.result(timeout=20)

def consume(topic, n, isolation):
    c = Consumer({'bootstrap.servers': bs, 'group.id': 'txn-reader-' + isolation, 'enable.auto.commit': False,
                  'enable.partition.eof': True, 'isolation.level': isolation,
                  'error_cb': lambda e: errors.append('consumer: ' + str(e))})
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(n)])
    out = {p: [] for p in range(n)}
    eof = set()
    deadline = time.time() + 30
    while len(eof) < n and time.time() < deadline:
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                eof.add(m.partition())
            else:
                errors.append('poll: ' + str(m.error()))
            continue
        out[m.partition()].append(m.value().decode())
    c.close()
    return {'records': out, 'eof': sorted(eof)}
`;

const TRANSACTIONS = String.raw`
topic = job['topic']
create(topic, 2)
p = Producer({'bootstrap.servers': bs, 'transactional.id': 'confluent-txn-1', 'transaction.timeout.ms': 30000,
              'error_cb': lambda e: errors.append('producer: ' + str(e))})
p.init_transactions(20)
def txn(values, commit):
    p.begin_transaction()
    for part, v in values:
        p.produce(topic, value=v.encode(), partition=part)
    p.flush(20)
    if commit:
        p.commit_transaction(20)
    else:
        p.abort_transaction(20)
txn([(0, 'c1'), (1, 'c2'), (0, 'c3')], True)
txn([(0, 'a1'), (1, 'a2')], False)
txn([(1, 'c4')], True)
txn([(0, 'a3')], False)
txn([(0, 'c5'), (1, 'c6')], True)
print(json.dumps({'committed': consume(topic, 2, 'read_committed'), 'uncommitted': consume(topic, 2, 'read_uncommitted'), 'errors': errors}))
`;

const FENCING = String.raw`
topic = job['topic']
create(topic, 1)
a = Producer({'bootstrap.servers': bs, 'transactional.id': 'confluent-fence', 'error_cb': lambda e: None})
a.init_transactions(20)
a.begin_transaction()
a.produce(topic, value=b'zombie', partition=0)
a.flush(20)
b = Producer({'bootstrap.servers': bs, 'transactional.id': 'confluent-fence', 'error_cb': lambda e: errors.append('b: ' + str(e))})
b.init_transactions(20)
fenced = None
try:
    a.produce(topic, value=b'zombie-2', partition=0)
    a.flush(10)
    a.commit_transaction(10)
    fenced = 'commit succeeded'
except KafkaException as e:
    err = e.args[0]
    fenced = {'fatal': err.fatal(), 'code': err.code(), 'name': err.name()}
b.begin_transaction()
b.produce(topic, value=b'winner', partition=0)
b.commit_transaction(20)
print(json.dumps({'fenced': fenced, 'committed': consume(topic, 1, 'read_committed'), 'errors': errors}))
`;

const IDEMPOTENT = String.raw`
topic = job['topic']
create(topic, 1)
p = Producer({'bootstrap.servers': bs, 'enable.idempotence': True, 'linger.ms': 5,
              'error_cb': lambda e: errors.append('producer: ' + str(e))})
for i in range(2000):
    p.produce(topic, value=('m%d' % i).encode(), partition=0)
    if i % 100 == 0:
        p.poll(0)
left = p.flush(30)
print(json.dumps({'left': left, 'read': consume(topic, 1, 'read_committed'), 'errors': errors}))
`;

const LOOP = String.raw`
src, dst, n = job['src'], job['dst'], job['n']
create(src, 2)
create(dst, 1)
feeder = Producer({'bootstrap.servers': bs})
for i in range(n):
    feeder.produce(src, value=('in-%d' % i).encode(), partition=i % 2)
feeder.flush(20)
consumer = Consumer({'bootstrap.servers': bs, 'group.id': 'ck-eos', 'enable.auto.commit': False, 'auto.offset.reset': 'earliest',
                     'isolation.level': 'read_committed', 'session.timeout.ms': 6000,
                     'error_cb': lambda e: errors.append('consumer: ' + str(e))})
consumer.subscribe([src])
p = Producer({'bootstrap.servers': bs, 'transactional.id': 'ck-eos-txn', 'error_cb': lambda e: errors.append('producer: ' + str(e))})
p.init_transactions(20)
done = 0
deadline = time.time() + 60
while done < n and time.time() < deadline:
    msgs = consumer.consume(20, 0.5)
    msgs = [m for m in msgs if not m.error()]
    if not msgs:
        continue
    p.begin_transaction()
    for m in msgs:
        p.produce(dst, value=b'out-' + m.value(), partition=0)
    p.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 20)
    p.commit_transaction(20)
    done += len(msgs)
committed = consumer.committed([TopicPartition(src, 0), TopicPartition(src, 1)], 10)
consumer.close()
print(json.dumps({'done': done, 'committed': [tp.offset for tp in committed], 'out': consume(dst, 1, 'read_committed'), 'errors': errors}))
`;

async function py<T>(script: string, job: Record<string, unknown>, what: string): Promise<T> {
  const r = await runPython(COMMON + script, [], { input: JSON.stringify({ bootstrap: broker.bootstrap, ...job }), timeoutMs: 90_000 });
  return pythonJson<T>(r, what);
}

interface Consumed {
  records: Record<string, string[]>;
  eof: number[];
}

test('confluent-kafka transactions: read_committed sees committed transactions only, read_uncommitted sees all', async () => {
  const res = await py<{ committed: Consumed; uncommitted: Consumed; errors: string[] }>(TRANSACTIONS, { topic: 'ck-txn' }, 'confluent-kafka transactions');
  assert.deepEqual(res.committed.eof, [0, 1], `read_committed reached the end (errors: ${res.errors.join('; ')})`);
  assert.deepEqual(res.committed.records, { '0': ['c1', 'c3', 'c5'], '1': ['c2', 'c4', 'c6'] });
  assert.deepEqual(res.uncommitted.records, { '0': ['c1', 'c3', 'a1', 'a3', 'c5'], '1': ['c2', 'a2', 'c4', 'c6'] });
  assert.deepEqual(res.errors, []);
});

test('confluent-kafka: a second producer with the same transactional.id fences the first', async () => {
  const res = await py<{ fenced: { fatal: boolean; code: number; name: string } | string; committed: Consumed; errors: string[] }>(FENCING, { topic: 'ck-fence' }, 'confluent-kafka fencing');
  assert.equal(typeof res.fenced, 'object', `the zombie producer must fail: ${JSON.stringify(res.fenced)}`);
  const f = res.fenced as { fatal: boolean; name: string };
  assert.ok(f.fatal, `fencing is fatal for the zombie: ${JSON.stringify(f)}`);
  assert.match(f.name, /FENCED|EPOCH/);
  assert.deepEqual(res.committed.records, { '0': ['winner'] });
  assert.deepEqual(res.errors, []);
});

test('confluent-kafka idempotent producer: 2000 records once each, in order', async () => {
  const res = await py<{ left: number; read: Consumed; errors: string[] }>(IDEMPOTENT, { topic: 'ck-idem' }, 'confluent-kafka idempotence');
  assert.equal(res.left, 0);
  assert.deepEqual(res.read.records['0'], Array.from({ length: 2000 }, (_, i) => `m${i}`));
  assert.deepEqual(res.errors, []);
});

test('confluent-kafka consume-transform-produce with send_offsets_to_transaction', async () => {
  const res = await py<{ done: number; committed: number[]; out: Consumed; errors: string[] }>(LOOP, { src: 'ck-eos-in', dst: 'ck-eos-out', n: 200 }, 'confluent-kafka EOS loop');
  assert.equal(res.done, 200, `all input consumed (errors: ${res.errors.join('; ')})`);
  assert.deepEqual(res.committed, [100, 100], 'the group committed the end offsets through the transactions');
  const out = res.out.records['0'] ?? [];
  assert.equal(new Set(out).size, 200);
  assert.deepEqual([...out].sort(), Array.from({ length: 200 }, (_, i) => `out-in-${i}`).sort());
  assert.deepEqual(res.errors, []);
});
