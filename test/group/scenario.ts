/**
 * The rebalance scenario every client library goes through (test/compat/groups-*.test.ts):
 * a 6-partition topic fed continuously; group 1 grows to three consumers (two partitions each),
 * a fourth joins, one leaves cleanly, one is killed (its session must expire); meanwhile a
 * single consumer in group 2 reads the same topic. At the end every produced record must have
 * been consumed by each group, no committed record consumed again, and the committed offsets
 * must equal the log end offsets.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { GroupConsumer, verifyGroup, waitForAssignment, waitUntil, type ClientKind } from './group-harness.js';

export const SESSION_TIMEOUT_MS = 4000;
/** Broker settings the group suites use: short initial delay, short sessions allowed. */
export const GROUP_TEST_BROKER_CONFIG = {
  'group.initial.rebalance.delay.ms': 100,
  'group.min.session.timeout.ms': 1000,
  'offsets.topic.num.partitions': 10,
} as const;

const PARTITIONS = 6;

export interface ScenarioStats {
  produced: number;
  duplicatesGroup1: number;
  phaseMs: Record<string, number>;
}

class Feeder {
  readonly produced = new Set<string>();
  private n = 0;
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly producer: Producer, private readonly topic: string, private readonly tag: string) {}

  async send(count: number): Promise<void> {
    const messages = [];
    for (let k = 0; k < count; k++) {
      const i = this.n++;
      messages.push({ partition: i % PARTITIONS, key: `k${i}`, value: `${this.tag}-${i}` });
    }
    await this.producer.send({ topic: this.topic, acks: -1, messages });
    for (const m of messages) this.produced.add(m.value);
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.send(12);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

async function offsetsSettled(admin: Admin, group: string, topic: string): Promise<boolean> {
  const ends = await admin.fetchTopicOffsets(topic);
  const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  const byPartition = new Map<number, string>();
  for (const t of committed) for (const p of t.partitions) byPartition.set(p.partition, p.offset);
  return ends.every((e) => byPartition.get(e.partition) === e.high);
}

export async function runRebalanceScenario(kind: ClientKind, bootstrap: string, opts: { strategy?: string } = {}): Promise<ScenarioStats> {
  const tag = `${kind}-${Date.now()}`;
  const topic = `groups-${tag}`;
  const group1 = `g1-${tag}`;
  const group2 = `g2-${tag}`;
  const kafka = new Kafka({ clientId: 'scenario', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await admin.connect();
  await producer.connect();
  const consumers: GroupConsumer[] = [];
  const phaseMs: Record<string, number> = {};
  const mark = (name: string, since: number): void => void (phaseMs[name] = Date.now() - since);
  const job = (group: string, id: string) => ({ bootstrap, group, topic, id, session: SESSION_TIMEOUT_MS, ...(opts.strategy ? { strategy: opts.strategy } : {}) });
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
    const feeder = new Feeder(producer, topic, tag);
    await feeder.send(60);
    feeder.start();

    let t = Date.now();
    const other = GroupConsumer.start(kind, job(group2, 'other'));
    const [a, b, c] = ['a', 'b', 'c'].map((id) => GroupConsumer.start(kind, job(group1, id))) as [GroupConsumer, GroupConsumer, GroupConsumer];
    consumers.push(other, a, b, c);
    const g1 = [a, b, c];
    await waitForAssignment(g1, PARTITIONS, [2, 2, 2]);
    mark('three members stable', t);

    t = Date.now();
    const d = GroupConsumer.start(kind, job(group1, 'd'));
    consumers.push(d);
    g1.push(d);
    await waitForAssignment(g1, PARTITIONS, [2, 2, 1, 1]);
    mark('fourth member joined', t);

    t = Date.now();
    await b.stop();
    await waitForAssignment(g1, PARTITIONS, [2, 2, 2]);
    mark('member left', t);

    t = Date.now();
    await c.kill();
    await waitForAssignment(g1, PARTITIONS, [3, 3], SESSION_TIMEOUT_MS + 20_000);
    mark('member killed, session expired', t);

    await feeder.stop();
    await feeder.send(60);
    const produced = feeder.produced;
    t = Date.now();
    const groups: [string, GroupConsumer[]][] = [
      ['group 1', g1],
      ['group 2', [other]],
    ];
    for (const [name, members] of groups) {
      await waitUntil(
        () => verifyGroup(members).consumed.size >= produced.size,
        30_000,
        () => {
          const got = verifyGroup(members).consumed;
          const missing = [...produced].filter((v) => !got.has(v));
          return `${name} to consume ${produced.size} records (has ${got.size}; missing ${missing.slice(0, 20).join(' ')})\n${members.map((m) => m.describe()).join('\n')}`;
        },
      );
    }
    const deadline = Date.now() + 20_000;
    while (!((await offsetsSettled(admin, group1, topic)) && (await offsetsSettled(admin, group2, topic)))) {
      if (Date.now() > deadline) throw new Error('committed offsets never reached the log end offsets');
      await new Promise((r) => setTimeout(r, 100));
    }
    mark('drained and committed', t);
    await Promise.all(consumers.map((x) => x.stop()));

    const v1 = verifyGroup(g1);
    assert.deepEqual(v1.violations, [], 'group 1 consumed records after their offsets were committed');
    assert.deepEqual([...v1.consumed].sort(), [...produced].sort(), 'group 1 consumed exactly the produced records');
    const v2 = verifyGroup([other]);
    assert.deepEqual(v2.violations, []);
    assert.deepEqual([...v2.consumed].sort(), [...produced].sort(), 'group 2 consumed exactly the produced records');
    assert.equal(v2.duplicates, 0, 'a lone, never-rebalanced consumer sees no duplicates');
    // Members that left cleanly committed everything they consumed: their partitions' records
    // were not handed out twice. Only the killed member's uncommitted tail may repeat.
    return { produced: produced.size, duplicatesGroup1: v1.duplicates, phaseMs };
  } catch (e) {
    const dir = process.env['SAMSA_GROUP_DEBUG_DIR'];
    if (dir) writeFileSync(`${dir}/scenario-${tag}.json`, JSON.stringify(consumers.map((x) => ({ id: x.id, group: x.job.group, events: x.events }))));
    throw e;
  } finally {
    await Promise.all(consumers.map((x) => x.kill()));
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
