/**
 * Static membership (KIP-345) with confluent-kafka 2.0.2 (librdkafka, Debian python3): two
 * consumers with `group.instance.id` start tens of milliseconds apart and must settle in ONE
 * rebalance, as with Kafka: the group leaving Empty waits group.initial.rebalance.delay.ms (and
 * longer while members keep arriving), whether the group is new or had generations before and
 * emptied because the static members' sessions expired. Each member therefore gets exactly one
 * assignment, and no member is first handed every partition and then half of them.
 *
 * The second member is started as soon as the broker holds the first one's JoinGroup (both
 * consumers live in one Python process, so the gap is the time librdkafka takes to send a
 * JoinGroup: tens of milliseconds), not after a fixed sleep.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { GroupState } from '../../src/group/group.js';
import { waitUntil } from '../group/group-harness.js';
import { DEBIAN_PYTHON } from '../helpers/run-process.js';

const TOPIC = 'static-topic';
const GROUP = 'static-group';
const PARTITIONS = 4;
const SESSION_TIMEOUT_MS = 1500;

/**
 * Two static consumers in one process, started on command: stdin lines "start <instance-id>" and
 * "stop"; stdout one JSON event per line: {"ev":"assign"|"revoke","id":..,"parts":[..]},
 * {"ev":"closed","id":..}, {"ev":"error","id":..,"e":..}.
 */
const STATIC_CONSUMERS = String.raw`
import json, sys, threading
from confluent_kafka import Consumer
job = json.loads(sys.argv[1])
lock = threading.Lock()
stop = threading.Event()
def emit(o):
    with lock:
        sys.stdout.write(json.dumps(o) + '\n'); sys.stdout.flush()
def run(name):
    c = Consumer({'bootstrap.servers': job['bootstrap'], 'group.id': job['group'], 'group.instance.id': name,
                  'client.id': name, 'session.timeout.ms': job['session'], 'heartbeat.interval.ms': 300,
                  'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
    c.subscribe([job['topic']],
                on_assign=lambda cc, ps: emit({'ev': 'assign', 'id': name, 'parts': [p.partition for p in ps]}),
                on_revoke=lambda cc, ps: emit({'ev': 'revoke', 'id': name, 'parts': [p.partition for p in ps]}))
    while not stop.is_set():
        m = c.poll(0.05)
        if m is not None and m.error():
            emit({'ev': 'error', 'id': name, 'e': str(m.error())})
    c.close()  # a static member does not send LeaveGroup: its session expires on the broker
    emit({'ev': 'closed', 'id': name})
threads = []
for line in sys.stdin:
    cmd = line.split()
    if cmd[:1] == ['start']:
        t = threading.Thread(target=run, args=(cmd[1],)); t.start(); threads.append(t)
    elif cmd[:1] == ['stop']:
        break
stop.set()
for t in threads: t.join()
`;

interface StaticEvent {
  ev: string;
  id: string;
  parts?: number[];
  e?: string;
}

class StaticConsumers {
  readonly events: StaticEvent[] = [];
  private readonly child: ChildProcess;
  private partial = '';
  private stderr = '';
  readonly exited: Promise<void>;

  constructor(bootstrap: string) {
    const job = { bootstrap, group: GROUP, topic: TOPIC, session: SESSION_TIMEOUT_MS };
    this.child = spawn(DEBIAN_PYTHON, ['-c', STATIC_CONSUMERS, JSON.stringify(job)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (d: Buffer) => {
      const lines = (this.partial + d.toString('utf8')).split('\n');
      this.partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim() !== '') this.events.push(JSON.parse(l) as StaticEvent);
    });
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString('utf8')).slice(-10_000)));
    this.exited = new Promise((res) => this.child.once('exit', () => res()));
  }

  start(id: string): void {
    this.child.stdin?.write(`start ${id}\n`);
  }

  assignments(id: string): number[][] {
    return this.events.filter((e) => e.ev === 'assign' && e.id === id).map((e) => e.parts ?? []);
  }

  /** The latest assignment of each member. */
  current(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const e of this.events) if (e.ev === 'assign') out.set(e.id, e.parts ?? []);
    return out;
  }

  describe(): string {
    return `events ${JSON.stringify(this.events)}; stderr ${this.stderr.slice(-2000)}`;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      this.child.stdin?.end('stop\n');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(killer);
    }
  }
}

let broker: RunningBroker;

before(async () => {
  broker = await startBroker({
    port: 0,
    config: { 'group.initial.rebalance.delay.ms': 1000, 'group.min.session.timeout.ms': 1000, 'offsets.topic.num.partitions': 3 },
  });
  const admin = new Kafka({ clientId: 'static-admin', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  } finally {
    await admin.disconnect();
  }
});

after(async () => {
  await broker?.stop();
});

const group = () => broker.broker.groups.group(GROUP);

/** Starts s1, then s2 as soon as the broker holds s1's JoinGroup; waits until both own half the partitions. */
async function joinTwoStaticMembers(consumers: StaticConsumers): Promise<void> {
  consumers.start('s1');
  await waitUntil(() => group()?.staticMemberId('s1') !== undefined, 20_000, () => `s1's JoinGroup; ${consumers.describe()}`);
  consumers.start('s2');
  await waitUntil(
    () => {
      const cur = consumers.current();
      const all = [...(cur.get('s1') ?? []), ...(cur.get('s2') ?? [])].sort();
      return cur.get('s1')?.length === PARTITIONS / 2 && cur.get('s2')?.length === PARTITIONS / 2 && all.join() === '0,1,2,3';
    },
    30_000,
    () => `s1 and s2 to own two partitions each; ${consumers.describe()}`,
  );
}

function assertOneRebalance(consumers: StaticConsumers, generationBefore: number): void {
  for (const id of ['s1', 's2']) {
    assert.equal(consumers.assignments(id).length, 1, `${id} must be assigned once (one rebalance); ${consumers.describe()}`);
  }
  assert.deepEqual(consumers.events.filter((e) => e.ev === 'revoke' || e.ev === 'error'), [], consumers.describe());
  assert.equal(group()?.generationId, generationBefore + 1, 'one new generation');
  assert.equal(group()?.state, GroupState.Stable);
}

test('confluent-kafka: two static members joining tens of ms apart settle in one rebalance (new group, then the same group after their sessions expired)', { timeout: 120_000 }, async (t) => {
  // A new group.
  const first = new StaticConsumers(broker.bootstrap);
  try {
    await joinTwoStaticMembers(first);
    assertOneRebalance(first, 0);
  } finally {
    await first.stop();
  }
  // Closed static members send no LeaveGroup: the group empties when their sessions expire.
  await waitUntil(() => group()?.state === GroupState.Empty, 30_000, () => `the group to be Empty (state ${group()?.state})`);
  const generation = group()?.generationId ?? -1;
  assert.ok(generation >= 2, `generation ${generation}`);

  // The same members start again: the group leaves Empty at a generation > 0, and the initial
  // delay must apply exactly as for a new group.
  const second = new StaticConsumers(broker.bootstrap);
  try {
    const started = Date.now();
    await joinTwoStaticMembers(second);
    t.diagnostic(`second start settled in ${Date.now() - started} ms`);
    assertOneRebalance(second, generation);
  } finally {
    await second.stop();
  }
});
