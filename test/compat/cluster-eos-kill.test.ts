/**
 * Must-show 4 of the cluster issue: an exactly-once consume-transform-produce loop keeps
 * exactly-once output while brokers are killed. Three broker processes on a real etcd; the input
 * and output topics, __transaction_state and __consumer_offsets all have RF 3 and
 * min.insync.replicas 2. A confluent-kafka idempotent producer feeds the input throughout; a
 * confluent-kafka EOS worker (eos-clients.ts: read_committed group consumer + transactional
 * producer, send_offsets_to_transaction) transforms it; EOS_FAILOVER_ROUNDS (default 12) rounds
 * kill -9 a broker chosen in turn as the transaction coordinator of the worker's transactional id
 * (FindCoordinator key type 1), a leader of an input or output partition, and the controller, or
 * (every fourth round) SIGSTOP the transaction coordinator until another broker coordinates the
 * id, then SIGCONT it (a zombie coordinator that learns it was replaced); a killed victim restarts
 * on its data dir and the next round waits for full ISRs. Checked at the end: the output read with
 * read_committed holds `out-<v>` exactly once for every value v in the input log,
 * and nothing else. Printed: rounds by kind, records, transactions, the stall after each kill (kill
 * to the worker's next committed transaction).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { createReplicatedTopics, startProcessCluster, until, type ProcessCluster } from '../helpers/cluster-process.js';
import { startPythonProducer, type LineProcess } from '../helpers/failover-clients.js';
import { startCommittedReader, startEosWorker } from '../helpers/eos-clients.js';
import { WireClient } from '../helpers/wire.js';

const fx = useEtcd({ before, after });
const ROUNDS = Number(process.env['EOS_FAILOVER_ROUNDS'] ?? 12);
/**
 * EOS_LONG_PAUSE=1: a stopped coordinator stays stopped until the worker commits through its
 * successor; the worker's requests to it (often also a partition leader) hang until librdkafka's
 * timeouts, its transaction times out at the new coordinator, which aborts it and fences the
 * producer, and the worker starts a new one (stalls of 15-25 s, Kafka's behaviour too).
 */
const LONG_PAUSE = process.env['EOS_LONG_PAUSE'] === '1';
const IN = 'eos-in';
const OUT = 'eos-out';
const IN_PARTITIONS = 3;
const OUT_PARTITIONS = 2;
const GROUP = 'eos-group';
const TXN_ID = 'eos-worker';
/** Less than half of FAST_CLUSTER_CONFIG's broker.session.timeout.ms (2000): commits this soon after a kill may be the old coordinator's. */
const OLD_COMMIT_WINDOW_MS = 500;
const INTERNAL = { __consumer_offsets: 3, __transaction_state: 3 };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

async function fullIsr(cluster: ProcessCluster, partitions: Record<string, number>): Promise<void> {
  await until(
    'every partition led with a full ISR',
    async () => {
      const md = await cluster.metadata(Object.keys(partitions));
      if (md.brokers.length !== cluster.brokers.length) return false;
      for (const [t, n] of Object.entries(partitions)) {
        for (let p = 0; p < n; p++) {
          const s = md.partitions.get(`${t}-${p}`);
          if (s === undefined || s.leader < 0 || s.isr.length !== cluster.brokers.length) return false;
        }
      }
      return true;
    },
    60_000,
  );
}

/** The transaction coordinator of `transactionalId` (FindCoordinator v4, key type 1); -1 when none. */
async function txnCoordinator(cluster: ProcessCluster, transactionalId: string): Promise<number> {
  const b = cluster.live()[0];
  if (b === undefined) return -1;
  const c = await WireClient.connect(b.port);
  try {
    const res = await c.request(10, 4, { keyType: 1, coordinatorKeys: [transactionalId] });
    const co = res.coordinators[0] as { errorCode: number; nodeId: number };
    return co.errorCode === 0 ? co.nodeId : -1;
  } finally {
    c.close();
  }
}

/** Every value of `topic`'s log (read_uncommitted from the leaders; the input has no transactions). */
async function logValues(cluster: ProcessCluster, topic: string, partitions: number): Promise<string[]> {
  const md = await cluster.metadata([topic]);
  const values: string[] = [];
  for (let p = 0; p < partitions; p++) {
    const leader = (md.partitions.get(`${topic}-${p}`) as { leader: number }).leader;
    const c = await WireClient.connect(cluster.broker(leader).port);
    try {
      const { batches } = await c.fetchAll(topic, p);
      for (const b of batches) for (const r of b.records) values.push(r.value?.toString() ?? '');
    } finally {
      c.close();
    }
  }
  return values;
}

