/**
 * Must-show 2 and 3 of the cluster issue, with broker processes on a real etcd (SIGSTOP and kill -9
 * are real):
 * - a leader frozen (SIGSTOP) past its lease while a confluent-kafka producer keeps sending and
 *   produce requests queue on a connection to it; after SIGCONT it answers NOT_LEADER_OR_FOLLOWER,
 *   every request it answered with success is in the final log, it truncates what it appended
 *   alone and follows (back in the ISR, its log file equal to the leader's), nothing acknowledged
 *   is lost;
 * - a follower killed, its partition written while it is down, restarted: it catches up (its log
 *   file equal to the leader's) and is back in the ISR of every broker's Metadata.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useEtcd } from '../helpers/etcd.js';
import { createReplicatedTopics, startProcessCluster, until, type ProcessCluster } from '../helpers/cluster-process.js';
import { startPythonProducer, type LineProcess } from '../helpers/failover-clients.js';
import { WireClient } from '../helpers/wire.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/records/record.js';
import { ErrorCode } from '../../src/common/error-codes.js';

const fx = useEtcd({ before, after });

const batch = (value: string): Buffer => encodeRecordBatch({ baseTimestamp: 1_000n, records: [{ value, timestamp: 1_000n }] });

async function createTopic(cluster: ProcessCluster, name: string): Promise<void> {
  await createReplicatedTopics(cluster.broker(1).port, [{ name }]);
}

/** Waits until every live broker's Metadata shows `topic`-0 led with an ISR of `isr`; returns the state. */
async function isrEverywhere(cluster: ProcessCluster, topic: string, isr: number[]): Promise<{ leader: number; leaderEpoch: number }> {
  return until(`ISR ${isr.join(',')} of ${topic}-0 on every live broker`, async () => {
    let st: { leader: number; leaderEpoch: number } | undefined;
    for (const b of cluster.live()) {
      const s = (await cluster.metadata([topic], b.nodeId)).partitions.get(`${topic}-0`);
      if (s === undefined || s.leader < 0 || s.isr.join(',') !== [...isr].sort().join(',')) return undefined;
      st = s;
    }
    return st;
  });
}

/** The partition as it lies in a broker's log files: offset → value. */
function logOnDisk(dataDir: string, topic: string): Map<number, string> {
  const dir = join(dataDir, `${topic}-0`);
  const out = new Map<number, string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    for (const b of decodeRecordBatches(readFileSync(join(dir, f)), { verifyCrc: true })) {
      b.records.forEach((r, i) => out.set(Number(b.baseOffset) + i, r.value?.toString() ?? ''));
    }
  }
  return out;
}

/** The partition as its leader serves it (up to the high watermark). */
async function logOfLeader(cluster: ProcessCluster, topic: string): Promise<Map<number, string>> {
  const leader = (await cluster.metadata([topic])).partitions.get(`${topic}-0`)?.leader ?? -1;
  const c = await WireClient.connect(cluster.broker(leader).port);
  try {
    const out = new Map<number, string>();
    for (const b of (await c.fetchAll(topic, 0)).batches) b.records.forEach((r, i) => out.set(Number(b.baseOffset) + i, r.value?.toString() ?? ''));
    return out;
  } finally {
    c.close();
  }
}

