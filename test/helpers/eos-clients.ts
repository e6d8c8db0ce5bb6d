/**
 * confluent-kafka (Debian's /usr/bin/python3) clients for the exactly-once failover test, run as
 * child processes that report JSON lines (failover-clients.ts):
 * - an EOS consume-transform-produce worker: a read_committed consumer in a group (no auto
 *   commit) and a transactional producer; for each polled batch one transaction writes
 *   `out-<value>` for every input record and commits the consumed positions with
 *   send_offsets_to_transaction. An abortable error aborts and rewinds the consumer to the
 *   group's committed offsets; a fatal one replaces the producer (init_transactions fences and
 *   aborts what the old one left open) and rewinds too — librdkafka's documented EOS loop;
 * - a read_committed reader of every partition of a topic from the start to the end.
 */
import { PY_PRELUDE, runLines, type LineProcess } from './failover-clients.js';

/**
 * Lines: {txn:k, n, pos:[[p,o]], at} a committed transaction (n records, input positions after
 * it); {txnErr, abort, fatal, retriable} a failed step; {error, fatal} librdkafka's error callback;
 * {done:k} after stdin closed and the last transaction ended.
 */
const WORKER_PY = String.raw`
import json, random, sys, threading, time
from confluent_kafka import Consumer, Producer, TopicPartition, KafkaException, OFFSET_BEGINNING
${PY_PRELUDE}common = {'bootstrap.servers': job['bootstrap'], 'reconnect.backoff.ms': 50, 'reconnect.backoff.max.ms': 500,
          'topic.metadata.refresh.interval.ms': 5000, 'error_cb': on_error}
c = Consumer({**common, 'group.id': job['group'], 'enable.auto.commit': False, 'auto.offset.reset': 'earliest',
              'isolation.level': 'read_committed', 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500})
def producer():
    p = Producer({**common, 'transactional.id': job['txnId'], 'transaction.timeout.ms': job['txnTimeoutMs'],
                  'retry.backoff.ms': 50, 'linger.ms': 5})
    p.init_transactions(60)
    return p
def retrying(fn):
    while True:
        try:
            return fn()
        except KafkaException as e:
            if not e.args[0].retriable() or stop.is_set():
                raise
            emit({'retry': str(e.args[0])})
def rewind():
    asg = c.assignment()
    if not asg:
        return
    for tp in retrying(lambda: c.committed(asg, timeout=30)):
        c.seek(TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else OFFSET_BEGINNING))
    emit({'rewound': [[tp.partition, tp.offset] for tp in c.committed(asg, timeout=30)]})
p = producer()
c.subscribe([job['in']])
emit({'ready': True})
txns = 0
while not stop.is_set():
    msgs = [m for m in c.consume(num_messages=job['batch'], timeout=0.2) if m.error() is None]
    if not msgs:
        continue
    pos = {}
    for m in msgs:
        pos[m.partition()] = max(pos.get(m.partition(), 0), m.offset() + 1)
    try:
        p.begin_transaction()
        for m in msgs:
            p.produce(job['out'], value=b'out-' + m.value())
        time.sleep(random.random() * job['pauseMs'] / 1000)
        offsets = [TopicPartition(job['in'], q, o) for q, o in pos.items()]
        retrying(lambda: p.send_offsets_to_transaction(offsets, c.consumer_group_metadata(), 30))
        time.sleep(random.random() * job['pauseMs'] / 1000)
        retrying(lambda: p.commit_transaction(30))
        txns += 1
        emit({'txn': txns, 'n': len(msgs), 'pos': sorted(pos.items())})
    except KafkaException as e:
        err = e.args[0]
        emit({'ts': time.time(), 'txnErr': str(err), 'abort': err.txn_requires_abort(), 'fatal': err.fatal(), 'retriable': err.retriable()})
        step = 'replace' if err.fatal() else 'abort'
        while step != 'done':
            try:
                if step == 'replace':
                    p = producer()
                elif step == 'abort':
                    retrying(lambda: p.abort_transaction(30))
                else:
                    rewind()
                step = 'done' if step == 'rewind' else 'rewind'
            except KafkaException as e2:
                err = e2.args[0]
                emit({'ts': time.time(), 'recoverErr': str(err), 'fatal': err.fatal()})
                if err.fatal():
                    step = 'replace'
                time.sleep(0.2)
c.close()
emit({'done': txns})
`;

/** Lines: {values:{p:[values]}} once every partition reached its end (read_committed: the LSO). */
const READER_PY = String.raw`
import json, sys, threading
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
${PY_PRELUDE}c = Consumer({'bootstrap.servers': job['bootstrap'], 'group.id': 'eos-verify', 'enable.auto.commit': False,
              'isolation.level': 'read_committed', 'enable.partition.eof': True, 'error_cb': on_error})
c.assign([TopicPartition(job['topic'], q, OFFSET_BEGINNING) for q in range(job['partitions'])])
values = {q: [] for q in range(job['partitions'])}
left = set(range(job['partitions']))
while left and not stop.is_set():
    m = c.poll(0.5)
    if m is None:
        continue
    if m.error() is not None:
        if m.error().code() == -191:  # _PARTITION_EOF
            left.discard(m.partition())
        else:
            emit({'perr': str(m.error())})
        continue
    values[m.partition()].append(m.value().decode())
emit({'values': values})
c.close()
`;

export interface EosWorkerJob {
  bootstrap: string;
  in: string;
  out: string;
  group: string;
  txnId: string;
  txnTimeoutMs: number;
  /** Most records per transaction. */
  batch: number;
  /** Pauses of up to this long after the produce and after send_offsets_to_transaction, so that kills land inside transactions. */
  pauseMs: number;
}

export function startEosWorker(job: EosWorkerJob): LineProcess {
  return runLines(WORKER_PY, { ...job }, 'confluent-kafka EOS worker');
}

export function startCommittedReader(job: { bootstrap: string; topic: string; partitions: number }): LineProcess {
  return runLines(READER_PY, job, 'confluent-kafka read_committed reader');
}
