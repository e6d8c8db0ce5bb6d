/**
 * Issue 20, must-show 4: MirrorMaker 2 between two Samsa clusters (two in-process brokers).
 * Topics matching a pattern on A are copied to B as `A.<topic>` (same partitions and offsets,
 * key, value, headers, timestamp), records produced after the mirror started included; a kafkajs
 * group consumes part of them on A and commits; MirrorCheckpoint translates its offsets and
 * commits them to the same group on B; the group "fails over" to B and ends with every record
 * consumed, none lost, the re-read ones counted and bounded by offset.lag.max per partition.
 * Then `samsa mirror-maker --config` as a real process resumes the flow where the stopped mirror
 * left it: only the new records are copied, nothing twice. And MirrorSourceConnector posted to an
 * ordinary Connect worker through the REST API, with two tasks sharing the partitions.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { ClusterClient } from '../../src/client/cluster-client.js';
import { fetchRecords } from '../../src/client/record-io.js';
import { decodeCheckpoint, decodeHeartbeat, decodeOffsetSync } from '../../src/connect/mirror/formats.js';
import { MirrorMaker } from '../../src/connect/mirror/mirror-maker.js';
import { parseProperties } from '../../src/connect/properties.js';
import { ConnectWorker } from '../../src/connect/worker.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { GROUP_TEST_BROKER_CONFIG } from '../group/scenario.js';
import { captureChildOutput } from '../helpers/log-capture.js';
import { samsaCli } from '../helpers/samsa-cli.js';
import { expectStatus, http, waitFor } from './connect-helpers.js';

const TOPICS: Record<string, number> = { orders: 3, payments: 2 }; // payments grows to 3 on A while mirrored
const MAX_LAG = 20;
const GROUP = 'failover-group';
const BASE_TS = 1_700_000_000_000;

let a: RunningBroker;
let b: RunningBroker;
let dir: string;
let propsText = '';
const produced = new Map<string, number>(Object.keys(TOPICS).map((t) => [t, 0]));
const logs: string[] = [];

before(async () => {
  a = await startBroker({ port: 0, config: { ...GROUP_TEST_BROKER_CONFIG } });
  b = await startBroker({ port: 0, config: { ...GROUP_TEST_BROKER_CONFIG } });
  dir = mkdtempSync(join(tmpdir(), 'samsa-mm2-'));
  propsText = [
    '# two clusters, one flow',
    'clusters = A, B',
    `A.bootstrap.servers = ${a.bootstrap}`,
    `B.bootstrap.servers = ${b.bootstrap}`,
    'A->B.enabled = true',
    'A->B.topics = orders|payments',
    'replication.factor = 1',
    'refresh.topics.interval.seconds = 1',
    'refresh.groups.interval.seconds = 1',
    'emit.checkpoints.interval.seconds = 1',
    'sync.group.offsets.enabled = true',
    'sync.group.offsets.interval.seconds = 1',
    `offset.lag.max = ${MAX_LAG}`,
    'offset.flush.interval.ms = 1000',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'mm2.properties'), propsText);
});

after(async () => {
  await a?.stop();
  await b?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const kafka = (bootstrap: string, clientId: string): Kafka => new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING });

/** Produces `count` more records to each topic on A: value `<topic>-<n>`, key `k<n>`, header n, timestamp BASE_TS + n. */
async function produceMore(count: number): Promise<void> {
  const p = kafka(a.bootstrap, 'mm2-test-producer').producer();
  await p.connect();
  try {
    for (const topic of Object.keys(TOPICS)) {
      const from = produced.get(topic) ?? 0;
      const messages = Array.from({ length: count }, (_, j) => from + j).map((n) => ({ key: `k${n}`, value: `${topic}-${n}`, headers: { n: String(n), src: 'A' }, timestamp: String(BASE_TS + n) }));
      await p.send({ topic, messages, acks: -1 });
      produced.set(topic, from + count);
    }
  } finally {
    await p.disconnect();
  }
}

const total = (): number => [...produced.values()].reduce((x, y) => x + y, 0);