test('a leader frozen past its lease learns it was replaced, acknowledges nothing it cannot keep, truncates and follows', { timeout: 180_000 }, async (t) => {
  const cluster = await startProcessCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3 });
  let producer: LineProcess | undefined;
  t.after(async () => {
    await producer?.kill();
    await cluster.stop();
  });
  const topic = 'frozen';
  await createTopic(cluster, topic);
  const before = await isrEverywhere(cluster, topic, [1, 2, 3]);
  const old = before.leader;
  const direct = await WireClient.connect(cluster.broker(old).port);
  t.after(() => direct.close());
  for (let i = 0; i < 5; i++) assert.equal((await direct.produce(topic, 0, batch(`direct-${i}`), -1)).errorCode, 0);
  // An idempotent producer keeps its requests in order: it moves to the new leader only once the
  // requests outstanding on the frozen one time out (request.timeout.ms, 30 s by default).
  producer = startPythonProducer({ bootstrap: cluster.bootstrap(), topic, partitions: 1, interval: 0.01, config: { 'request.timeout.ms': 3000, 'socket.timeout.ms': 4000 } });
  const acked = (): { o: number; v: string }[] => (producer as LineProcess).lines.filter((l) => typeof l.msg['o'] === 'number').map((l) => l.msg as unknown as { o: number; v: string });
  await until('the producer to be acknowledged', () => acked().length >= 20);

  const wasController = (await cluster.metadata([topic])).controllerId === old;
  cluster.pause(old);
  const frozenAt = performance.now();
  const frozenWall = new Date().toISOString();
  // Requests that reach the frozen leader: acks=all and acks=1, answered only after SIGCONT.
  const queued = [-1, 1, -1, 1, -1].map((acks, i) => ({ value: `queued-${i}-acks${acks}`, res: direct.request(0, 9, { transactionalId: null, acks, timeoutMs: 20_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch(`queued-${i}-acks${acks}`) }] }] }, 60_000) }));
  const others = cluster.brokers.filter((b) => b.nodeId !== old).map((b) => b.nodeId);
  await until('the frozen broker to leave the registered brokers', async () => !(await cluster.metadata([topic], others[0])).brokers.includes(old));
  const unregisteredMs = Math.round(performance.now() - frozenAt);
  const replaced = await until('another leader with a higher epoch', async () => {
    const s = (await cluster.metadata([topic], others[0])).partitions.get(`${topic}-0`);
    return s !== undefined && s.leader >= 0 && s.leader !== old && s.leaderEpoch > before.leaderEpoch ? s : undefined;
  });
  const replacedMs = Math.round(performance.now() - frozenAt);
  const ackedWhileFrozen = acked().length;
  await until('the producer to be acknowledged by the new leader', () => acked().length >= ackedWhileFrozen + 50);
  console.log(`# leader ${old} frozen at ${frozenWall}; broker ${replaced.leader} leads at epoch ${replaced.leaderEpoch}; unregistered after ${unregisteredMs} ms, replaced after ${replacedMs} ms (was controller: ${wasController})`);

  cluster.resume(old);
  const answers = await Promise.all(queued.map(async (q) => ({ value: q.value, r: (await q.res.catch((e: unknown) => ({ error: String(e) }))) as { responses?: { partitionResponses: { errorCode: number; baseOffset: bigint }[] }[]; error?: string } })));
  const answered = answers.map((a) => ({ value: a.value, p: a.r.responses?.[0]?.partitionResponses[0], error: a.r.error }));
  console.log(`# queued requests answered by the old leader: ${answered.map((a) => `${a.value}: ${a.p !== undefined ? `error ${a.p.errorCode} offset ${a.p.baseOffset}` : a.error}`).join('; ')}`);
  // Fresh requests: NOT_LEADER_OR_FOLLOWER once it has the new image (until then it may fail otherwise, never succeed unless kept).
  const fresh: { value: string; offset: bigint }[] = [];
  let n = 0;
  const codes: number[] = [];
  await until('the old leader to answer NOT_LEADER_OR_FOLLOWER', async () => {
    const value = `fresh-${n++}`;
    const r = await direct.produce(topic, 0, batch(value), -1);
    codes.push(r.errorCode);
    if (r.errorCode === ErrorCode.NONE) fresh.push({ value, offset: r.baseOffset });
    return r.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER;
  }).catch((e: unknown) => {
    throw new Error(`${String(e)}; answers: ${[...new Set(codes)].join(',')}`);
  });
  // It follows again: back in the ISR everywhere.
  await isrEverywhere(cluster, topic, [1, 2, 3]);
  assert.equal(await producer.finish(), 0, producer.stderr());
  const failed = producer.lines.filter((l) => l.msg['err'] !== undefined || l.msg['fatal'] === true);
  assert.deepEqual(failed.map((l) => l.msg), []);

  const log = await logOfLeader(cluster, topic);
  for (const a of acked()) assert.equal(log.get(a.o), a.v, `producer's acknowledged ${a.v} at ${a.o}`);
  for (const a of answered) if (a.p?.errorCode === 0) assert.equal(log.get(Number(a.p.baseOffset)), a.value, `${a.value} acknowledged by the frozen leader at ${a.p.baseOffset}`);
  for (const f of fresh) assert.equal(log.get(Number(f.offset)), f.value, `${f.value} acknowledged after SIGCONT at ${f.offset}`);
  const values = [...log.values()];
  assert.equal(new Set(values).size, values.length, 'a value twice in the log');
  // The old leader's files hold the leader's log (whatever it appended alone is gone).
  const end = Math.max(...log.keys()) + 1;
  const mine = await until('the old leader to hold the whole log', () => {
    const m = logOnDisk(cluster.broker(old).dataDir, topic);
    return m.size >= end ? m : undefined;
  });
  assert.deepEqual([...mine].filter(([o]) => o < end), [...log], 'old leader log = leader log');
  const out = cluster.broker(old).proc?.output() ?? '';
  console.log(`# old leader truncation: ${/truncating the log from \d+ to \d+/.exec(out)?.[0] ?? 'none needed (it appended nothing alone)'}`);
});

test('a follower killed while its partition is written truncates, catches up and rejoins the ISR', { timeout: 180_000 }, async (t) => {
  const cluster = await startProcessCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3 });
  t.after(() => cluster.stop());
  const topic = 'follower-down';
  await createTopic(cluster, topic);
  const st = await isrEverywhere(cluster, topic, [1, 2, 3]);
  const follower = [1, 2, 3].find((id) => id !== st.leader) as number;
  const c = await WireClient.connect(cluster.broker(st.leader).port);
  t.after(() => c.close());
  for (let i = 0; i < 20; i++) assert.equal((await c.produce(topic, 0, batch(`before-${i}`), -1)).errorCode, 0);
  await cluster.kill(follower);
  const killedAt = performance.now();
  // acks=all waits until the controller drops the dead follower from the ISR; then 2 replicas suffice.
  for (let i = 0; i < 200; i++) {
    const r = await c.produce(topic, 0, batch(`during-${i}`), -1);
    assert.equal(r.errorCode, 0, `during-${i}: ${r.errorCode} ${r.errorMessage}`);
  }
  const others = [1, 2, 3].filter((id) => id !== follower);
  await isrEverywhere(cluster, topic, others);
  console.log(`# 200 records written while follower ${follower} was down (${Math.round(performance.now() - killedAt)} ms after the kill)`);
  await cluster.restart(follower);
  const restartedAt = performance.now();
  await isrEverywhere(cluster, topic, [1, 2, 3]);
  console.log(`# follower ${follower} back in the ISR ${Math.round(performance.now() - restartedAt)} ms after its restart`);
  const log = await logOfLeader(cluster, topic);
  assert.equal(log.size, 220);
  const mine = await until('the follower to hold the whole log', () => {
    const m = logOnDisk(cluster.broker(follower).dataDir, topic);
    return m.size >= 220 ? m : undefined;
  });
  assert.deepEqual([...mine], [...log]);
});
