/**
 * num.standby.replicas: the assignor places standby tasks on instances other than the active one
 * (and prefers, for a task whose owner left, the instance that kept it as a standby); standby
 * tasks keep the stores up to date from the changelogs, so on failover the instance taking over
 * restores only the changelogs' tail, against the whole changelog without standbys (two real
 * instances against a real broker, output read with kafkajs and compared with counts computed in
 * the test); a third instance joining takes tasks from both (sticky, balanced) and the standbys
 * move with the assignment.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { assignStandbys, assignTasks } from '../../src/streams/assignor.js';
import { KafkaStreams, Serdes, StreamsBuilder, type RestoreEvent, type Topology } from '../../src/streams/index.js';
import { lastValues, readUntil, sortedEntries, startEnv, tableEquals, until, type StreamsEnv } from './helpers.js';

let env: StreamsEnv;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.stop();
});

test('assignor: standbys never share an instance with their active task, spread evenly, and a departed owner\'s tasks go to their standby holder', () => {
  const tasks = ['0_0', '0_1', '0_2', '0_3', '0_4', '0_5'];
  const members = new Map([
    ['a', { owned: [], standby: [], local: [] }],
    ['b', { owned: [], standby: [], local: [] }],
    ['c', { owned: [], standby: [], local: [] }],
  ]);
  const active = assignTasks(tasks, members);
  const standby = assignStandbys(tasks, active, members, 1);
  for (const [m, ts] of standby) for (const t of ts) assert.ok(!active.get(m)?.includes(t), `${m} has ${t} as both active and standby`);
  assert.deepEqual([...standby.values()].flat().sort(), tasks, 'one standby per task');
  assert.deepEqual([...standby.values()].map((ts) => ts.length), [2, 2, 2]);
  // Two standbys with three instances: both other instances hold one; more than that cannot be placed.
  const two = assignStandbys(tasks, active, members, 3);
  for (const t of tasks) assert.equal([...two.values()].filter((ts) => ts.includes(t)).length, 2, t);
  // 'a' leaves: its tasks go to whoever kept them as standbys.
  const after = new Map([
    ['b', { owned: active.get('b') ?? [], standby: standby.get('b') ?? [], local: [] }],
    ['c', { owned: active.get('c') ?? [], standby: standby.get('c') ?? [], local: [] }],
  ]);
  const next = assignTasks(tasks, after);
  for (const t of active.get('a') ?? []) {
    const holder = [...standby].find(([, ts]) => ts.includes(t))?.[0];
    assert.ok(next.get(holder ?? '')?.includes(t), `${t} should move to its standby holder ${holder}`);
  }
});

function countTopology(input: string, output: string): Topology {
  const b = new StreamsBuilder();
  b.stream<string, string>(input, { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .groupByKey()
    .count({ storeName: 'counts' })
    .toStream()
    .mapValues((n) => String(n))
    .to(output, { keySerde: Serdes.String(), valueSerde: Serdes.String() });
  return b.build();
}

function counts(keys: readonly string[]): Map<string, string | null> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return new Map([...m].map(([k, n]) => [k, String(n)]));
}

async function produceKeys(topic: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 5_000) await env.producer.send({ topic, messages: keys.slice(i, i + 5_000).map((key, j) => ({ key, value: `v${i + j}` })) });
}

interface FailoverOutcome {
  restored: number;
  takeoverMs: number;
  restoreMs: number;
  standbyApplied: number;
}

/** Two instances count the input; one closes; the other takes its tasks over. */
async function failover(standbys: number): Promise<FailoverOutcome> {
  const app = `sb-app-${standbys}`;
  const input = `sb-in-${standbys}`;
  const output = `sb-out-${standbys}`;
  await env.admin.createTopics({ topics: [{ topic: input, numPartitions: 4 }, { topic: output, numPartitions: 4 }] });
  const errors: unknown[] = [];
  const restores: RestoreEvent[] = [];
  const make = (name: string): KafkaStreams =>
    new KafkaStreams(countTopology(input, output), { applicationId: app, bootstrapServers: env.broker.bootstrap, stateDir: join(env.stateDir, `${app}-${name}`), commitIntervalMs: 200, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 300, numStandbyReplicas: standbys, onError: (e) => errors.push(e), onRestored: (e) => name === 'b' && restores.push(e) });
  const a = make('a');
  const b = make('b');
  await a.start();
  await b.start();
  try {
    await until('both instances to run two tasks each', () => a.activeTasks().length === 2 && b.activeTasks().length === 2 && b.standbyTasks().length === 2 * standbys, 60_000, () => `a=${a.activeTasks().join(',')} b=${b.activeTasks().join(',')}/${b.standbyTasks().join(',')}`);
    if (standbys > 0) assert.deepEqual(b.standbyTasks(), a.activeTasks(), 'b keeps a standby of each of a\'s tasks');
    const keys1 = Array.from({ length: 24_000 }, (_, i) => `key-${(i * 7919) % 6_000}`);
    await produceKeys(input, keys1);
    const want1 = counts(keys1);
    const got1 = await readUntil(env.kafka, output, (rs) => tableEquals(lastValues(rs), want1), 120_000);
    assert.deepEqual(sortedEntries(lastValues(got1)), sortedEntries(want1));
    if (standbys > 0) {
      // The standbys have read every changelog record a wrote.
      const changelog = `${app}-counts-changelog`;
      await until('b\'s standbys to reach the changelogs\' ends', async () => {
        const ends = await env.admin.fetchTopicOffsets(changelog);
        const positions = b.standbyPositions();
        return positions.length === 2 && positions.every((p) => p.offset === BigInt(ends.find((e) => e.partition === p.partition)?.high ?? -1));
      }, 60_000, () => JSON.stringify(b.standbyPositions().map((p) => [p.partition, String(p.offset)])));
    }
    const before = b.restoredRecords;
    restores.length = 0;
    const t0 = performance.now();
    await a.close();
    await until('b to run all four tasks', () => b.activeTasks().length === 4, 60_000, () => `b=${b.activeTasks().join(',')}`);
    const takeoverMs = performance.now() - t0;
    const restored = b.restoredRecords - before;
    // The counts continue from the restored state.
    const keys2 = Array.from({ length: 4_000 }, (_, i) => `key-${(i * 31) % 6_000}`);
    await produceKeys(input, keys2);
    const want2 = counts([...keys1, ...keys2]);
    const got2 = await readUntil(env.kafka, output, (rs) => tableEquals(lastValues(rs), want2), 120_000);
    assert.deepEqual(sortedEntries(lastValues(got2)), sortedEntries(want2));
    assert.deepEqual(errors, []);
    assert.equal(restores.length, 2, 'b restored the two tasks it took over');
    assert.ok(restores.every((r) => r.wasStandby === standbys > 0));
    return { restored, takeoverMs, restoreMs: restores.reduce((n, r) => n + r.ms, 0), standbyApplied: b.standbyRecords };
  } finally {
    await a.close();
    await b.close();
  }
}