interface Rec {
  partition: number;
  offset: bigint;
  key: string | null;
  value: string | null;
  timestamp: bigint;
  headers: Record<string, string>;
}

/** Every record of a topic, read partition by partition with the project's client. */
async function readAll(bootstrap: string, topic: string): Promise<Rec[]> {
  const cluster = new ClusterClient({ bootstrap: [bootstrap] });
  try {
    const meta = await cluster.topic(topic);
    assert.ok(meta && meta.errorCode === 0, `${topic} exists on ${bootstrap}`);
    const out: Rec[] = [];
    for (const p of meta.partitions) {
      let offset = 0n;
      for (;;) {
        const f = await fetchRecords(cluster, topic, p.partition, offset, { maxBytes: 1024 * 1024 });
        for (const r of f.records) out.push({ partition: p.partition, offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, timestamp: r.timestamp, headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString() ?? ''])) });
        if (f.nextOffset >= f.highWatermark || f.records.length === 0) break;
        offset = f.nextOffset;
      }
    }
    return out;
  } finally {
    cluster.close();
  }
}

async function endOffsetsTotal(bootstrap: string, topics: string[]): Promise<number> {
  const admin = kafka(bootstrap, 'mm2-test-admin').admin();
  await admin.connect();
  try {
    let sum = 0;
    for (const t of topics) {
      const existing = await admin.listTopics();
      if (!existing.includes(t)) return -1;
      for (const p of await admin.fetchTopicOffsets(t)) sum += Number(p.high);
    }
    return sum;
  } finally {
    await admin.disconnect();
  }
}

const remote = (t: string): string => `A.${t}`;

