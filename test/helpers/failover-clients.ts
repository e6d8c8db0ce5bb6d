/**
 * Long-running confluent-kafka (Debian's /usr/bin/python3) producer and consumer for the failover
 * tests: each runs until its stdin closes and reports every event as one JSON line on stdout, which
 * the test reads as it comes (with the time it arrived), so acknowledgements can be checked
 * against the log and produce resumption after a kill can be measured.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { captureChildOutput } from './log-capture.js';
import { DEBIAN_PYTHON } from './run-process.js';

/**
 * What both scripts start with: the job (argv[1] as JSON), `stop` set when stdin closes (the test
 * ends the client by closing it), `emit` of one JSON line, and librdkafka's error callback.
 */
export const PY_PRELUDE = String.raw`job = json.loads(sys.argv[1])
stop = threading.Event()
def watch():
    sys.stdin.read()
    stop.set()
threading.Thread(target=watch, daemon=True).start()
def emit(o):
    sys.stdout.write(json.dumps(o) + '\n')
    sys.stdout.flush()
def on_error(e):
    emit({'error': str(e), 'fatal': e.fatal()})
`;

/** Idempotent acks=all producer: value `v<i>` to partition i % partitions, one every `intervalMs`. */
const PRODUCER_PY = String.raw`
import json, sys, threading, time
from confluent_kafka import Producer
${PY_PRELUDE}p = Producer({'bootstrap.servers': job['bootstrap'], 'enable.idempotence': True, 'acks': 'all',
              'linger.ms': 2, 'message.timeout.ms': 120000, 'retry.backoff.ms': 50,
              'reconnect.backoff.ms': 50, 'reconnect.backoff.max.ms': 500,
              'topic.metadata.refresh.interval.ms': 5000, 'error_cb': on_error, **job.get('config', {})})
def cb(err, msg):
    if err is None:
        emit({'p': msg.partition(), 'o': msg.offset(), 'v': msg.value().decode()})
    else:
        emit({'err': str(err), 'v': msg.value().decode()})
i = 0
n = job['partitions']
while not stop.is_set():
    p.produce(job['topic'], value=('v%d' % i).encode(), partition=i % n, on_delivery=cb)
    i += 1
    p.poll(0)
    time.sleep(job['interval'])
left = p.flush(120)
emit({'done': i, 'undelivered': left})
`;

/**
 * A consumer in group `group` (subscribe, manual synchronous commits of what it consumed every
 * 200 ms). Lines: {c:[p,o,v]} consumed, {committed:[[p,o,err]]} a commit that returned,
 * {commitErr} one that raised, {final:[[p,o]]} the group's committed offsets at the end.
 */
const CONSUMER_PY = String.raw`
import json, sys, threading, time
from confluent_kafka import Consumer, TopicPartition, KafkaException
${PY_PRELUDE}topic = job['topic']
c = Consumer({'bootstrap.servers': job['bootstrap'], 'group.id': job['group'], 'enable.auto.commit': False,
              'auto.offset.reset': 'earliest', 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500,
              'reconnect.backoff.ms': 50, 'reconnect.backoff.max.ms': 500, 'error_cb': on_error,
              **({'debug': job['debug']} if job.get('debug') else {})})
c.subscribe([topic], on_assign=lambda cons, ps: emit({'assigned': [x.partition for x in ps]}),
            on_revoke=lambda cons, ps: emit({'revoked': [x.partition for x in ps]}))
pending = {}
last = time.time()
while not stop.is_set():
    m = c.poll(0.1)
    if m is not None:
        if m.error():
            emit({'perr': str(m.error())})
        else:
            emit({'c': [m.partition(), m.offset(), m.value().decode()]})
            pending[m.partition()] = m.offset() + 1
    if pending and time.time() - last > 0.2:
        last = time.time()
        try:
            res = c.commit(offsets=[TopicPartition(topic, p, o) for p, o in pending.items()], asynchronous=False)
            emit({'committed': [[tp.partition, tp.offset, str(tp.error) if tp.error else None] for tp in res]})
            pending = {}
        except KafkaException as e:
            emit({'commitErr': str(e)})
final = c.committed([TopicPartition(topic, p) for p in range(job['partitions'])], timeout=20)
emit({'final': [[tp.partition, tp.offset] for tp in final]})
c.close()
`;

