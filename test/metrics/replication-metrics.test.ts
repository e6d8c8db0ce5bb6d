/**
 * Replication counters are per broker (two brokers in one process on a real etcd, a topic led by
 * broker 1 and followed by broker 2): each broker's ReplicationStats counts only its own side
 * (leader: follower fetches served, high-watermark moves; follower: replica fetches, bytes in),
 * and the follower's /metrics shows ReplicationBytesIn equal to what it fetched (the bytes of its
 * log, and the leader's ReplicationBytesOut), with Kafka's FetcherStats, MaxLag and FetchFollower
 * request series beside it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster } from '../helpers/cluster.js';
import { scrape } from '../helpers/metrics.js';
import { API, WireClient, waitFor } from '../helpers/wire.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';

const fx = useEtcd({ before, after });
const RECORDS = 20;

const batch = (i: number): Buffer => encodeRecordBatch({ baseTimestamp: 1_000n, records: [{ value: `value-${i}-${'x'.repeat(100)}`, timestamp: 1_000n }] });

test('replication counters are per broker; the follower exports ReplicationBytesIn equal to what it fetched', { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 2, config: { 'metrics.listeners': 'http://127.0.0.1:0', 'auto.leader.rebalance.enable': false } });
  t.after(() => cluster.stop());
  const stall = setTimeout(() => console.log(`stalled:\n${cluster.dumpLogs()}`), 100_000);
  t.after(() => clearTimeout(stall));

  const b1 = cluster.broker(1);
  const b2 = cluster.broker(2);
  const admin = await WireClient.connect(b1.port);
  t.after(() => admin.close());
  const created = await admin.request(API.CreateTopics, 7, {
    topics: [{ name: 'rs', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }], configs: [] }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  assert.equal(created.topics[0].errorCode, 0, created.topics[0].errorMessage);
  await waitFor(() => {
    const ok = [b1, b2].every((b) => {
      const p = b.broker.metadata.image().topic('rs')?.partitions[0];
      return p !== undefined && p.leader === 1 && p.isr.length === 2;
    });
    return ok ? true : undefined;
  }, 30_000, 'rs-0 led by broker 1 with ISR [1, 2] on both brokers', 50);

  const producer = await WireClient.connect(b1.port);
  t.after(() => producer.close());
  for (let i = 0; i < RECORDS; i++) {
    const r = await producer.produce('rs', 0, batch(i), -1);
    assert.equal(r.errorCode, 0, `produce ${i}: ${r.errorCode} ${r.errorMessage}`);
  }
  await waitFor(() => (b2.broker.replicas.partition('rs', 0)?.logEndOffset === RECORDS ? true : undefined), 30_000, 'broker 2 to hold every record', 50);

  // Each broker counts its own side only (a process-wide object would show the same numbers on both).
  const leader = b1.broker.replicationStats;
  const follower = b2.broker.replicationStats;
  assert.ok(follower.replicaFetches > 0, 'the follower fetched');
  assert.ok(follower.replicationBytesIn > 0, 'the follower counted bytes in');
  assert.equal(leader.replicaFetches, 0, 'the leader follows nothing');
  assert.equal(leader.replicationBytesIn, 0);
  assert.equal(leader.truncationRequests, 0);
  assert.ok(leader.followerFetchesServed > 0, 'the leader served follower fetches');
  assert.ok(leader.highWatermarkMoves > 0, 'the leader moved its high watermark');
  assert.equal(follower.followerFetchesServed, 0, 'nobody follows broker 2');
  assert.equal(follower.highWatermarkMoves, 0);
  assert.ok(follower.truncationRequests >= 1, 'the follower truncated before following');

  // The follower's /metrics: bytes in = the bytes of its log = the leader's bytes out to it.
  const url1 = b1.broker.observability?.listeners[0]?.url as string;
  const url2 = b2.broker.observability?.listeners[0]?.url as string;
  const { f, l } = await waitFor(async () => {
    const [f, l] = [await scrape(url2), await scrape(url1)];
    const bytesIn = f.value('kafka_server_brokertopicmetrics_replicationbytesin_total');
    const logSize = f.value('kafka_log_log_size', { topic: 'rs', partition: '0' });
    return bytesIn !== undefined && bytesIn > 0 && bytesIn === logSize ? { f, l } : undefined;
  }, 10_000, 'the follower /metrics to show its log bytes as ReplicationBytesIn', 100);
  const bytesIn = f.value('kafka_server_brokertopicmetrics_replicationbytesin_total') as number;
  assert.equal(bytesIn, b2.broker.replicas.partition('rs', 0)?.log.size(), 'ReplicationBytesIn = the bytes the follower appended');
  assert.equal(bytesIn, b1.broker.replicas.partition('rs', 0)?.log.size(), 'the leader has the same bytes');
  assert.equal(l.value('kafka_server_brokertopicmetrics_replicationbytesout_total'), bytesIn, "the leader's ReplicationBytesOut to its only follower");
  assert.equal(l.value('kafka_server_brokertopicmetrics_replicationbytesin_total'), 0, 'the leader took no bytes in');
  // FetcherStats of the fetcher from broker 1 (Kafka's clientId ReplicaFetcherThread-0-<source>).
  const fetcher = { clientid: 'ReplicaFetcherThread-0-1' };
  assert.equal(f.value('kafka_server_fetcherstats_bytes_total', fetcher), bytesIn);
  assert.ok((f.value('kafka_server_fetcherstats_requests_total', fetcher) ?? 0) > 0);
  assert.deepEqual(l.values('kafka_server_fetcherstats_requests_total'), [], 'no fetcher on the leader');
  assert.equal(f.value('kafka_server_replicafetchermanager_maxlag', { clientid: 'Replica' }), 0, 'caught up');
  // Follower fetches as Kafka's FetchFollower request series (the replica fetcher speaks Fetch v12).
  assert.ok((l.value('kafka_network_requestmetrics_requests_total', { request: 'FetchFollower', version: '12' }) ?? 0) > 0);
  assert.equal(f.value('kafka_network_requestmetrics_requests_total', { request: 'FetchFollower', version: '12' }), undefined);
  assert.ok((l.value('samsa_replication_high_watermark_moves_total') ?? 0) > 0);
  assert.equal(f.value('samsa_replication_high_watermark_moves_total'), 0);
  assert.ok((f.value('samsa_replication_truncation_requests_total') ?? 0) >= 1);
  t.diagnostic(`follower: ${JSON.stringify(follower.snapshot())}; leader: ${JSON.stringify(leader.snapshot())}`);
});
