/**
 * The buffers of replication (CPU per GB of a replicated cluster): a replicated leader answers
 * acks=all produces asynchronously (once the followers have the records) and must still give their
 * large request frames back to the pool (a fresh ~1 MB buffer per request cost page faults and
 * mark-compact collections for external memory). A frame given back too early would be
 * overwritten by the next request while still in use: pipelined large produces with distinct
 * contents, then every replica must hold exactly the bytes produced, and a consumer that pauses
 * while its answers wait in the send buffers reads them back exactly.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster } from '../helpers/cluster.js';
import { createTopic, partitionOn, replicaLogBatches, until } from '../helpers/cluster-partitions.js';
import { WireClient, API } from '../helpers/wire.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/records/record.js';

const fx = useEtcd({ before, after });

/** A batch of `count` records whose values are `size` bytes of a pattern tied to `tag` and the record. */
function batch(tag: number, count: number, size: number): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ value: Buffer.alloc(size, (tag * 31 + i) & 0xff), key: Buffer.from(`${tag}-${i}`) }));
  return encodeRecordBatch({ records });
}

test('replicated acks=all produce: frames go back to the pool once answered, every replica holds the exact bytes', { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3 });
  t.after(() => cluster.stop());
  try {
    await createTopic(cluster.broker(1).port, 'bufs', [1, 2, 3], { 'min.insync.replicas': '2' });
    await until('the ISR of bufs-0 to hold 3 replicas on every broker', () => [1, 2, 3].every((n) => partitionOn(cluster, n, 'bufs')?.isr.length === 3 && partitionOn(cluster, n, 'bufs')?.leader === 1));
    const leader = cluster.broker(1).broker;
    const c = await WireClient.connect(cluster.broker(1).port);
    t.after(() => c.close());
    const batches = 12;
    const perBatch = 40;
    const size = 4000; // ~160 KB batches: frames of their own (pooled)
    const produced = await Promise.all(
      Array.from({ length: batches }, (_, b) =>
        c.request(API.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: 'bufs', partitionData: [{ index: 0, records: batch(b, perBatch, size) }] }] }),
      ),
    );
    produced.forEach((r, b) => {
      const p = r.responses[0].partitionResponses[0];
      assert.equal(p.errorCode, 0, `produce ${b}`);
      assert.equal(p.baseOffset, BigInt(b * perBatch));
    });
    // Answered only once the followers had them (asynchronously), yet the frames were given back.
    assert.ok(leader.pools.requestFrames.pooledBytes > 0, 'acks=all produce frames went back to their pool');

    // Every replica's log holds the exact batches (read from each broker's own files).
    const end = batches * perBatch;
    for (const n of [1, 2, 3]) {
      const got = await replicaLogBatches(cluster, n, 'bufs', end);
      assert.equal(got.length, batches, `broker ${n}`);
      got.forEach((d, tag) => {
        assert.equal(d.baseOffset, BigInt(tag * perBatch));
        d.records.forEach((r, i) => assert.ok((r.value as Buffer).equals(Buffer.alloc(size, (tag * 31 + i) & 0xff)), `broker ${n} batch ${tag} record ${i}`));
      });
    }

    // A consumer reading while it pauses: its answers wait in the send buffers, and read back exactly.
    const pending = Array.from({ length: 2 * batches }, (_, i) => c.fetchOnce('bufs', 0, BigInt((i % batches) * perBatch), 2 * perBatch * (size + 100)));
    await c.pauseReading(300);
    const fetches = await Promise.all(pending);
    fetches.forEach((f, i) => {
      const b = i % batches;
      assert.equal(f.errorCode, 0);
      const decoded = decodeRecordBatches(f.records as Buffer, { verifyCrc: true });
      assert.ok(decoded.length >= 1, `fetch ${b} returned batches`);
      decoded.forEach((d, k) => {
        assert.equal(d.baseOffset, BigInt((b + k) * perBatch));
        d.records.forEach((r, j) => assert.ok((r.value as Buffer).equals(Buffer.alloc(size, ((b + k) * 31 + j) & 0xff)), `fetch ${i}: batch ${b + k} record ${j}`));
      });
    });
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});
