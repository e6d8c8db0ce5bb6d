/**
 * controller_mutation_rate (KIP-599): CreateTopics, CreatePartitions and DeleteTopics charge the
 * partitions they create or delete to a token bucket of rate × controller.quota.window.num ×
 * controller.quota.window.size.seconds tokens. Strict versions (CreateTopics v6+, CreatePartitions
 * v3+, DeleteTopics v5+) refuse a topic with THROTTLING_QUOTA_EXCEEDED once the bucket is below
 * zero (Kafka accepts the topic that takes it below zero) and report the throttle; older versions
 * (kafkajs speaks CreateTopics v3) are accepted and throttled. The strict test runs on a manual
 * clock: counts, not timings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { Admin } from '@platformatic/kafka';
import { ManualScheduler, startBroker } from '../../src/index.js';
import { WireClient, withClient } from '../helpers/wire.js';

const THROTTLING_QUOTA_EXCEEDED = 89;

interface CreateRes {
  throttleTimeMs: number;
  topics: { name: string; errorCode: number; errorMessage: string | null }[];
}

const createTopics = (c: WireClient, names: string[], version: number, partitions = 5): Promise<CreateRes> =>
  c.request<CreateRes>(19, version, { topics: names.map((name) => ({ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 10_000, validateOnly: false });

async function setRate(port: number, entity: { entityType: string; entityName: string | null }[], rate: number): Promise<void> {
  await withClient(port, async (c) => {
    const r = await c.request<{ entries: { errorCode: number }[] }>(49, 1, { entries: [{ entity, ops: [{ key: 'controller_mutation_rate', value: rate, remove: false }] }], validateOnly: false });
    assert.equal(r.entries[0]?.errorCode, 0);
  });
}

test('controller_mutation_rate=10: strict CreateTopics v7 / DeleteTopics v6 / CreatePartitions v3 refuse topics with THROTTLING_QUOTA_EXCEEDED once the bucket is spent, and succeed after the throttle', { timeout: 60_000 }, async () => {
  const clock = new ManualScheduler(Date.now());
  // One window of 1 s: the bucket holds 10 partitions.
  const b = await startBroker({ port: 0, scheduler: clock, config: { 'controller.quota.window.num': 1, 'controller.quota.window.size.seconds': 1 } });
  try {
    // The wire client's client id is samsa-test; its principal User:ANONYMOUS.
    await setRate(b.port, [{ entityType: 'user', entityName: 'ANONYMOUS' }, { entityType: 'client-id', entityName: 'samsa-test' }], 10);
    const c = await WireClient.connect(b.port);
    try {
      // Topics of 5 partitions, one request each: 10 → 5 → 0 → −5 (the third is accepted: the bucket was not below zero) → refused.
      const results: CreateRes[] = [];
      for (const name of ['m1', 'm2', 'm3', 'm4']) results.push(await createTopics(c, [name], 7));
      assert.deepEqual(results.map((r) => r.topics[0]?.errorCode), [0, 0, 0, THROTTLING_QUOTA_EXCEEDED]);
      assert.deepEqual(results.map((r) => r.throttleTimeMs > 0), [false, false, false, true]);
      assert.equal(results[3]?.throttleTimeMs, 500, '5 partitions of debt at 10/s');
      assert.match(results[3]?.topics[0]?.errorMessage ?? '', /throttling quota has been exceeded/i);
      assert.equal(b.broker.metadata.image().topic('m4'), undefined, 'the refused topic was not created');
      // After the throttle, the same request succeeds.
      clock.advance(500);
      const retried = await createTopics(c, ['m4'], 7);
      assert.equal(retried.topics[0]?.errorCode, 0);
      assert.ok(b.broker.metadata.image().topic('m4') !== undefined);
      // The bucket is at −5 again: DeleteTopics v6 and CreatePartitions v3 are refused too.
      const del = await c.request<{ throttleTimeMs: number; responses: { name: string | null; errorCode: number; errorMessage: string | null }[] }>(20, 6, { topics: [{ name: 'm1', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], timeoutMs: 10_000 });
      assert.equal(del.responses[0]?.errorCode, THROTTLING_QUOTA_EXCEEDED);
      assert.ok(del.throttleTimeMs > 0);
      // (On another connection: the throttled answer muted this one until the broker's clock moves on.)
      const cp = await withClient(b.port, (c2) => c2.request<{ throttleTimeMs: number; results: { errorCode: number }[] }>(37, 3, { topics: [{ name: 'm2', count: 8, assignments: null }], timeoutMs: 10_000, validateOnly: false }));
      assert.equal(cp.results[0]?.errorCode, THROTTLING_QUOTA_EXCEEDED);
      assert.equal(b.broker.metadata.image().topic('m2')?.partitions.length, 5);
      clock.advance(1000); // back to +5: the delete (5 partitions) and then the 3 new partitions go through
      const del2 = await c.request<{ responses: { errorCode: number }[] }>(20, 6, { topics: [{ name: 'm1', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], timeoutMs: 10_000 });
      assert.equal(del2.responses[0]?.errorCode, 0);
      const cp2 = await c.request<{ results: { errorCode: number }[] }>(37, 3, { topics: [{ name: 'm2', count: 8, assignments: null }], timeoutMs: 10_000, validateOnly: false });
      assert.equal(cp2.results[0]?.errorCode, 0);
      assert.equal(b.broker.metadata.image().topic('m2')?.partitions.length, 8);
      // validateOnly is not charged.
      clock.advance(2000);
      const v = await c.request<CreateRes>(19, 7, { topics: [{ name: 'big', numPartitions: 50, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: true });
      assert.equal(v.topics[0]?.errorCode, 0);
      assert.equal((await createTopics(c, ['after-validate'], 7, 10)).topics[0]?.errorCode, 0, 'the bucket was full');
      console.log(`controller_mutation_rate=10 (bucket 10): topics of 5 partitions → ${results.map((r) => `${r.topics[0]?.errorCode}/${r.throttleTimeMs}ms`).join(', ')}`);
    } finally {
      c.close();
    }
  } finally {
    await b.stop();
  }
});

test('controller_mutation_rate, permissive (CreateTopics v4, and kafkajs): every topic is created and the response is throttled once the bucket is below zero', { timeout: 60_000 }, async () => {
  const b = await startBroker({ port: 0, config: { 'controller.quota.window.num': 1, 'controller.quota.window.size.seconds': 1 } });
  try {
    await setRate(b.port, [{ entityType: 'client-id', entityName: 'samsa-test' }], 10);
    await setRate(b.port, [{ entityType: 'client-id', entityName: 'kjs-admin' }], 10);
    const r = await withClient(b.port, (c) => createTopics(c, ['p1', 'p2', 'p3', 'p4'], 4));
    assert.deepEqual(r.topics.map((t) => t.errorCode), [0, 0, 0, 0], 'older versions are never refused');
    assert.ok(r.throttleTimeMs > 0, `throttled (${r.throttleTimeMs} ms)`);
    // kafkajs (CreateTopics v3 at most): four topics of 5 partitions in one call, all created.
    const kafka = new Kafka({ clientId: 'kjs-admin', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const created = await admin.createTopics({ topics: ['k1', 'k2', 'k3', 'k4'].map((topic) => ({ topic, numPartitions: 5 })) });
      assert.equal(created, true);
      const names = await admin.listTopics();
      for (const t of ['k1', 'k2', 'k3', 'k4']) assert.ok(names.includes(t), `${t} created`);
    } finally {
      await admin.disconnect();
    }
    console.log(`permissive: 4 topics of 5 partitions created at once with a throttle of ${r.throttleTimeMs} ms`);
  } finally {
    await b.stop();
  }
});

test('@platformatic/kafka (CreateTopics v7) under controller_mutation_rate=1: the second topic of 5 partitions is refused with THROTTLING_QUOTA_EXCEEDED, and a retrying admin gets it through after the throttle', { timeout: 60_000 }, async () => {
  const b = await startBroker({ port: 0, config: { 'controller.quota.window.num': 1, 'controller.quota.window.size.seconds': 1 } });
  try {
    await setRate(b.port, [{ entityType: 'client-id', entityName: 'plt-admin' }], 1);
    // The bucket holds 1 token: the first topic takes it to −4 (accepted: it was not below zero), the next is refused for 4 s.
    const admin = new Admin({ clientId: 'plt-admin', bootstrapBrokers: [b.bootstrap], retries: 0 });
    try {
      await admin.createTopics({ topics: ['plt1'], partitions: 5, replicas: 1 });
      await assert.rejects(admin.createTopics({ topics: ['plt2'], partitions: 5, replicas: 1 }), (e: Error & { errors?: Error[] }) => {
        assert.match(e.errors?.map((x) => x.message).join(' ') ?? e.message, /throttling quota has been exceeded/i);
        return true;
      });
    } finally {
      await admin.close();
    }
    assert.equal(b.broker.metadata.image().topic('plt2'), undefined);
    const retrying = new Admin({ clientId: 'plt-admin', bootstrapBrokers: [b.bootstrap], retries: 20, retryDelay: 500 });
    try {
      const started = Date.now();
      await retrying.createTopics({ topics: ['plt2'], partitions: 5, replicas: 1 });
      console.log(`@platformatic/kafka: plt2 created by retrying after ${Date.now() - started} ms (throttle about 4 s)`);
    } finally {
      await retrying.close();
    }
    assert.equal(b.broker.metadata.image().topic('plt2')?.partitions.length, 5);
  } finally {
    await b.stop();
  }
});
