/**
 * KIP-848 with a second independent client: @platformatic/kafka's consumer with
 * `groupProtocol: 'consumer'` (ConsumerGroupHeartbeat; the broker's uniform assignor). Two
 * consumers split a 6-partition topic 3/3, together read every record exactly once while both are
 * in the group, and after one closes the other takes over its partitions and reads what follows.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers, type MessagesStream } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { waitUntil } from '../group/group-harness.js';

const TOPIC = 'plt-kip848';
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'group.consumer.heartbeat.interval.ms': 300, 'offsets.topic.num.partitions': 2 } });
});

after(async () => {
  await broker?.stop();
});

interface Reader {
  consumer: Consumer<string, string, string, string>;
  stream: MessagesStream<string, string, string, string>;
  got: { partition: number; value: string }[];
}

async function reader(id: string): Promise<Reader> {
  const consumer = new Consumer({
    clientId: id,
    groupId: 'plt-kip848-group',
    groupProtocol: 'consumer',
    rebalanceTimeout: 60_000,
    bootstrapBrokers: [broker.bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 200,
    autocommit: 100,
  });
  const stream = await consumer.consume({ topics: [TOPIC], mode: 'committed', fallbackMode: 'earliest' });
  const got: Reader['got'] = [];
  stream.on('data', (m) => got.push({ partition: m.partition, value: m.value }));
  return { consumer, stream, got };
}

test('@platformatic/kafka groupProtocol consumer: 3/3 split, every record once, takeover after a close', { timeout: 90_000 }, async () => {
  const producer = new Producer({ clientId: 'plt-kip848-producer', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers });
  const admin = new Admin({ clientId: 'plt-kip848-admin', bootstrapBrokers: [broker.bootstrap] });
  await admin.createTopics({ topics: [TOPIC], partitions: 6, replicas: 1 });
  await admin.close();
  const send = async (from: number, n: number): Promise<string[]> => {
    const values = Array.from({ length: n }, (_, i) => `v-${from + i}`);
    await producer.send({ messages: values.map((value, i) => ({ topic: TOPIC, partition: (from + i) % 6, value })), acks: -1 });
    return values;
  };
  const first = await send(0, 60);
  const a = await reader('plt-a');
  const b = await reader('plt-b');
  try {
    const partitionsOf = (r: Reader): Set<number> => new Set(r.consumer.assignments?.flatMap((t) => t.partitions) ?? []);
    await waitUntil(() => partitionsOf(a).size === 3 && partitionsOf(b).size === 3, 30_000, () => `a 3/3 split; a=${[...partitionsOf(a)]} b=${[...partitionsOf(b)]}`);
    assert.deepEqual([...partitionsOf(a), ...partitionsOf(b)].sort(), [0, 1, 2, 3, 4, 5]);
    const second = await send(60, 60);
    const all = [...first, ...second];
    await waitUntil(() => all.every((v) => a.got.some((g) => g.value === v) || b.got.some((g) => g.value === v)), 30_000, () => `all ${all.length} records read (a ${a.got.length}, b ${b.got.length})`);
    const values = [...a.got, ...b.got].map((g) => g.value);
    assert.equal(values.length, new Set(values).size, 'no record read twice while both were in the group');

    // b leaves: a takes over all six and reads what follows.
    await b.stream.close();
    await b.consumer.close();
    await waitUntil(() => partitionsOf(a).size === 6, 30_000, () => `a to own all 6 partitions; has ${[...partitionsOf(a)]}`);
    const third = await send(120, 30);
    await waitUntil(() => third.every((v) => a.got.some((g) => g.value === v)), 30_000, () => `a to read the last 30 (has ${a.got.length})`);
  } finally {
    await a.stream.close().catch(() => undefined);
    await a.consumer.close().catch(() => undefined);
    await b.consumer.close().catch(() => undefined);
    await producer.close();
  }
});
