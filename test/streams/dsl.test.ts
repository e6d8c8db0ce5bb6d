/**
 * samsa/streams DSL operations against a real in-process broker (outputs read with kafkajs and
 * compared with what the test computes from the input): filter/filterNot, map, mapValues,
 * flatMap, selectKey, peek, foreach, split into named branches, merge, repartition and to; the
 * serdes' byte formats (Kafka's: Long as 8 bytes big-endian, ...); the streams assignor's task
 * placement (balanced, sticky, co-partitioned topics of a task to one member).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assignTasks, streamsAssignor } from '../../src/streams/assignor.js';
import { decodeAssignment, encodeSubscription } from '../../src/protocol/consumer-protocol.js';
import { KafkaStreams, Serdes, StreamsBuilder, TimeWindows, timeWindowedSerde } from '../../src/streams/index.js';
import { readUntil, startEnv, type StreamsEnv } from './helpers.js';

let env: StreamsEnv;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.stop();
});

test('serdes encode as Kafka serializers do; null passes through', () => {
  assert.equal(Serdes.Long().serialize(1)?.toString('hex'), '0000000000000001');
  assert.equal(Serdes.Long().serialize(-2)?.toString('hex'), 'fffffffffffffffe');
  assert.equal(Serdes.Long().deserialize(Buffer.from('0000010000000000', 'hex')), 2 ** 40);
  assert.equal(Serdes.Integer().serialize(258)?.toString('hex'), '00000102');
  assert.equal(Serdes.Short().serialize(-1)?.toString('hex'), 'ffff');
  assert.equal(Serdes.Double().serialize(1.5)?.toString('hex'), '3ff8000000000000');
  assert.equal(Serdes.String().serialize('héllo')?.toString('hex'), Buffer.from('héllo', 'utf8').toString('hex'));
  assert.deepEqual(Serdes.Json<{ a: number }>().deserialize(Buffer.from('{"a":1}')), { a: 1 });
  assert.equal(Serdes.Long().serialize(null), null);
  assert.equal(Serdes.String().deserialize(null), null);
  assert.throws(() => Serdes.Long().deserialize(Buffer.alloc(4)), /not 8/);
  const w = timeWindowedSerde(Serdes.String(), 1000);
  const bytes = w.serialize({ key: 'k', window: { start: 5000, end: 6000 } });
  assert.equal(bytes?.toString('hex'), `6b${'0000000000001388'}`);
  assert.deepEqual(w.deserialize(bytes ?? null), { key: 'k', window: { start: 5000, end: 6000 } });
  assert.deepEqual(TimeWindows.ofSizeWithNoGrace(10).advanceBy(5).windowsFor(12), [{ start: 5, end: 15 }, { start: 10, end: 20 }]);
});

test('the streams assignor balances tasks, keeps owned tasks with their owner, and gives a task all its co-partitioned inputs', () => {
  const tasks = ['0_0', '0_1', '0_2', '1_0', '1_1', '1_2'];
  const two = assignTasks(tasks, new Map([['a', { owned: [], local: [] }], ['b', { owned: [], local: [] }]]));
  assert.deepEqual([two.get('a')?.length, two.get('b')?.length], [3, 3]);
  // A third member joins: a and b keep what they can of theirs, the newcomer gets two.
  const three = assignTasks(tasks, new Map([['a', { owned: two.get('a') ?? [], local: [] }], ['b', { owned: two.get('b') ?? [], local: [] }], ['c', { owned: [], local: [] }]]));
  for (const id of ['a', 'b']) for (const t of three.get(id) ?? []) assert.ok(two.get(id)?.includes(t), `${t} moved to ${id}`);
  assert.deepEqual([three.get('a')?.length, three.get('b')?.length, three.get('c')?.length], [2, 2, 2]);
  // Local state is the next preference.
  const local = assignTasks(['0_0', '0_1'], new Map([['a', { owned: [], local: ['0_1'] }], ['b', { owned: [], local: ['0_0'] }]]));
  assert.deepEqual(local.get('a'), ['0_1']);

  const assignor = streamsAssignor(() => [{ id: 0, topics: ['views', 'users'] }], () => ({ owned: [], local: [] }));
  const sub = encodeSubscription({ topics: ['views', 'users'], userData: null }, 1);
  const out = assignor.assign([{ memberId: 'm1', metadata: sub }, { memberId: 'm2', metadata: sub }], new Map([['views', { partitions: [0, 1] }], ['users', { partitions: [0, 1] }]]));
  for (const o of out) {
    const a = decodeAssignment(o.assignment) ?? [];
    const views = a.find((t) => t.topic === 'views')?.partitions;
    assert.deepEqual(a.find((t) => t.topic === 'users')?.partitions, views, `${o.memberId}: the same partitions of both topics`);
    assert.equal(views?.length, 1);
  }
});

test('stateless operations: split/branch, merge, map, mapValues, flatMap, filter, selectKey, repartition, peek, foreach', { timeout: 180_000 }, async () => {
  await env.admin.createTopics({ topics: ['ops-in', 'ops-even', 'ops-swapped', 'ops-flat'].map((topic) => ({ topic, numPartitions: 2 })) });
  const N = 30;
  await env.producer.send({ topic: 'ops-in', messages: Array.from({ length: N }, (_, i) => ({ key: `k${i}`, value: String(i) })) });

  const b = new StreamsBuilder();
  const S = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
  const input = b.stream<string, string>('ops-in', S);
  let peeked = 0;
  const seen: string[] = [];
  const branches = input
    .peek(() => peeked++)
    .split('b-')
    .branch((_k, v) => Number(v) % 2 === 0, 'even')
    .branch((_k, v) => Number(v) % 3 === 0, 'three')
    .defaultBranch('rest');
  branches.get('b-even')?.mapValues((v) => String(Number(v) * 10)).to('ops-even', S);
  const three = branches.get('b-three');
  const rest = branches.get('b-rest');
  assert.ok(three && rest);
  three
    .merge(rest)
    .map((k, v): [string, string] => [v, k])
    .to('ops-swapped', S);
  input
    .flatMap((k, v): [string, string][] => (Number(v) < 5 ? [[`${k}a`, v], [`${k}b`, v]] : []))
    .filterNot((k) => k.endsWith('b'))
    .filter((_k, v) => v !== '4')
    .selectKey((k) => `x-${k}`)
    .repartition({ name: 'ops-rep', keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .to('ops-flat', S);
  input.foreach((k) => seen.push(k));

  const app = new KafkaStreams(b.build(), { applicationId: 'ops-app', bootstrapServers: env.broker.bootstrap, stateDir: env.stateDir, commitIntervalMs: 200, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 });
  await app.start();
  try {
    const nums = Array.from({ length: N }, (_, i) => i);
    const pairs = (rs: readonly { key: string | null; value: string | null }[]): string[] => rs.map((r) => `${r.key}=${r.value}`).sort();
    const even = await readUntil(env.kafka, 'ops-even', (rs) => rs.length >= N / 2);
    assert.deepEqual(pairs(even), nums.filter((i) => i % 2 === 0).map((i) => `k${i}=${i * 10}`).sort());
    const swapped = await readUntil(env.kafka, 'ops-swapped', (rs) => rs.length >= N / 2);
    assert.deepEqual(pairs(swapped), nums.filter((i) => i % 2 !== 0).map((i) => `${i}=k${i}`).sort());
    const flat = await readUntil(env.kafka, 'ops-flat', (rs) => rs.length >= 4);
    assert.deepEqual(pairs(flat), [0, 1, 2, 3].map((i) => `x-k${i}a=${i}`).sort());
    assert.equal(peeked, N);
    assert.deepEqual([...seen].sort(), nums.map((i) => `k${i}`).sort());
    assert.ok((await env.admin.listTopics()).includes('ops-app-ops-rep-repartition'));
  } finally {
    await app.close();
  }
});

test('output larger than the broker message.max.bytes in one commit is written in several requests', { timeout: 180_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'big-in', numPartitions: 1 }, { topic: 'big-out', numPartitions: 1 }] });
  const N = 12_000;
  const value = 'v'.repeat(200);
  for (let i = 0; i < N; i += 3_000) await env.producer.send({ topic: 'big-in', messages: Array.from({ length: 3_000 }, (_, j) => ({ key: `k${i + j}`, value })) });
  const b = new StreamsBuilder();
  const S = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
  b.stream<string, string>('big-in', S).mapValues((v) => v.toUpperCase()).to('big-out', S);
  const errors: unknown[] = [];
  const app = new KafkaStreams(b.build(), { applicationId: 'big-app', bootstrapServers: env.broker.bootstrap, stateDir: env.stateDir, commitIntervalMs: 5_000, onError: (e) => errors.push(e) });
  await app.start();
  try {
    const out = await readUntil(env.kafka, 'big-out', (rs) => rs.length >= N || errors.length > 0, 120_000);
    assert.deepEqual(errors, []);
    assert.equal(out.length, N);
    assert.ok(out.every((r) => r.value === value.toUpperCase()));
  } finally {
    await app.close();
  }
});
