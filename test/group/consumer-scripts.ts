/**
 * Group consumers for the compatibility suites, one per client library, each run as its own
 * process so a test can stop it cleanly (SIGTERM: close the consumer, which leaves the group) or
 * kill it (SIGKILL: no LeaveGroup, the session must time out). Each consumes a topic through a
 * group with manual commits after every batch, and prints one JSON event per line:
 *   {"ev":"assign","parts":[..],"full":bool}  {"ev":"revoke","parts":[..]}
 *   {"ev":"rec","p":P,"o":O,"v":"value"}      {"ev":"commit","offs":{"P":next}}
 *   {"ev":"commitfail","e":"..."}              {"ev":"closed"}
 * with a wall-clock "t" (ms) on every event. The job is JSON in argv[1] (Python) or argv[2]
 * (the kafkajs script): bootstrap, group, topic, id, session (ms) and optional strategy.
 */
import { resolve } from 'node:path';

export const CONFLUENT_CONSUMER = String.raw`
import json, sys, time, signal
from confluent_kafka import Consumer, KafkaException, TopicPartition
job = json.loads(sys.argv[1])
stop = [False]
signal.signal(signal.SIGTERM, lambda *a: stop.__setitem__(0, True))
def emit(o):
    o['t'] = time.time() * 1000
    sys.stdout.write(json.dumps(o) + '\n'); sys.stdout.flush()
conf = {'bootstrap.servers': job['bootstrap'], 'group.id': job['group'], 'client.id': job['id'],
        'enable.auto.commit': False, 'auto.offset.reset': 'earliest',
        'session.timeout.ms': job['session'], 'heartbeat.interval.ms': 300, 'max.poll.interval.ms': 30000,
        'partition.assignment.strategy': job.get('strategy', 'range'), 'topic.metadata.refresh.interval.ms': 1000}
# KIP-848 (librdkafka >= 2.12): the broker assigns and times sessions; the classic settings do not apply.
if job.get('protocol') == 'consumer':
    for k in ('session.timeout.ms', 'heartbeat.interval.ms', 'partition.assignment.strategy'):
        del conf[k]
    conf['group.protocol'] = 'consumer'
    if job.get('instance'):
        conf['group.instance.id'] = job['instance']
if job.get('rack'):
    conf['client.rack'] = job['rack']
if job.get('debug'):
    conf['debug'] = job['debug']
c = Consumer(conf)
def on_assign(consumer, parts):
    emit({'ev': 'assign', 'parts': [p.partition for p in parts], 'full': job.get('strategy', 'range') != 'cooperative-sticky' and job.get('protocol') != 'consumer'})
def on_revoke(consumer, parts):
    emit({'ev': 'revoke', 'parts': [p.partition for p in parts]})
c.subscribe([job['topic']], on_assign=on_assign, on_revoke=on_revoke)
# librdkafka 2.0.2's batch consume API (Consumer.consume) skips queued records of partitions kept
# across an incremental rebalance (fixed in librdkafka 2.1.0; evidence in
# test/compat/groups-confluent.test.ts), so cooperative consumers poll one message at a time.
batch = job.get('strategy', 'range') != 'cooperative-sticky'
while not stop[0]:
    if batch:
        msgs = c.consume(num_messages=50, timeout=0.1)
    else:
        m1 = c.poll(0.1)
        msgs = [m1] if m1 is not None else []
    offs = {}
    for m in msgs:
        if m.error():
            continue
        emit({'ev': 'rec', 'p': m.partition(), 'o': m.offset(), 'v': m.value().decode()})
        offs[m.partition()] = m.offset() + 1
    if offs and job.get('protocol') == 'consumer':
        # KIP-848 revokes incrementally inside consume(): commit only what this member still owns,
        # or a late commit of a revoked partition overwrites its new owner's progress (Kafka accepts
        # commits by member epoch, not by ownership).
        owned = {tp.partition for tp in c.assignment()}
        offs = {p: o for p, o in offs.items() if p in owned}
    if offs:
        try:
            c.commit(offsets=[TopicPartition(job['topic'], p, o) for p, o in offs.items()], asynchronous=False)
            emit({'ev': 'commit', 'offs': {str(p): o for p, o in offs.items()}})
        except KafkaException as e:
            emit({'ev': 'commitfail', 'e': str(e)})
c.close()
emit({'ev': 'closed'})
`;

export const KAFKA_PYTHON_CONSUMER = String.raw`
import json, sys, time, signal, logging
from kafka import KafkaConsumer, TopicPartition, ConsumerRebalanceListener
from kafka.structs import OffsetAndMetadata
from kafka.errors import KafkaError
job = json.loads(sys.argv[1])
stop = [False]
signal.signal(signal.SIGTERM, lambda *a: stop.__setitem__(0, True))
def emit(o):
    o['t'] = time.time() * 1000
    sys.stdout.write(json.dumps(o) + '\n'); sys.stdout.flush()
class Listener(ConsumerRebalanceListener):
    def on_partitions_revoked(self, revoked):
        emit({'ev': 'revoke', 'parts': [tp.partition for tp in revoked]})
    def on_partitions_assigned(self, assigned):
        emit({'ev': 'assign', 'parts': [tp.partition for tp in assigned], 'full': True})
c = KafkaConsumer(bootstrap_servers=job['bootstrap'], group_id=job['group'], client_id=job['id'],
                  enable_auto_commit=False, auto_offset_reset='earliest',
                  session_timeout_ms=job['session'], heartbeat_interval_ms=300, max_poll_interval_ms=30000,
                  metadata_max_age_ms=1000, fetch_max_wait_ms=100)
c.subscribe([job['topic']], listener=Listener())
while not stop[0]:
    batch = c.poll(timeout_ms=100, max_records=50)
    offs = {}
    for tp, msgs in batch.items():
        for m in msgs:
            emit({'ev': 'rec', 'p': tp.partition, 'o': m.offset, 'v': m.value.decode()})
            offs[tp] = m.offset + 1
    if offs:
        try:
            c.commit({tp: OffsetAndMetadata(o, '') for tp, o in offs.items()})
            emit({'ev': 'commit', 'offs': {str(tp.partition): o for tp, o in offs.items()}})
        except KafkaError as e:
            emit({'ev': 'commitfail', 'e': repr(e)})
c.close()
emit({'ev': 'closed'})
`;

/** The compiled kafkajs consumer script (test/group/kafkajs-consumer.ts). */
export const KAFKAJS_CONSUMER = resolve('dist/test/group/kafkajs-consumer.js');