/**
 * A consumer assigned partition 0 of the topic from offset 0 (no subscription, no commits), with
 * `job.config` as more librdkafka settings (group.id, client.rack, ...). Lines: {c:[o,v]} per record.
 */
const ASSIGNED_CONSUMER_PY = String.raw`
import json, sys, threading
from confluent_kafka import Consumer, TopicPartition
${PY_PRELUDE}c = Consumer({'bootstrap.servers': job['bootstrap'], 'enable.auto.commit': False,
              'auto.offset.reset': 'earliest', 'fetch.wait.max.ms': 100,
              'reconnect.backoff.ms': 50, 'reconnect.backoff.max.ms': 500,
              'error_cb': lambda e: emit({'error': str(e)}), **job.get('config', {})})
c.assign([TopicPartition(job['topic'], 0, 0)])
while not stop.is_set():
    m = c.poll(0.1)
    if m is not None:
        if m.error():
            emit({'perr': str(m.error())})
        else:
            emit({'c': [m.offset(), m.value().decode()]})
c.close()
`;

export interface JsonLine {
  /** performance.now() when the line arrived. */
  at: number;
  msg: Record<string, unknown>;
}

export interface LineProcess {
  readonly lines: JsonLine[];
  readonly child: ChildProcess;
  /** Closes stdin (the script finishes) and waits for the exit, killing it after `timeoutMs`. */
  finish(timeoutMs?: number): Promise<number | null>;
  kill(): Promise<void>;
  stderr(): string;
}

export function runLines(script: string, job: Record<string, unknown>, label: string): LineProcess {
  const child = spawn(DEBIAN_PYTHON, ['-c', script, JSON.stringify(job)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: JsonLine[] = [];
  let partial = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    const at = performance.now();
    const s = partial + d.toString();
    const parts = s.split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) {
      if (l.trim() === '') continue;
      try {
        lines.push({ at, msg: JSON.parse(l) as Record<string, unknown> });
      } catch {
        err += `(unparsed) ${l}\n`;
      }
    }
  });
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  captureChildOutput(label, () => err);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const onExit = (): void => void child.kill('SIGKILL');
  process.once('exit', onExit);
  const kill = async (): Promise<void> => {
    process.removeListener('exit', onExit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return {
    lines,
    child,
    stderr: () => err,
    kill,
    async finish(timeoutMs = 150_000) {
      child.stdin?.end();
      const timer = setTimeout(() => void kill(), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      process.removeListener('exit', onExit);
      return code;
    },
  };
}

/** `config`: more librdkafka settings. */
export function startPythonProducer(job: { bootstrap: string; topic: string; partitions: number; interval: number; config?: Record<string, string | number> }): LineProcess {
  return runLines(PRODUCER_PY, job, 'confluent-kafka producer');
}

export function startPythonConsumer(job: { bootstrap: string; topic: string; partitions: number; group: string; debug?: string }): LineProcess {
  return runLines(CONSUMER_PY, job, 'confluent-kafka consumer');
}

/** A confluent-kafka consumer of partition 0 of `topic` from offset 0 (ASSIGNED_CONSUMER_PY); `config`: group.id and more librdkafka settings. */
export function startAssignedConsumer(job: { bootstrap: string; topic: string; config: Record<string, string | number> }, label = 'confluent-kafka consumer'): LineProcess {
  return runLines(ASSIGNED_CONSUMER_PY, job, label);
}

/** The records an assigned consumer (startAssignedConsumer) printed, in order. */
export function consumedBy(p: { lines: readonly JsonLine[] }): { o: number; v: string }[] {
  return p.lines.flatMap((l) => (Array.isArray(l.msg.c) ? [{ o: l.msg.c[0] as number, v: l.msg.c[1] as string }] : []));
}

/** `prefix-0` .. `prefix-(n-1)`: the values a test produced, in order. */
export function numberedValues(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
}

/**
 * Clean-up of a test that runs client processes against a cluster: returns `track`, which notes a
 * client process as it starts; after the test every tracked process is killed (in the order they
 * were started), then the cluster stops.
 */
export function stopAfterTest(t: { after(fn: () => Promise<void>): void }, cluster: { stop(): Promise<void> }): <P extends LineProcess>(p: P) => P {
  const started: LineProcess[] = [];
  t.after(async () => {
    for (const p of started) await p.kill();
    await cluster.stop();
  });
  return (p) => {
    started.push(p);
    return p;
  };
}
