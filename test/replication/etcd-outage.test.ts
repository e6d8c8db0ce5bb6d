/**
 * Must-show 4 of the etcd-outage issue: three brokers on a one-member etcd, a topic with RF 3 and
 * min.insync.replicas=2, a confluent-kafka idempotent acks=all producer and a consumer group
 * running; etcd is killed for ETCD_OUTAGE_MS (default 30 s) and started again on its data.
 * During the outage produce and consume continue on the existing leaders (acknowledgements keep
 * arriving on every partition long after the brokers' leases would have expired), and creating a
 * topic fails with REQUEST_TIMED_OUT naming etcd. After it: topic creation succeeds without any
 * broker restart, every broker is still registered and no partition changed leader or leader
 * epoch (no lease expired: etcd renews every lease when it comes back), every acknowledged record
 * is in the log once, and the consumer read them all.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { startCluster } from '../helpers/cluster.js';
import { until } from '../helpers/cluster-process.js';
import { startPythonConsumer, startPythonProducer, stopAfterTest } from '../helpers/failover-clients.js';
import { acksOf, auditPartition, longestAckGap } from '../helpers/acked-records.js';
import { API, WireClient } from '../helpers/wire.js';

const fx = useEtcd({ before, after });
const OUTAGE_MS = Number(process.env['ETCD_OUTAGE_MS'] ?? 30_000);
const TOPIC = 'outage';
const PARTITIONS = 3;

interface Created {
  errorCode: number;
  errorMessage: string | null;
}

async function createTopic(port: number, name: string): Promise<Created> {
  const c = await WireClient.connect(port);
  try {
    const res = await c.request(API.CreateTopics, 7, {
      topics: [{ name, numPartitions: PARTITIONS, replicationFactor: 3, assignments: [], configs: [{ name: 'min.insync.replicas', value: '2' }] }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    return res.topics[0] as Created;
  } finally {
    c.close();
  }
}

test(`etcd down for ${OUTAGE_MS / 1000} s under acks=all load: leaders keep serving, metadata changes fail clearly, the cluster resumes`, { timeout: 5 * 60_000 }, async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3 });
  const track = stopAfterTest(t, cluster);
  t.after(async () => {
    // Whatever happened, etcd runs again for the next test file's use of the fixture.
    await fx.etcd.members[0]?.start();
  });
  const port = cluster.broker(1).port;
  const created = await createTopic(port, TOPIC);
  assert.equal(created.errorCode, 0, created.errorMessage ?? '');
  const image = (n: number) => cluster.broker(n).broker.metadata.image();
  const states = (): string =>
    JSON.stringify(
      [1, 2, 3].map((n) =>
        (image(n).topic(TOPIC)?.partitions ?? []).map((p) => [p.leader, p.leaderEpoch, [...p.isr].sort()]),
      ),
    );
  await until('a full ISR on every partition, seen by every broker', () => [1, 2, 3].every((n) => image(n).topic(TOPIC)?.partitions.every((p) => p.isr.length === 3) === true), 30_000);
  const producer = track(startPythonProducer({ bootstrap: cluster.bootstrap(), topic: TOPIC, partitions: PARTITIONS, interval: 0.01 }));
  const consumer = track(startPythonConsumer({ bootstrap: cluster.bootstrap(), topic: TOPIC, partitions: PARTITIONS, group: 'outage-group' }));
  const prod = producer;
  const cons = consumer;
  await until('acknowledgements on every partition', () => new Set(acksOf(prod.lines).map((a) => a.p)).size === PARTITIONS, 60_000);
  await until('the consumer to read', () => cons.lines.some((l) => l.msg['c'] !== undefined), 60_000);
  const before_ = states();
  const brokersBefore = image(1).brokers().map((b) => b.nodeId);

  const down = performance.now();
  await fx.etcd.members[0]?.kill();
  // Well past every lease (broker.session.timeout.ms 2 s, etcd3's own Lease would give up at 4 s):
  const pastLeases = down + 8000;
  await until('acknowledgements on every partition 8 s into the outage', () => new Set(prod.lines.filter((l) => l.at > pastLeases && typeof l.msg['o'] === 'number').map((l) => l.msg['p'])).size === PARTITIONS, OUTAGE_MS + 30_000);
  await until('the consumer to read records produced 8 s into the outage', () => {
    const late = new Set(prod.lines.filter((l) => l.at > pastLeases && typeof l.msg['o'] === 'number').map((l) => `${l.msg['p']}:${l.msg['o']}`));
    return cons.lines.some((l) => l.msg['c'] !== undefined && late.has(`${(l.msg['c'] as number[])[0]}:${(l.msg['c'] as number[])[1]}`));
  }, 30_000);
  const attempt = performance.now();
  const refused = await createTopic(port, 'during-outage');
  const refusedMs = Math.round(performance.now() - attempt);
  console.log(`# CreateTopics during the outage: error ${refused.errorCode} in ${refusedMs} ms: ${refused.errorMessage}`);
  assert.equal(refused.errorCode, 7, `REQUEST_TIMED_OUT expected, got ${refused.errorCode}: ${refused.errorMessage}`);
  assert.match(refused.errorMessage ?? '', /etcd/);
  // The outage lasts its full length; acknowledgements keep coming on every partition.
  await until(`the outage to last ${OUTAGE_MS} ms`, () => performance.now() - down >= OUTAGE_MS, OUTAGE_MS + 60_000);
  const up = performance.now();
  const stall = longestAckGap(prod.lines, down, up);
  const duringOutage = acksOf(prod.lines.filter((l) => l.at > down && l.at < up)).length;
  console.log(`# ${duringOutage} records acknowledged during the ${Math.round(up - down)} ms outage; longest gap between acknowledgements of a partition ${stall} ms`);
  assert.ok(stall < 10_000, `produce stalled for ${stall} ms during the outage`);
  await fx.etcd.members[0]?.start();

  // Metadata changes work again, without restarting anything.
  const afterCreate = await until('CreateTopics to succeed after etcd returns', async () => {
    const r = await createTopic(port, 'after-outage');
    return r.errorCode === 0 || r.errorCode === 36 ? r : undefined; // 36: created by an attempt that timed out
  }, 60_000);
  console.log(`# CreateTopics succeeded ${Math.round(performance.now() - up)} ms after etcd started again (code ${afterCreate.errorCode})`);
  await until('every broker to see the new topic', () => [1, 2, 3].every((n) => image(n).topic('after-outage') !== undefined), 30_000);
  assert.deepEqual(image(1).brokers().map((b) => b.nodeId), brokersBefore, 'every broker still registered');
  assert.equal(states(), before_, 'no leader, leader epoch or ISR changed across the outage');

  assert.equal(await prod.finish(), 0, prod.stderr());
  const done = prod.lines.find((l) => l.msg['done'] !== undefined)?.msg;
  assert.equal(done?.['undelivered'], 0, 'messages left undelivered');
  assert.deepEqual(prod.lines.filter((l) => l.msg['err'] !== undefined || l.msg['fatal'] === true).map((l) => l.msg), [], 'delivery failures');
  const acked = acksOf(prod.lines);
  const leader1 = cluster.broker(1);
  const c = await WireClient.connect(leader1.port);
  try {
    for (let p = 0; p < PARTITIONS; p++) {
      const leader = image(1).topic(TOPIC)?.partitions[p]?.leader as number;
      const lc = leader === 1 ? c : await WireClient.connect(cluster.broker(leader).port);
      try {
        const { batches } = await lc.fetchAll(TOPIC, p);
        const audit = auditPartition(p, batches, acked);
        assert.deepEqual(audit.lost, [], `partition ${p}: acknowledged records lost`);
        assert.deepEqual(audit.duplicated, [], `partition ${p}: duplicates`);
      } finally {
        if (lc !== c) lc.close();
      }
    }
  } finally {
    c.close();
  }
  await until('the consumer to read every acknowledged record', () => {
    const got = new Set(cons.lines.filter((l) => l.msg['c'] !== undefined).map((l) => `${(l.msg['c'] as number[])[0]}:${(l.msg['c'] as number[])[1]}`));
    return acked.every((a) => got.has(`${a.p}:${a.o}`));
  }, 60_000);
  console.log(`# ${acked.length} records acknowledged, all in the log once and consumed`);
});