test(`confluent-kafka EOS consume-transform-produce keeps exactly-once output through ${ROUNDS} kill -9 rounds (transaction coordinator, partition leaders, controller)`, { timeout: 20 * 60_000 }, async (t) => {
  const cluster = await startProcessCluster({
    endpoints: fx.etcd.endpoints,
    prefix: fx.prefix(),
    size: 3,
    config: {
      'offsets.topic.replication.factor': 3,
      'transaction.state.log.replication.factor': 3,
      'transaction.state.log.min.isr': 2,
      'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1000,
    },
  });
  let feeder: LineProcess | undefined;
  let worker: LineProcess | undefined;
  let reader: LineProcess | undefined;
  t.after(async () => {
    await feeder?.kill();
    await worker?.kill();
    await reader?.kill();
    await cluster.stop();
  });
  try {
    await createReplicatedTopics(cluster.broker(1).port, [{ name: IN, partitions: IN_PARTITIONS }, { name: OUT, partitions: OUT_PARTITIONS }]);
    await fullIsr(cluster, { [IN]: IN_PARTITIONS, [OUT]: OUT_PARTITIONS });
    feeder = startPythonProducer({ bootstrap: cluster.bootstrap(), topic: IN, partitions: IN_PARTITIONS, interval: 0.01 });
    worker = startEosWorker({ bootstrap: cluster.bootstrap(), in: IN, out: OUT, group: GROUP, txnId: TXN_ID, txnTimeoutMs: 10_000, batch: 50, pauseMs: 100 });
    const w = worker;
    const commits = (): { at: number; pos: [number, number][] }[] => w.lines.filter((l) => l.msg['txn'] !== undefined).map((l) => ({ at: l.at, pos: l.msg['pos'] as [number, number][] }));
    await until('the worker to commit a transaction', () => commits().length > 0, 60_000);
    // The internal topics exist now (the worker found its coordinators).
    const all = { [IN]: IN_PARTITIONS, [OUT]: OUT_PARTITIONS, ...INTERNAL };

    const stallMs: number[] = [];
    const kinds = { txnCoordinator: 0, leader: 0, controller: 0, paused: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      await fullIsr(cluster, all);
      const md = await cluster.metadata([IN, OUT]);
      const coordinator = await until('a transaction coordinator', async () => {
        const c = await txnCoordinator(cluster, TXN_ID);
        return c >= 0 ? c : undefined;
      });
      const leaders = [...Array(IN_PARTITIONS).keys()].map((p) => (md.partitions.get(`${IN}-${p}`) as { leader: number }).leader).concat([...Array(OUT_PARTITIONS).keys()].map((p) => (md.partitions.get(`${OUT}-${p}`) as { leader: number }).leader));
      const kind = round % 4;
      const victim = kind === 0 || kind === 3 ? coordinator : kind === 1 ? (leaders[Math.floor(round / 4) % leaders.length] as number) : md.controllerId;
      if (kind === 3) kinds.paused++;
      else {
        if (victim === coordinator) kinds.txnCoordinator++;
        if (leaders.includes(victim)) kinds.leader++;
        if (victim === md.controllerId) kinds.controller++;
      }
      const before = commits().length;
      const killedAt = performance.now();
      // Kind 3: SIGSTOP past its lease, so that it is replaced, then SIGCONT (a zombie coordinator).
      if (kind === 3) cluster.pause(victim);
      else await cluster.kill(victim);
      if (kind === 3 && !LONG_PAUSE) {
        // Until another broker coordinates the transactional id, then SIGCONT: the stopped one learns it was replaced.
        await until(`round ${round}: a new transaction coordinator after broker ${victim} was stopped`, async () => {
          const c = await txnCoordinator(cluster, TXN_ID);
          return c >= 0 && c !== victim;
        }, 60_000);
        cluster.resume(victim);
      }
      const resumed = await until(
        `round ${round}: the worker to commit a transaction after broker ${victim} was ${kind === 3 ? 'stopped' : 'killed'}`,
        () => commits().slice(before).find((c) => c.at - killedAt > OLD_COMMIT_WINDOW_MS)?.at,
        60_000,
      );
      stallMs.push(Math.round(resumed - killedAt));
      if (kind !== 3) await cluster.restart(victim);
      else if (LONG_PAUSE) cluster.resume(victim);
    }
    await fullIsr(cluster, all);
    console.log(`# ${ROUNDS} rounds: kill -9 of the transaction coordinator ${kinds.txnCoordinator}, of an input/output leader ${kinds.leader}, of the controller ${kinds.controller} times; SIGSTOP/SIGCONT of the transaction coordinator ${kinds.paused} times`);
    console.log(`# kill (or stop) to the next committed transaction (ms): min ${Math.min(...stallMs)} median ${median(stallMs)} max ${Math.max(...stallMs)}; all: ${stallMs.join(' ')}`);
    assert.ok(kinds.txnCoordinator > 0 && kinds.leader > 0 && kinds.controller > 0 && (ROUNDS < 4 || kinds.paused > 0), JSON.stringify(kinds));

    // The input ends; the worker transforms all of it.
    const code = await feeder.finish();
    assert.equal(code, 0, `feeder exit ${code}: ${feeder.stderr()}`);
    const inValues = await logValues(cluster, IN, IN_PARTITIONS);
    assert.equal(new Set(inValues).size, inValues.length, 'a value twice in the input');
    const md = await cluster.metadata([IN]);
    const ends = await Promise.all([...Array(IN_PARTITIONS).keys()].map(async (p) => {
      const c = await WireClient.connect(cluster.broker((md.partitions.get(`${IN}-${p}`) as { leader: number }).leader).port);
      try {
        return Number((await c.fetchAll(IN, p)).highWatermark);
      } finally {
        c.close();
      }
    }));
    await until(
      'the worker to commit every input offset',
      () => {
        const last = new Map<number, number>();
        for (const c of commits()) for (const [p, o] of c.pos) last.set(p, Math.max(last.get(p) ?? 0, o));
        return ends.every((e, p) => last.get(p) === e);
      },
      120_000,
    );
    assert.equal(await w.finish(), 0, w.stderr());
    // The group's committed offsets (as its coordinator has them, stable: no open transaction) are the input's ends.
    const committedOffsets = await until('the committed offsets from the group coordinator', async () => {
      const co = await cluster.groupCoordinator(GROUP);
      if (co < 0) return undefined;
      const c = await WireClient.connect(cluster.broker(co).port);
      try {
        const r = await c.request(9, 8, { groups: [{ groupId: GROUP, topics: [{ name: IN, partitionIndexes: [...Array(IN_PARTITIONS).keys()] }] }], requireStable: true });
        const g = r.groups[0] as { errorCode: number; topics: { partitions: { partitionIndex: number; committedOffset: bigint; errorCode: number }[] }[] };
        if (g.errorCode !== 0 || g.topics[0]?.partitions.some((x) => x.errorCode !== 0)) return undefined;
        return [...(g.topics[0]?.partitions ?? [])].sort((a, b) => a.partitionIndex - b.partitionIndex).map((x) => Number(x.committedOffset));
      } finally {
        c.close();
      }
    });
    assert.deepEqual(committedOffsets, ends, 'the group committed every input offset');
    const failures = w.lines.filter((l) => l.msg['txnErr'] !== undefined || l.msg['recoverErr'] !== undefined).map((l) => JSON.stringify(l.msg));
    console.log(`# ${inValues.length} input records, ${commits().length} transactions committed, ${failures.length} failed transaction steps${failures.length > 0 ? `: ${failures.slice(0, 5).join(' ')}` : ''}`);

    reader = startCommittedReader({ bootstrap: cluster.bootstrap(), topic: OUT, partitions: OUT_PARTITIONS });
    const r = reader;
    const out = await until('the read_committed reader to reach the end of the output', () => r.lines.find((l) => l.msg['values'] !== undefined)?.msg['values'] as Record<string, string[]> | undefined, 60_000);
    const outValues = Object.values(out).flat();
    const counts = new Map<string, number>();
    for (const v of outValues) counts.set(v, (counts.get(v) ?? 0) + 1);
    const duplicates = [...counts].filter(([, n]) => n > 1).map(([v, n]) => `${v} x${n}`);
    const missing = inValues.filter((v) => !counts.has(`out-${v}`));
    const inSet = new Set(inValues);
    const extra = outValues.filter((v) => !inSet.has(v.slice(4)));
    console.log(`# output: ${outValues.length} records read_committed, ${duplicates.length} duplicated, ${missing.length} missing, ${extra.length} unexpected`);
    assert.deepEqual(duplicates.slice(0, 20), [], 'input records transformed twice');
    assert.deepEqual(missing.slice(0, 20), [], 'input records never transformed');
    assert.deepEqual(extra.slice(0, 20), [], 'output records that match no input');
    assert.equal(outValues.length, inValues.length);
    if (process.env['EOS_LOGS'] !== undefined) console.log(cluster.output());
  } catch (e) {
    console.log(cluster.output());
    if (worker !== undefined) console.log(`--- worker ---\n${worker.lines.filter((l) => l.msg['txn'] === undefined).map((l) => JSON.stringify(l.msg)).join('\n')}\n${worker.stderr()}`);
    throw e;
  }
});
