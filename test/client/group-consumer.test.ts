/**
 * The protocol client's group consumer (src/client/group-consumer.ts) against a real broker: two
 * members of one group split a topic's partitions with the range assignor; when one leaves, the
 * other learns of the rebalance from its heartbeat, rejoins in the background and owns every
 * partition, resuming from the committed offsets; a pattern subscription matches topics.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ClusterClient } from '../../src/client/cluster-client.js';
import { GroupConsumer } from '../../src/client/group-consumer.js';
import { rangeAssign } from '../../src/client/range-assignor.js';
import { produceRecords } from '../../src/client/record-producer.js';
import { createTopic } from '../../src/client/topic-admin.js';
import { encodeSubscription, decodeAssignment } from '../../src/protocol/consumer-protocol.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { GROUP_TEST_BROKER_CONFIG } from '../group/scenario.js';

let broker: RunningBroker;
let cluster: ClusterClient;

before(async () => {
  broker = await startBroker({ port: 0, config: GROUP_TEST_BROKER_CONFIG });
  cluster = new ClusterClient({ bootstrap: [broker.bootstrap], clientId: 'group-consumer-test' });
});

after(async () => {
  cluster?.close();
  await broker?.stop();
});

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('range assignment: per topic, members sorted by id, the first ones get one more', () => {
  const sub = (topics: string[]): Buffer => encodeSubscription({ topics, userData: null }, 1);
  const out = rangeAssign(
    [
      { memberId: 'b', metadata: sub(['t', 'u']) },
      { memberId: 'a', metadata: sub(['t']) },
    ],
    new Map([
      ['t', { partitions: [0, 1, 2] }],
      ['u', { partitions: [0, 1] }],
    ]),
  );
  const of = (id: string): unknown => decodeAssignment(out.find((x) => x.memberId === id)?.assignment ?? Buffer.alloc(0));
  assert.deepEqual(of('a'), [{ topic: 't', partitions: [0, 1] }]);
  assert.deepEqual(of('b'), [{ topic: 't', partitions: [2] }, { topic: 'u', partitions: [0, 1] }]);
});

test('two members split the partitions; after one leaves the other owns them all and resumes from the commits', { timeout: 90_000 }, async () => {
  await createTopic(cluster, { name: 'gc-split', partitions: 4, replicationFactor: 1, configs: [] });
  await produceRecords(cluster, 'gc-split', Array.from({ length: 8 }, (_, i) => ({ partition: i % 4, key: null, value: Buffer.from(`v${i}`) })));
  const opts = { groupId: 'gc-group', autoOffsetReset: 'earliest' as const, heartbeatIntervalMs: 200, sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 10_000 };
  const a = new GroupConsumer(cluster, opts);
  const b = new GroupConsumer(cluster, opts);
  try {
    await a.subscribe(['gc-split']);
    await b.subscribe(['gc-split']);
    const seen = new Map<string, string>();
    const pollBoth = async (): Promise<void> => {
      for (const c of [a, b]) for (const r of await c.poll({ maxWaitMs: 100, maxBytes: 1 << 20 })) seen.set(`${r.partition}:${r.offset}`, r.value?.toString() ?? '');
    };
    await until('both members own two partitions', async () => {
      await pollBoth();
      return a.assignment().length === 2 && b.assignment().length === 2;
    });
    await until('all 8 records read', async () => {
      await pollBoth();
      return seen.size === 8;
    });
    const owned = [...a.assignment(), ...b.assignment()].map((tp) => tp.partition).sort();
    assert.deepEqual(owned, [0, 1, 2, 3]);
    await a.commit();
    await b.commit();
    await b.close();
    await produceRecords(cluster, 'gc-split', Array.from({ length: 4 }, (_, i) => ({ partition: i, key: null, value: Buffer.from(`w${i}`) })));
    const later: string[] = [];
    await until('the remaining member owns every partition and reads only the new records', async () => {
      for (const r of await a.poll({ maxWaitMs: 100, maxBytes: 1 << 20 })) later.push(r.value?.toString() ?? '');
      return a.assignment().length === 4 && later.length >= 4;
    });
    assert.deepEqual(later.sort(), ['w0', 'w1', 'w2', 'w3']);
  } finally {
    await a.close();
    await b.close();
  }
});

test('a pattern subscription matches topics by regular expression', { timeout: 60_000 }, async () => {
  for (const t of ['pat-a', 'pat-b', 'other']) await createTopic(cluster, { name: t, partitions: 1, replicationFactor: 1, configs: [] });
  const c = new GroupConsumer(cluster, { groupId: 'gc-pattern', autoOffsetReset: 'earliest' });
  try {
    await c.subscribe(/^pat-.*$/);
    await until('assigned', async () => {
      await c.poll({ maxWaitMs: 100, maxBytes: 1024 });
      return c.assignment().length === 2;
    });
    assert.deepEqual(c.subscription(), ['pat-a', 'pat-b']);
  } finally {
    await c.close();
  }
});

test('a position out of range is reset by auto.offset.reset', { timeout: 60_000 }, async () => {
  await createTopic(cluster, { name: 'gc-range', partitions: 1, replicationFactor: 1, configs: [] });
  await produceRecords(cluster, 'gc-range', [0, 1, 2].map((i) => ({ key: null, value: Buffer.from(`r${i}`) })));
  const c = new GroupConsumer(cluster, { groupId: 'gc-range', autoOffsetReset: 'earliest' });
  try {
    await c.assign([{ topic: 'gc-range', partition: 0 }]);
    await c.poll({ maxWaitMs: 0, maxBytes: 1 });
    c.seek({ topic: 'gc-range', partition: 0 }, 1000n);
    const got: string[] = [];
    await until('records from the beginning', async () => {
      for (const r of await c.poll({ maxWaitMs: 100, maxBytes: 1 << 20 })) got.push(r.value?.toString() ?? '');
      return got.length >= 3;
    });
    assert.deepEqual(got, ['r0', 'r1', 'r2']);
  } finally {
    await c.close();
  }
});