test('MirrorMaker 2: a topic pattern is copied to B and a consumer group fails over to B with translated offsets, losing nothing', { timeout: 300_000 }, async () => {
  const admin = kafka(a.bootstrap, 'mm2-test-admin').admin();
  await admin.connect();
  await admin.createTopics({ topics: [...Object.entries(TOPICS).map(([topic, numPartitions]) => ({ topic, numPartitions, configEntries: [{ name: 'retention.ms', value: '123456789' }] })), { topic: 'audit', numPartitions: 1 }], waitForLeaders: true });
  await produceMore(200);

  // The group consumes part of the records on A and commits what it handled.
  const seenA = new Map<string, number>();
  const committedA = new Map<string, number>(); // `${topic}:${partition}` -> next offset
  const consumerA = kafka(a.bootstrap, 'mm2-test-consumer-a').consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumerA.connect();
  await consumerA.subscribe({ topics: [/^(orders|payments)$/], fromBeginning: true });
  let done = false;
  await consumerA.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      if (done) return;
      const v = message.value?.toString() ?? '';
      seenA.set(v, (seenA.get(v) ?? 0) + 1);
      committedA.set(`${topic}:${partition}`, Number(message.offset) + 1);
      if (seenA.size >= 230) {
        done = true;
        await consumerA.commitOffsets([...committedA].map(([k, offset]) => ({ topic: k.split(':')[0] ?? '', partition: Number(k.split(':')[1]), offset: String(offset) })));
      }
    },
  });
  await waitFor('the group on A to consume and commit its part', () => done, 60_000);
  await consumerA.disconnect();

  const started = performance.now();
  const mm = await MirrorMaker.start(parseProperties(propsText), { log: (m) => logs.push(m) });
  try {
    assert.deepEqual(mm.flows.map((f) => `${f.source}->${f.target}`), ['A->B']);
    await produceMore(100); // after the mirror started
    // A partition added on A is added on B (refresh.topics.interval.seconds), and its records copied.
    await admin.createPartitions({ topicPartitions: [{ topic: 'payments', count: 3 }] });
    await admin.disconnect();
    TOPICS['payments'] = 3;
    await produceMore(30);
    const want = total();
    await waitFor(`B to hold all ${want} records (${logs.slice(-5).join(' | ')})`, async () => (await endOffsetsTotal(b.bootstrap, Object.keys(TOPICS).map(remote))) === want, 120_000);
    const copySeconds = (performance.now() - started) / 1000;

    // Same partition, offset, key, value, headers and timestamp on B as on A; 'audit' is not copied.
    for (const t of Object.keys(TOPICS)) {
      const src = await readAll(a.bootstrap, t);
      const dst = await readAll(b.bootstrap, remote(t));
      const key = (r: Rec): string => `${r.partition}:${r.offset}`;
      assert.deepEqual(dst.sort((x, y) => key(x).localeCompare(key(y))), src.sort((x, y) => key(x).localeCompare(key(y))), `${remote(t)} is a copy of ${t}`);
      assert.equal(dst.length, produced.get(t));
      assert.ok(dst.every((r) => r.timestamp === BigInt(BASE_TS + Number(r.headers['n']))));
    }

    // The source topic's non-default config is on the target topic.
    const adminB0 = kafka(b.bootstrap, 'mm2-test-admin-b0').admin();
    await adminB0.connect();
    const described = await adminB0.describeConfigs({ resources: [{ type: 2, name: 'A.orders', configNames: ['retention.ms'] }], includeSynonyms: false });
    const describedTopics = await adminB0.fetchTopicMetadata({ topics: ['A.payments'] });
    await adminB0.disconnect();
    assert.equal(described.resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue, '123456789');
    assert.equal(describedTopics.topics[0]?.partitions.length, 3);

    // The translated offsets reach the group on B: within offset.lag.max of the source's, never beyond.
    const adminB = kafka(b.bootstrap, 'mm2-test-admin-b').admin();
    await adminB.connect();
    const translated = new Map<string, number>();
    try {
      await waitFor(
        'the translated offsets of the group on B',
        async () => {
          const res = await adminB.fetchOffsets({ groupId: GROUP, topics: Object.keys(TOPICS).map(remote) });
          for (const t of res) for (const p of t.partitions) if (Number(p.offset) >= 0) translated.set(`${t.topic.slice(2)}:${p.partition}`, Number(p.offset));
          return [...committedA].every(([k, u]) => {
            const d = translated.get(k);
            return d !== undefined && d <= u && d >= u - MAX_LAG;
          });
        },
        60_000,
      );
    } finally {
      await adminB.disconnect();
    }

    // The checkpoints topic on B and the offset syncs topic on A hold Kafka's formats.
    const checkpoints = await waitFor('checkpoint records on B', async () => (await readAll(b.bootstrap, 'A.checkpoints.internal')).length, 30_000);
    const cluster = new ClusterClient({ bootstrap: [b.bootstrap] });
    const ck = await fetchRecords(cluster, 'A.checkpoints.internal', 0, 0n, { maxBytes: 1024 * 1024 });
    const c0 = ck.records[0];
    assert.ok(c0);
    const decoded = decodeCheckpoint(c0.key, c0.value);
    assert.equal(decoded.group, GROUP);
    assert.ok(decoded.topic === 'A.orders' || decoded.topic === 'A.payments');
    const hb = await fetchRecords(cluster, 'heartbeats', 0, 0n, { maxBytes: 1024 * 1024 });
    assert.deepEqual(hb.records[0] ? { ...decodeHeartbeat(hb.records[0].key, hb.records[0].value), timestamp: 0n } : null, { sourceClusterAlias: 'A', targetClusterAlias: 'B', timestamp: 0n });
    cluster.close();
    const clusterA = new ClusterClient({ bootstrap: [a.bootstrap] });
    const syncs = await fetchRecords(clusterA, 'mm2-offset-syncs.B.internal', 0, 0n, { maxBytes: 4 * 1024 * 1024 });
    clusterA.close();
    const s0 = syncs.records[0];
    assert.ok(s0);
    assert.ok(['orders', 'payments'].includes(decodeOffsetSync(s0.key, s0.value).topic));

    // Fail over: the same group consumes on B from the translated offsets.
    const seenB = new Map<string, number>();
    const consumerB: Consumer = kafka(b.bootstrap, 'mm2-test-consumer-b').consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500 });
    await consumerB.connect();
    await consumerB.subscribe({ topics: Object.keys(TOPICS).map(remote), fromBeginning: true });
    await consumerB.run({
      eachMessage: async ({ message }) => {
        const v = message.value?.toString() ?? '';
        seenB.set(v, (seenB.get(v) ?? 0) + 1);
      },
    });
    const all = Object.keys(TOPICS).flatMap((t) => Array.from({ length: produced.get(t) ?? 0 }, (_, n) => `${t}-${n}`));
    try {
      await waitFor('every record consumed on A or B', () => all.every((v) => seenA.has(v) || seenB.has(v)), 90_000);
    } finally {
      await consumerB.disconnect();
    }
    const reread = [...seenB.keys()].filter((v) => seenA.has(v)).length;
    const repeatedOnB = [...seenB.values()].reduce((x, n) => x + n - 1, 0);
    const expectedReread = [...committedA].reduce((x, [k, u]) => x + (u - (translated.get(k) ?? 0)), 0);
    const bound = committedA.size * MAX_LAG;
    process.stdout.write(
      `# mm2: ${total()} records (${[...produced].map(([t, n]) => `${t} ${n}`).join(', ')}), ${seenA.size} consumed on A over ${committedA.size} partitions; copied in ${copySeconds.toFixed(1)} s; re-read after fail-over ${reread} (translation gap ${expectedReread}, bound ${bound}), repeated on B ${repeatedOnB}; ${checkpoints} checkpoint records, ${syncs.records.length} offset syncs\n`,
    );
    assert.equal(all.filter((v) => !seenA.has(v) && !seenB.has(v)).length, 0, 'no record lost');
    assert.ok(seenB.size < all.length, 'the group on B did not start over from the beginning');
    assert.equal(reread, expectedReread, 're-read records are exactly the gap between the committed and the translated offsets');
    assert.ok(reread <= bound, `re-read ${reread} <= ${bound}`);
  } finally {
    await mm.close();
  }
});

