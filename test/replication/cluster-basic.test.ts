/**
 * Three brokers in one process on a real etcd: a topic with replication factor 3 is placed on all
 * three, every broker reports it, a produce with acks=all is answered once all replicas have it,
 * followers hold the same bytes, and when the leader stops another ISR member takes over with a
 * higher leader epoch and nothing acknowledged is lost.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { WireClient, API, waitFor } from '../helpers/wire.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';

const batch = (value: string): Buffer => encodeRecordBatch({ baseTimestamp: 1_000n, records: [{ value, timestamp: 1_000n }] });

const fx = useEtcd({ before, after });

/** Polls `fn` (every 50 ms, up to 20 s) until it returns a value. */
const waitFor_ = <T>(what: string, fn: () => T | undefined | Promise<T | undefined>): Promise<NonNullable<T>> => waitFor(fn, 20_000, what, 50) as Promise<NonNullable<T>>;

test('three brokers replicate a topic with RF 3 and fail over when the leader stops', { timeout: 90_000 }, async (t) => {
  const cluster: TestCluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3 });
  t.after(() => cluster.stop());
  // A stall shows the brokers' logs before the test times out.
  const stall = setTimeout(() => console.log(`stalled:\n${cluster.dumpLogs()}`), 60_000);
  t.after(() => clearTimeout(stall));
  try {
    const b1 = cluster.broker(1);
    const admin = await WireClient.connect(b1.port);
    t.after(() => admin.close());
    const created = await admin.request(API.CreateTopics, 7, {
      topics: [{ name: 'r3', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    assert.equal(created.topics[0].errorCode, 0, created.topics[0].errorMessage);
    // Every broker sees the topic with 3 replicas and a full ISR.
    const state = await waitFor_('the ISR of r3-0 to hold 3 replicas on every broker', () => {
      const images = cluster.brokers.map((b) => b.running?.broker.metadata.image().topic('r3')?.partitions[0]);
      return images.every((p) => p !== undefined && p.isr.length === 3) ? images[0] : undefined;
    });
    assert.equal(state?.replicas.length, 3);
    const leaderId = state?.leader as number;
    const leader = cluster.broker(leaderId);
    const client = await WireClient.connect(leader.port);
    t.after(() => client.close());
    for (let i = 0; i < 10; i++) {
      const r = await client.produce('r3', 0, batch(`v${i}`), -1);
      assert.equal(r.errorCode, 0, `produce ${i}: ${r.errorCode} ${r.errorMessage}`);
      assert.equal(r.baseOffset, BigInt(i));
    }
    // The followers hold the same records.
    for (const b of cluster.brokers) {
      await waitFor_(`broker ${b.nodeId} to have 10 records`, () => (b.running?.broker.replicas.partition('r3', 0)?.logEndOffset === 10 ? true : undefined));
    }
    // The leader stops: another ISR member leads with a higher epoch; the records are all there.
    await cluster.stopBroker(leaderId);
    const survivor = cluster.brokers.find((b) => b.running !== null) as { running: NonNullable<unknown> } & (typeof cluster.brokers)[number];
    const after = await waitFor_('a new leader', () => {
      const p = survivor.running?.broker.metadata.image().topic('r3')?.partitions[0];
      return p !== undefined && p.leader !== leaderId && p.leader >= 0 ? p : undefined;
    });
    assert.ok(after.leaderEpoch > (state?.leaderEpoch ?? 0));
    const next = await WireClient.connect(cluster.broker(after.leader).port);
    t.after(() => next.close());
    const got = await waitFor_('the new leader to serve the 10 records', async () => {
      const f = await next.fetchAll('r3', 0).catch(() => undefined);
      return f !== undefined && f.highWatermark === 10n ? f : undefined;
    });
    assert.deepEqual(
      got.batches.flatMap((b) => b.records.map((r) => r.value?.toString())),
      Array.from({ length: 10 }, (_, i) => `v${i}`),
    );
    const r = await next.produce('r3', 0, batch('after'), -1);
    assert.equal(r.errorCode, 0);
    assert.equal(r.baseOffset, 10n);
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});
