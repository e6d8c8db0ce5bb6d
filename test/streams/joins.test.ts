/**
 * samsa/streams joins against a real in-process broker, outputs read back with kafkajs and
 * compared with results computed here from the same input: stream-stream windowed joins
 * (inner, left, outer; JoinWindows with grace; unmatched records emitted once their window
 * closed; a late record without partners), table-table joins (inner, left, outer, with updates and
 * deletions) and a foreign-key table-table join (KIP-213) between tables of different widths,
 * through its subscription and response topics.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { JoinWindows, KafkaStreams, Serdes, StreamsBuilder } from '../../src/streams/index.js';
import { lastValues, readUntil, sortedEntries, startEnv, waitCommitted as waitCommittedOn, type OutRecord, type StreamsEnv } from './helpers.js';

let env: StreamsEnv;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.stop();
});

const BASE = 1_700_000_000_000;
const common = () => ({ bootstrapServers: env.broker.bootstrap, stateDir: env.stateDir, commitIntervalMs: 200, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 });

const waitCommitted = (groupId: string, topics: string[], app?: KafkaStreams): Promise<void> => waitCommittedOn(env, groupId, topics, () => `state=${app?.state} error=${String(app?.error)}`);

const pairs = (rs: readonly OutRecord[]): string[] => rs.map((r) => `${r.key}|${r.value}`).sort();
const nonNull = (m: Map<string, string | null>): [string, string | null][] => sortedEntries(new Map([...m].filter(([, v]) => v !== null)));

test('stream-stream joins: inner, left and outer within the join window; unmatched records with null once their window closed; a late record', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: ['ss-l', 'ss-r', 'ss-inner', 'ss-left', 'ss-outer'].map((topic) => ({ topic, numPartitions: 2 })) });
  const D = 5_000;
  const GRACE = 60_000;
  type Ev = { key: string; ts: number; v: string };
  const lefts: Ev[] = [];
  const rights: Ev[] = [];
  for (let k = 0; k < 6; k++) {
    for (let i = 0; i < 4; i++) lefts.push({ key: `k${k}`, ts: BASE + k * 1_000 + i * 9_000, v: `L${k}.${i}` });
    for (let i = 0; i < 3; i++) if (k !== 5) rights.push({ key: `k${k}`, ts: BASE + k * 1_000 + i * 13_000 + 2_000 * (k % 3), v: `R${k}.${i}` });
  }
  rights.push({ key: 'k9', ts: BASE + 3_000, v: 'R9.0' }); // no left record at all
  const matches = (l: Ev, r: Ev): boolean => l.key === r.key && Math.abs(l.ts - r.ts) <= D;
  const inner = lefts.flatMap((l) => rights.filter((r) => matches(l, r)).map((r) => `${l.key}|${l.v}+${r.v}`));
  const unmatchedL = lefts.filter((l) => !rights.some((r) => matches(l, r))).map((l) => `${l.key}|${l.v}+null`);
  const unmatchedR = rights.filter((r) => !lefts.some((l) => matches(l, r))).map((r) => `${r.key}|null+${r.v}`);
  assert.ok(inner.length > 10 && unmatchedL.length > 3 && unmatchedR.length >= 1, `a useful input (${inner.length}, ${unmatchedL.length}, ${unmatchedR.length})`);

  const b = new StreamsBuilder();
  const s = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
  const l = b.stream<string, string>('ss-l', s);
  const r = b.stream<string, string>('ss-r', s);
  const w = JoinWindows.ofTimeDifferenceAndGrace(D, GRACE);
  const j = (a: string | null, c: string | null): string => `${a}+${c}`;
  l.join(r, j, w).to('ss-inner', s);
  l.leftJoin(r, j, w).to('ss-left', s);
  l.outerJoin(r, j, w).to('ss-outer', s);
  const errors: unknown[] = [];
  const app = new KafkaStreams(b.build(), { ...common(), applicationId: 'ss-app', onError: (e) => errors.push(e) });
  const byTime = (evs: Ev[]): Ev[] => [...evs].sort((x, y) => x.ts - y.ts);
  await app.start();
  try {
    // The right side first, then the left (each in timestamp order): processing follows the timestamps, so no
    // record is declared unmatched before its partners could arrive.
    await env.producer.send({ topic: 'ss-r', messages: byTime(rights).map((e) => ({ key: e.key, value: e.v, timestamp: String(e.ts) })) });
    await waitCommitted('ss-app', ['ss-r']);
    await env.producer.send({ topic: 'ss-l', messages: byTime(lefts).map((e) => ({ key: e.key, value: e.v, timestamp: String(e.ts) })) });
    await waitCommitted('ss-app', ['ss-l', 'ss-r']);
    assert.deepEqual(pairs(await readUntil(env.kafka, 'ss-inner', (rs) => rs.length >= inner.length)), [...inner].sort());
    // Stream time jumps past every window + grace on both partitions: the unmatched records come out. Then a
    // late left record: its partners expired, the inner join drops it, left/outer joins emit it with null at once.
    const far = BASE + 10 * (D + GRACE);
    await env.producer.send({ topic: 'ss-l', messages: [0, 1].map((p) => ({ key: `advance-${p}`, value: 'x', partition: p, timestamp: String(far) })) });
    await env.producer.send({ topic: 'ss-l', messages: [{ key: 'k0', value: 'LATE', timestamp: String(BASE + 1_000) }] });
    await waitCommitted('ss-app', ['ss-l', 'ss-r']);
    const expectedLeft = [...inner, ...unmatchedL, 'k0|LATE+null'].sort();
    const expectedOuter = [...inner, ...unmatchedL, ...unmatchedR, 'k0|LATE+null'].sort();
    assert.deepEqual(pairs(await readUntil(env.kafka, 'ss-left', (rs) => rs.length >= expectedLeft.length)), expectedLeft);
    assert.deepEqual(pairs(await readUntil(env.kafka, 'ss-outer', (rs) => rs.length >= expectedOuter.length)), expectedOuter);
    assert.deepEqual(pairs(await readUntil(env.kafka, 'ss-inner', (rs) => rs.length >= inner.length)), [...inner].sort());
    const described = app.topology.describe();
    assert.match(described, /Processor: KSTREAM-JOINTHIS-\d+ \(stores: \[KSTREAM-JOINTHIS-\d+-store, KSTREAM-JOINOTHER-\d+-store, KSTREAM-OUTERSHARED-\d+-store\]\)/);
  } finally {
    await app.close();
  }
  assert.deepEqual(errors, []);
});

test('table-table joins: inner, left and outer results follow updates and deletions on both sides', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: ['tt-l', 'tt-r', 'tt-inner', 'tt-left', 'tt-outer'].map((topic) => ({ topic, numPartitions: 2 })) });
  const leftUpdates: [string, string | null][] = [];
  const rightUpdates: [string, string | null][] = [];
  for (let i = 0; i < 12; i++) leftUpdates.push([`k${i}`, `a${i}`]);
  for (let i = 4; i < 16; i++) rightUpdates.push([`k${i}`, `b${i}`]);
  leftUpdates.push(['k5', 'a5v2'], ['k6', null], ['k1', null], ['k12', 'a12']);
  rightUpdates.push(['k7', 'b7v2'], ['k8', null], ['k14', null], ['k2', 'b2']);
  const finalOf = (u: [string, string | null][]): Map<string, string> => {
    const m = new Map<string, string>();
    for (const [k, v] of u) (v === null ? m.delete(k) : m.set(k, v));
    return m;
  };
  const L = finalOf(leftUpdates);
  const R = finalOf(rightUpdates);
  const keys = [...new Set([...L.keys(), ...R.keys()])];
  const expect = (keep: (k: string) => boolean): Map<string, string | null> => new Map(keys.filter(keep).map((k) => [k, `${L.get(k) ?? null}+${R.get(k) ?? null}`]));

  const b = new StreamsBuilder();
  const s = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
  const lt = b.table<string, string>('tt-l', { ...s, storeName: 'tt-left-store' });
  const rt = b.table<string, string>('tt-r', { ...s, storeName: 'tt-right-store' });
  const j = (a: string | null, c: string | null): string => `${a}+${c}`;
  lt.join(rt, j).toStream().to('tt-inner', s);
  lt.leftJoin(rt, j).toStream().to('tt-left', s);
  lt.outerJoin(rt, j).toStream().to('tt-outer', s);
  const errors: unknown[] = [];
  const app = new KafkaStreams(b.build(), { ...common(), applicationId: 'tt-app', onError: (e) => errors.push(e) });
  await app.start();
  try {
    for (let i = 0; i < Math.max(leftUpdates.length, rightUpdates.length); i++) {
      const lu = leftUpdates[i];
      const ru = rightUpdates[i];
      if (lu) await env.producer.send({ topic: 'tt-l', messages: [{ key: lu[0], value: lu[1] }] });
      if (ru) await env.producer.send({ topic: 'tt-r', messages: [{ key: ru[0], value: ru[1] }] });
    }
    await waitCommitted('tt-app', ['tt-l', 'tt-r']);
    const cases: [string, Map<string, string | null>][] = [
      ['tt-inner', expect((k) => L.has(k) && R.has(k))],
      ['tt-left', expect((k) => L.has(k))],
      ['tt-outer', expect(() => true)],
    ];
    for (const [topic, want] of cases) {
      const got = await readUntil(env.kafka, topic, (rs) => JSON.stringify(nonNull(lastValues(rs))) === JSON.stringify(nonNull(want)), 60_000);
      assert.deepEqual(nonNull(lastValues(got)), nonNull(want), topic);
    }
  } finally {
    await app.close();
  }
  assert.deepEqual(errors, []);
});

test('foreign-key join (KIP-213): orders joined with products of another width, through the subscription and response topics', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'fk-orders', numPartitions: 3 }, { topic: 'fk-products', numPartitions: 2 }, { topic: 'fk-inner', numPartitions: 2 }, { topic: 'fk-left', numPartitions: 2 }] });
  type Order = { product: string | null; qty: number };
  const orders: [string, Order | null][] = [];
  for (let i = 0; i < 20; i++) orders.push([`o${i}`, { product: `p${i % 7}`, qty: i + 1 }]);
  const products: [string, { name: string } | null][] = [];
  for (let p = 0; p < 6; p++) products.push([`p${p}`, { name: `prod-${p}` }]); // p6 never exists
  const laterOrders: [string, Order | null][] = [['o1', { product: 'p3', qty: 100 }], ['o2', null], ['o3', { product: null, qty: 7 }], ['o8', { product: 'p6', qty: 9 }]];
  const laterProducts: [string, { name: string } | null][] = [['p4', { name: 'prod-4-renamed' }], ['p5', null]];
  const finalOf = <V>(u: [string, V | null][]): Map<string, V> => {
    const m = new Map<string, V>();
    for (const [k, v] of u) (v === null ? m.delete(k) : m.set(k, v));
    return m;
  };
  const O = finalOf([...orders, ...laterOrders]);
  const P = finalOf([...products, ...laterProducts]);
  const render = (o: Order, name: string | null): string => `${o.qty}x${name}`;
  const inner = new Map<string, string | null>();
  const left = new Map<string, string | null>();
  for (const [k, o] of O) {
    const p = o.product === null ? undefined : P.get(o.product);
    if (p) inner.set(k, render(o, p.name));
    left.set(k, render(o, p?.name ?? null));
  }

  const b = new StreamsBuilder();
  const ot = b.table<string, Order>('fk-orders', { keySerde: Serdes.String(), valueSerde: Serdes.Json<Order>(), storeName: 'orders' });
  const pt = b.table<string, { name: string }>('fk-products', { keySerde: Serdes.String(), valueSerde: Serdes.Json<{ name: string }>(), storeName: 'products' });
  const out = { keySerde: Serdes.String(), valueSerde: Serdes.String() };
  ot.join(pt, (o) => o.product, (o, p) => render(o, p.name)).toStream().to('fk-inner', out);
  ot.leftJoin(pt, (o) => o.product, (o, p) => render(o, p?.name ?? null)).toStream().to('fk-left', out);
  const errors: unknown[] = [];
  const app = new KafkaStreams(b.build(), { ...common(), applicationId: 'fk-app', onError: (e) => errors.push(e) });
  const send = (topic: string, u: [string, unknown][]) => env.producer.send({ topic, messages: u.map(([k, v]) => ({ key: k, value: v === null ? null : JSON.stringify(v) })) });
  await send('fk-products', products);
  await send('fk-orders', orders);
  await app.start();
  try {
    await waitCommitted('fk-app', ['fk-orders', 'fk-products'], app);
    await send('fk-orders', laterOrders);
    await send('fk-products', laterProducts);
    for (const [topic, want] of [['fk-inner', inner], ['fk-left', left]] as const) {
      const got = await readUntil(env.kafka, topic, (rs) => JSON.stringify(nonNull(lastValues(rs))) === JSON.stringify(nonNull(want)), 90_000);
      assert.deepEqual(nonNull(lastValues(got)), nonNull(want), topic);
    }
    // The internal topics carry the application id prefix; the subscription topic is as wide as the products, the response topic as the orders.
    const meta = await env.admin.fetchTopicMetadata();
    const internal = meta.topics.filter((t) => t.name.startsWith('fk-app-KTABLE-FK-JOIN-SUBSCRIPTION-')).map((t) => `${t.name.replace(/\d{10}/, 'N')}:${t.partitions.length}`).sort();
    assert.deepEqual([...new Set(internal)], ['fk-app-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-N-topic:2', 'fk-app-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-N-topic:3', 'fk-app-KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-N-changelog:2']);
    assert.equal(internal.length, 6); // two joins: two topics and a subscription store each
  } finally {
    await app.close();
  }
  assert.deepEqual(errors, []);
});

test('co-partitioning: a re-keyed stream joined with a narrower table is repartitioned to the table width; inputs of different widths are refused', { timeout: 240_000 }, async () => {
  await env.admin.createTopics({ topics: [{ topic: 'cp-clicks', numPartitions: 3 }, { topic: 'cp-users', numPartitions: 2 }, { topic: 'cp-out', numPartitions: 2 }] });
  const users = new Map(Array.from({ length: 9 }, (_, i) => [`u${i}`, `name-${i}`] as [string, string]));
  await env.producer.send({ topic: 'cp-users', messages: [...users].map(([key, value]) => ({ key, value })) });
  const clicks = Array.from({ length: 40 }, (_, i) => [`c${i}`, `u${i % 11}`] as [string, string]); // u9 and u10 unknown
  const build = (rekey: boolean) => {
    const b = new StreamsBuilder();
    const t = b.table<string, string>('cp-users', { keySerde: Serdes.String(), valueSerde: Serdes.String(), storeName: 'cp-users-store' });
    const s = b.stream<string, string>('cp-clicks', { keySerde: Serdes.String(), valueSerde: Serdes.String() });
    (rekey ? s.selectKey((_k, user) => user) : s).join(t, (user, name) => `${user}:${name}`, { name: 'cp-by-user', keySerde: Serdes.String(), valueSerde: Serdes.String() }).to('cp-out', { keySerde: Serdes.String(), valueSerde: Serdes.String() });
    return b.build();
  };
  const errors: unknown[] = [];
  const app = new KafkaStreams(build(true), { ...common(), applicationId: 'cp-app', onError: (e) => errors.push(e) });
  await app.start();
  try {
    await env.producer.send({ topic: 'cp-clicks', messages: clicks.map(([key, value]) => ({ key, value })) });
    const expected = clicks.flatMap(([, u]) => (users.has(u) ? [`${u}|${u}:${users.get(u)}`] : [])).sort();
    const out = await readUntil(env.kafka, 'cp-out', (rs) => rs.length >= expected.length, 90_000);
    assert.deepEqual(out.map((r) => `${r.key}|${r.value}`).sort(), expected);
    const meta = await env.admin.fetchTopicMetadata({ topics: ['cp-app-cp-by-user-repartition'] });
    assert.equal(meta.topics[0]?.partitions.length, 2);
  } finally {
    await app.close();
  }
  assert.deepEqual(errors, []);
  const refused = new KafkaStreams(build(false), { ...common(), applicationId: 'cp-app-2' });
  await assert.rejects(refused.start(), /Invalid topology: Topics not co-partitioned: \[cp-clicks,cp-users\]/);
  await refused.close();
});