test('samsa mirror-maker --config resumes a stopped flow: only the new records are copied', { timeout: 300_000 }, async () => {
  const before = await endOffsetsTotal(b.bootstrap, Object.keys(TOPICS).map(remote));
  assert.equal(before, total(), 'the first test left B in step with A');
  await produceMore(50);
  const child = spawn(process.execPath, [resolve('dist/src/cli/samsa.js'), 'mirror-maker', '--config', join(dir, 'mm2.properties')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const release = captureChildOutput(`mirror-maker ${child.pid ?? '?'}`, () => out);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const started = performance.now();
  try {
    await waitFor(`startup (${out})`, () => out.includes('MirrorMaker running: A->B'), 60_000);
    await waitFor(`B to catch up with A (${out.slice(-500)})`, async () => (await endOffsetsTotal(b.bootstrap, Object.keys(TOPICS).map(remote))) >= total(), 120_000);
    process.stdout.write(`# mm2 restart: caught up with ${total() - before} new records in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
  }
  const killedAt = performance.now();
  assert.equal(await exited, 0, out);
  process.stdout.write(`# mm2 restart: stopped ${((performance.now() - killedAt) / 1000).toFixed(1)} s after SIGTERM\n`);
  release();
  for (const t of Object.keys(TOPICS)) {
    const dst = await readAll(b.bootstrap, remote(t));
    const values = dst.map((r) => r.value);
    assert.equal(values.length, produced.get(t), `${remote(t)}: nothing copied twice`);
    assert.equal(new Set(values).size, values.length);
  }
});

test('MirrorSourceConnector posted to a Connect worker on B through the REST API copies a topic from A', { timeout: 180_000 }, async () => {
  const admin = kafka(a.bootstrap, 'mm2-test-admin-rest').admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'shipments', numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  const p = kafka(a.bootstrap, 'mm2-test-producer-rest').producer();
  await p.connect();
  await p.send({ topic: 'shipments', messages: Array.from({ length: 40 }, (_, n) => ({ key: `k${n}`, value: `shipments-${n}` })), acks: -1 });
  await p.disconnect();
  const worker = await ConnectWorker.start({ mode: 'standalone', bootstrap: [b.bootstrap], port: 0, log: (m) => logs.push(m) });
  try {
    const config = {
      'connector.class': 'org.apache.kafka.connect.mirror.MirrorSourceConnector',
      'source.cluster.alias': 'east',
      'target.cluster.alias': 'B',
      'source.cluster.bootstrap.servers': a.bootstrap,
      'target.cluster.bootstrap.servers': b.bootstrap,
      topics: 'shipments',
      'replication.factor': '1',
      'tasks.max': '2',
      'key.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
      'value.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
    };
    expectStatus(await http('POST', `${worker.url}/connectors`, { name: 'mirror-east', config }), 201, 'create');
    await waitFor('east.shipments on B', async () => (await endOffsetsTotal(b.bootstrap, ['east.shipments'])) === 40, 60_000);
    const st = (await http('GET', `${worker.url}/connectors/mirror-east/status`)).json as { tasks: { state: string }[] };
    assert.deepEqual(st.tasks.map((t) => t.state), ['RUNNING', 'RUNNING']);
    const copied = (await readAll(b.bootstrap, 'east.shipments')).map((r) => r.value).sort();
    assert.deepEqual(copied, Array.from({ length: 40 }, (_, n) => `shipments-${n}`).sort(), 'two tasks share the partitions: each record once');
  } finally {
    await worker.close();
  }
});

test('a source broker restarting under the mirror: the tasks ride it out and copy what came after', { timeout: 180_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-mm2-c-'));
  let c = await startBroker({ port: 0, dataDir, config: { ...GROUP_TEST_BROKER_CONFIG } });
  const port = c.port;
  let mm: MirrorMaker | null = null;
  const send = async (from: number): Promise<void> => {
    const p = kafka(c.bootstrap, 'mm2-test-producer-c').producer();
    await p.connect();
    await p.send({ topic: 'events', messages: Array.from({ length: 20 }, (_, j) => ({ key: `k${from + j}`, value: `events-${from + j}` })), acks: -1 });
    await p.disconnect();
  };
  try {
    const admin = kafka(c.bootstrap, 'mm2-test-admin-c').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    await send(0);
    const props = parseProperties(['clusters = C, B', `C.bootstrap.servers = ${c.bootstrap}`, `B.bootstrap.servers = ${b.bootstrap}`, 'C->B.enabled = true', 'C->B.topics = events', 'replication.factor = 1', 'refresh.topics.interval.seconds = 1', 'emit.checkpoints.interval.seconds = 1', 'refresh.groups.interval.seconds = 1'].join('\n'));
    mm = await MirrorMaker.start(props, { log: (m) => logs.push(m) });
    await waitFor('C.events on B', async () => (await endOffsetsTotal(b.bootstrap, ['C.events'])) === 20, 60_000);
    await c.stop();
    const downAt = performance.now();
    c = await startBroker({ port, dataDir, config: { ...GROUP_TEST_BROKER_CONFIG } });
    process.stdout.write(`# mm2 outage: source broker down for ${((performance.now() - downAt) / 1000).toFixed(1)} s\n`);
    await send(20);
    await waitFor(`the records written after the restart on B (${logs.slice(-3).join(' | ')})`, async () => (await endOffsetsTotal(b.bootstrap, ['C.events'])) === 40, 90_000);
    const states = mm.status();
    assert.ok(states.length >= 3 && states.every((s) => s.state === 'RUNNING'), JSON.stringify(states));
    assert.deepEqual((await readAll(b.bootstrap, 'C.events')).map((r) => r.value), Array.from({ length: 40 }, (_, n) => `events-${n}`));
  } finally {
    await mm?.close();
    await c.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('samsa mirror-maker without flows into --clusters, or without a file, exits with an error naming the fix', { timeout: 60_000 }, async () => {
  const none = await samsaCli(['mirror-maker', '--config', join(dir, 'mm2.properties'), '--clusters', 'A']);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /No enabled flows/);
  const missing = await samsaCli(['mirror-maker', '--config', join(dir, 'nope.properties')]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /Cannot read/);
  assert.match((await samsaCli(['--help'])).stdout, /mirror-maker/);
});