test('failover: with a standby the instance taking over restores only the changelog tail, without one the whole changelog', { timeout: 400_000 }, async () => {
  const without = await failover(0);
  const withStandby = await failover(1);
  const f = (o: FailoverOutcome): string => `${o.restored} records restored in ${Math.round(o.restoreMs)} ms, close → all tasks running ${Math.round(o.takeoverMs)} ms`;
  process.stdout.write(`# failover: without standby ${f(without)}; with standby ${f(withStandby)} (the standby applied ${withStandby.standbyApplied} changelog records beforehand)\n`);
  // a's two tasks hold about half of the 6,000 keys: without a standby all of them are read again.
  assert.ok(without.restored >= 2_500, `without standby: ${without.restored} records restored`);
  assert.ok(withStandby.standbyApplied >= 2_500, `the standby applied ${withStandby.standbyApplied} records`);
  assert.ok(withStandby.restored * 10 <= without.restored, `with standby: ${withStandby.restored} records restored, against ${without.restored} without`);
});

test('a third instance joins: tasks move to it from both others (sticky, balanced) and the standbys follow', { timeout: 300_000 }, async () => {
  const input = 'sb3-in';
  const output = 'sb3-out';
  await env.admin.createTopics({ topics: [{ topic: input, numPartitions: 6 }, { topic: output, numPartitions: 6 }] });
  const errors: unknown[] = [];
  const make = (name: string): KafkaStreams =>
    new KafkaStreams(countTopology(input, output), { applicationId: 'sb3-app', bootstrapServers: env.broker.bootstrap, stateDir: join(env.stateDir, `sb3-${name}`), commitIntervalMs: 200, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 300, numStandbyReplicas: 1, onError: (e) => errors.push(e) });
  const a = make('a');
  const b = make('b');
  const c = make('c');
  await a.start();
  await b.start();
  try {
    await until('two instances with three tasks and three standbys each', () => a.activeTasks().length === 3 && b.activeTasks().length === 3 && a.standbyTasks().length === 3 && b.standbyTasks().length === 3, 60_000);
    const keys1 = Array.from({ length: 6_000 }, (_, i) => `key-${(i * 13) % 900}`);
    await produceKeys(input, keys1);
    await readUntil(env.kafka, output, (rs) => tableEquals(lastValues(rs), counts(keys1)), 120_000);
    const beforeA = a.activeTasks();
    const beforeB = b.activeTasks();
    await c.start();
    const all = [a, b, c];
    await until('three instances with two tasks each', () => all.every((x) => x.activeTasks().length === 2 && x.standbyTasks().length === 2), 90_000, () => all.map((x) => `${x.activeTasks().join(',')}/${x.standbyTasks().join(',')}`).join(' '));
    assert.equal(a.activeTasks().filter((t) => beforeA.includes(t)).length, 2, 'a keeps two of its three tasks');
    assert.equal(b.activeTasks().filter((t) => beforeB.includes(t)).length, 2, 'b keeps two of its three tasks');
    assert.deepEqual(all.flatMap((x) => x.activeTasks()).sort(), ['0_0', '0_1', '0_2', '0_3', '0_4', '0_5']);
    assert.deepEqual(all.flatMap((x) => x.standbyTasks()).sort(), ['0_0', '0_1', '0_2', '0_3', '0_4', '0_5']);
    for (const x of all) for (const t of x.standbyTasks()) assert.ok(!x.activeTasks().includes(t), `${t} active and standby on one instance`);
    const keys2 = Array.from({ length: 3_000 }, (_, i) => `key-${(i * 17) % 900}`);
    await produceKeys(input, keys2);
    const want = counts([...keys1, ...keys2]);
    const got = await readUntil(env.kafka, output, (rs) => tableEquals(lastValues(rs), want), 120_000);
    assert.deepEqual(sortedEntries(lastValues(got)), sortedEntries(want));
    assert.deepEqual(errors, []);
  } finally {
    await c.close();
    await b.close();
    await a.close();
  }
});
