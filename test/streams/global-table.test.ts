/**
 * samsa/streams GlobalKTable against a real in-process broker: two instances each hold the whole
 * customer table (read from every partition of its topic, no changelog topic), bootstrapped
 * before any order is processed and kept up to date while running; orders (not co-partitioned
 * with the customers, by a different key) are joined through a key selector, inner and left, and
 * the outputs, read with kafkajs, equal the joins computed here.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KafkaStreams, Serdes, StreamsBuilder } from '../../src/streams/index.js';
import { readUntil, startEnv, until, type StreamsEnv } from './helpers.js';

let env: StreamsEnv;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.stop();
});

type Order = { customer: string; amount: number };

test('GlobalKTable: replicated in full on every instance, restored from its topic before processing, updated while running; stream joins by key selector', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'gt-orders', numPartitions: 3 }, { topic: 'gt-customers', numPartitions: 2 }, { topic: 'gt-inner', numPartitions: 2 }, { topic: 'gt-left', numPartitions: 2 }] });
  const customers = new Map<string, string>();
  for (let i = 0; i < 8; i++) customers.set(`c${i}`, `name-${i}`);
  await env.producer.send({ topic: 'gt-customers', messages: [...customers].map(([k, v]) => ({ key: k, value: v })) });
  const orders1: [string, Order][] = [];
  for (let i = 0; i < 30; i++) orders1.push([`o${i}`, { customer: `c${i % 10}`, amount: i }]); // c8 and c9 unknown yet
  await env.producer.send({ topic: 'gt-orders', messages: orders1.map(([k, v]) => ({ key: k, value: JSON.stringify(v) })) });

  const topology = (): StreamsBuilder => {
    const b = new StreamsBuilder();
    const g = b.globalTable<string, string>('gt-customers', { keySerde: Serdes.String(), valueSerde: Serdes.String(), storeName: 'customers' });
    const orders = b.stream<string, Order>('gt-orders', { keySerde: Serdes.String(), valueSerde: Serdes.Json<Order>() });
    const out = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
    orders.join(g, (_k, o) => o.customer, (o, name) => `${o.amount}:${name}`).to('gt-inner', out);
    orders.leftJoin(g, (_k, o) => o.customer, (o, name) => `${o.amount}:${name}`).to('gt-left', out);
    return b;
  };
  const errors: unknown[] = [];
  const config = { applicationId: 'gt-app', bootstrapServers: env.broker.bootstrap, commitIntervalMs: 200, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, onError: (e: unknown) => errors.push(e) };
  const apps = [new KafkaStreams(topology().build(), { ...config, stateDir: `${env.stateDir}/a` }), new KafkaStreams(topology().build(), { ...config, stateDir: `${env.stateDir}/b` })];
  for (const a of apps) await a.start();
  try {
    const expect = (orders: [string, Order][], known: Map<string, string>, left: boolean): string[] =>
      orders.flatMap(([k, o]) => (known.has(o.customer) || left ? [`${k}|${o.amount}:${known.get(o.customer) ?? null}`] : [])).sort();
    const pairs = (rs: readonly { key: string | null; value: string | null }[]): string[] => rs.map((r) => `${r.key}|${r.value}`).sort();
    const inner1 = expect(orders1, customers, false);
    const left1 = expect(orders1, customers, true);
    assert.deepEqual(pairs(await readUntil(env.kafka, 'gt-inner', (rs) => rs.length >= inner1.length)), inner1);
    assert.deepEqual(pairs(await readUntil(env.kafka, 'gt-left', (rs) => rs.length >= left1.length)), left1);
    // Both instances hold the whole table, though the orders' tasks are split between them.
    for (const a of apps) assert.deepEqual(a.all<string, string>('customers').map((e) => `${e.key}=${e.value}`), [...customers].map(([k, v]) => `${k}=${v}`).sort());
    assert.ok(apps.every((a) => a.activeTasks().length > 0), `tasks split: ${apps.map((a) => a.activeTasks().join(','))}`);

    // Updates while running: a new customer, a renamed one, a deleted one; then more orders.
    customers.set('c8', 'name-8');
    customers.set('c1', 'renamed-1');
    customers.delete('c2');
    await env.producer.send({ topic: 'gt-customers', messages: [{ key: 'c8', value: 'name-8' }, { key: 'c1', value: 'renamed-1' }, { key: 'c2', value: null }] });
    await until('both instances to see the customer updates', () => apps.every((a) => a.get('customers', 'c8') === 'name-8' && a.get('customers', 'c1') === 'renamed-1' && a.get('customers', 'c2') === undefined));
    const orders2: [string, Order][] = [];
    for (let i = 30; i < 50; i++) orders2.push([`o${i}`, { customer: `c${i % 10}`, amount: i }]);
    await env.producer.send({ topic: 'gt-orders', messages: orders2.map(([k, v]) => ({ key: k, value: JSON.stringify(v) })) });
    const inner = [...inner1, ...expect(orders2, customers, false)].sort();
    const left = [...left1, ...expect(orders2, customers, true)].sort();
    assert.deepEqual(pairs(await readUntil(env.kafka, 'gt-inner', (rs) => rs.length >= inner.length)), inner);
    assert.deepEqual(pairs(await readUntil(env.kafka, 'gt-left', (rs) => rs.length >= left.length)), left);
    assert.ok(!(await env.admin.listTopics()).some((t) => t.startsWith('gt-app-')), 'no changelog topic for a global store');
    assert.match(apps[0]?.topology.describe() ?? '', /Sub-topology: 1 for global store \(will not generate tasks\)\n {4}Source: KSTREAM-SOURCE-\d+ \(topics: \[gt-customers\]\)/);
  } finally {
    for (const a of apps) await a.close();
  }
  assert.deepEqual(errors, []);
});
