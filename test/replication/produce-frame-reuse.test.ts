/**
 * A replicated leader reuses its large request frames while acks=all answers wait for the
 * followers (bench/README: a producer pipelining ~1 MB acks=all requests kept one frame per waiting
 * request, more than the pool keeps, so each burst was read into fresh buffers: page faults and
 * RSS growth). The frame goes back to the pool once the request's appends ran; a frame given back
 * too early would be overwritten by the next request before its records were appended, so every
 * pipelined request's records must be in every replica's log exactly as sent.
 *
 * The followers' commit is held back deterministically: broker 2 stops fetching the partition
 * (the ISR keeps it: replica.lag.time.max.ms is long), so every acks=all answer waits out its
 * timeout (REQUEST_TIMED_OUT, the records appended) while all the requests are read and appended.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster } from '../helpers/cluster.js';
import { createTopic, partitionOn, replicaLogBatches, until } from '../helpers/cluster-partitions.js';
import { WireClient, API } from '../helpers/wire.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import type { ReplicaFetcherManager } from '../../src/replication/fetcher-manager.js';
import { ErrorCode } from '../../src/common/error-codes.js';

const fx = useEtcd({ before, after });

/** A batch of `count` records whose values are `size` bytes of a pattern tied to `tag` and the record. */
function batch(tag: number, count: number, size: number): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ value: Buffer.alloc(size, (tag * 37 + i) & 0xff), key: Buffer.from(`${tag}-${i}`) }));
  return encodeRecordBatch({ records });
}

test('acks=all produce waiting for the followers: request frames are reused after the appends, records intact on every replica', { timeout: 180_000 }, async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, config: { 'replica.lag.time.max.ms': 120_000, 'auto.leader.rebalance.enable': false } });
  t.after(() => cluster.stop());
  try {
    await createTopic(cluster.broker(1).port, 'reuse', [1, 2, 3], { 'min.insync.replicas': '2' });
    await until('the ISR of reuse-0 to hold 3 replicas on every broker', () => [1, 2, 3].every((n) => partitionOn(cluster, n, 'reuse')?.isr.length === 3 && partitionOn(cluster, n, 'reuse')?.leader === 1));
    const leader = cluster.broker(1).broker;
    // Broker 2 stops fetching reuse-0 (still in the ISR): no acks=all answer can complete.
    // (Private: a test's way to stop one follower's fetching without a broker-side hook for it.)
    const fetchers2 = (cluster.broker(2).broker as unknown as { fetchers: ReplicaFetcherManager | null }).fetchers;
    assert.ok(fetchers2 !== null, 'broker 2 runs replica fetchers');
    fetchers2.unfollow('reuse', 0);

    // Buffers the leader's request-frame pool had to allocate (a take that found none waiting).
    const pool = leader.pools.requestFrames;
    const take = pool.take.bind(pool);
    let fresh = 0;
    let takes = 0;
    pool.take = (size: number): Buffer => {
      const before = pool.pooledBytes;
      const b = take(size);
      takes++;
      if (pool.pooledBytes === before) fresh++;
      return b;
    };

    // Two connections pipelining at once: the pool is the broker's, so their frames share buffers.
    const clients = [await WireClient.connect(cluster.broker(1).port), await WireClient.connect(cluster.broker(1).port)];
    t.after(() => clients.forEach((c) => c.close()));
    const requests = 40; // 40 × ~600 KB frames (1 MiB buffers): more than the pool keeps (32 MiB)
    const perBatch = 150;
    const size = 4000;
    const answers = Array.from({ length: requests }, (_, b) =>
      (clients[b % 2] as WireClient).request(API.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 4000, topicData: [{ name: 'reuse', partitionData: [{ index: 0, records: batch(b, perBatch, size) }] }] }, 60_000),
    );
    const end = requests * perBatch;
    await until(`the leader to append all ${requests} requests`, () => leader.replicas.partition('reuse', 0)?.logEndOffset === end, 60_000);
    console.log(`# ${requests} pipelined acks=all requests appended while their answers wait: ${takes} frames taken from the pool, ${fresh} newly allocated`);
    assert.equal(takes, requests);
    assert.ok(fresh <= 6, `the pool allocated ${fresh} frames for ${requests} pipelined acks=all requests (frames must be reused once appended)`);

    const produced = await Promise.all(answers);
    produced.forEach((r, b) => {
      const p = r.responses[0].partitionResponses[0];
      // The followers never caught up: timed out, the records appended (Kafka's answer as well).
      assert.equal(p.errorCode, ErrorCode.REQUEST_TIMED_OUT, `produce ${b}`);
    });

    // The leader's and broker 3's logs hold every request's records exactly (read from their files).
    for (const n of [1, 3]) {
      const got = await replicaLogBatches(cluster, n, 'reuse', end, 60_000);
      assert.equal(got.length, requests, `broker ${n}`);
      // The two connections' batches interleave in the log; each is identified by its first key.
      const tags = new Set<number>();
      got.forEach((d, k) => {
        assert.equal(d.baseOffset, BigInt(k * perBatch));
        assert.equal(d.records.length, perBatch);
        const tag = Number((d.records[0]?.key as Buffer).toString().split('-')[0]);
        tags.add(tag);
        d.records.forEach((r, i) => {
          assert.equal((r.key as Buffer).toString(), `${tag}-${i}`, `broker ${n} batch ${tag} key ${i}`);
          assert.ok((r.value as Buffer).equals(Buffer.alloc(size, (tag * 37 + i) & 0xff)), `broker ${n} batch ${tag} record ${i}`);
        });
      });
      assert.equal(tags.size, requests, `broker ${n}: every request's batch once`);
    }
  } catch (e) {
    console.log(cluster.dumpLogs());
    throw e;
  }
});
