/**
 * Must-show 1 of the cluster issue: three broker processes on a real etcd, a topic with RF 3 and
 * min.insync.replicas=2, a confluent-kafka idempotent acks=all producer and a consumer group
 * (confluent-kafka, manual commits) running throughout, and FAILOVER_ROUNDS (default 30) rounds of
 * kill -9 of a partition leader, chosen in turn as the controller, the group coordinator's host and
 * any leader; the victim restarts on its data dir and rejoins the ISR before the next round.
 * Checked: every acknowledged record is in the log at its acknowledged offset with its value, no
 * value twice; produce to the victim's partition resumes after each kill (min/median/max printed);
 * the consumer reads every acknowledged record and never restarts below an offset it committed
 * (committed offsets survive coordinator moves), and its final committed offsets are its last ones.
 * The consumer-group checks need coordinators that follow their partitions' leadership (branch
 * coordinator-failover); the producer's are checked first. A round takes about 2.5 s (30 rounds
 * about 80 s with the set-up).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { createReplicatedTopics, startProcessCluster, until, type ProcessCluster } from '../helpers/cluster-process.js';
import { startPythonConsumer, startPythonProducer, stopAfterTest } from '../helpers/failover-clients.js';
import { acksOf, assertLogsHoldAcks, finishProducer, type Ack } from '../helpers/acked-records.js';

const fx = useEtcd({ before, after });
const ROUNDS = Number(process.env['FAILOVER_ROUNDS'] ?? 30);
const TOPIC = 'failover';
const PARTITIONS = 3;
const GROUP = 'failover-group';
/** Less than half of FAST_CLUSTER_CONFIG's broker.session.timeout.ms (2000). */
const OLD_ACK_WINDOW_MS = 500;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

async function fullIsr(cluster: ProcessCluster, topics: string[], partitions: Record<string, number>): Promise<void> {
  await until(
    'every partition led with a full ISR',
    async () => {
      const md = await cluster.metadata(topics);
      if (md.brokers.length !== cluster.brokers.length) return false;
      for (const t of topics) {
        for (let p = 0; p < (partitions[t] ?? 0); p++) {
          const s = md.partitions.get(`${t}-${p}`);
          if (s === undefined || s.leader < 0 || s.isr.length !== cluster.brokers.length) return false;
        }
      }
      return md;
    },
    60_000,
  );
}

test(`confluent-kafka idempotent producer and a consumer group through ${ROUNDS} kill -9 rounds of a partition leader`, { timeout: 20 * 60_000 }, async (t) => {
  const cluster = await startProcessCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3 });
  const track = stopAfterTest(t, cluster);
  await createReplicatedTopics(cluster.broker(1).port, [{ name: TOPIC, partitions: PARTITIONS }]);
  await fullIsr(cluster, [TOPIC], { [TOPIC]: PARTITIONS });
  const producer = track(startPythonProducer({ bootstrap: cluster.bootstrap(), topic: TOPIC, partitions: PARTITIONS, interval: 0.01 }));
  const consumer = track(startPythonConsumer({ bootstrap: cluster.bootstrap(), topic: TOPIC, partitions: PARTITIONS, group: GROUP, ...(process.env['CONSUMER_DEBUG'] ? { debug: process.env['CONSUMER_DEBUG'] } : {}) }));
  const acks = (): Ack[] => acksOf(producer.lines);
  await until('the producer to be acknowledged on every partition', () => new Set(acks().map((a) => a.p)).size === PARTITIONS, 60_000);
  // (The consumer is checked at the end, after the producer's guarantees.)
  const resumeMs: number[] = [];
  const kinds = { controller: 0, coordinator: 0, other: 0 };
  const roundStarted: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    roundStarted.push(performance.now());
    // The group coordinator's partitions too, so that no round kills their last in-sync copy.
    await fullIsr(cluster, [TOPIC, '__consumer_offsets'], { [TOPIC]: PARTITIONS, __consumer_offsets: 3 });
    const md = await cluster.metadata([TOPIC]);
    const coordinator = await until('a group coordinator', async () => {
      const c = await cluster.groupCoordinator(GROUP);
      return c >= 0 ? c : undefined;
    });
    const leaders = new Map<number, number[]>();
    for (let p = 0; p < PARTITIONS; p++) {
      const l = (md.partitions.get(`${TOPIC}-${p}`) as { leader: number }).leader;
      leaders.set(l, [...(leaders.get(l) ?? []), p]);
    }
    const wanted = round % 3 === 0 ? md.controllerId : round % 3 === 1 ? coordinator : [...leaders.keys()][round % leaders.size];
    const victim = leaders.has(wanted as number) ? (wanted as number) : (md.partitions.get(`${TOPIC}-${round % PARTITIONS}`) as { leader: number }).leader;
    const victimPartitions = leaders.get(victim) ?? [];
    if (victim === md.controllerId) kinds.controller++;
    if (victim === coordinator) kinds.coordinator++;
    if (victim !== md.controllerId && victim !== coordinator) kinds.other++;
    const ackedBefore = producer.lines.length;
    const killedAt = performance.now();
    await cluster.kill(victim);
    // Produce resumes: a new acknowledgement on each partition the victim led.
    const resumed = await until(
      `round ${round}: produce to partitions ${victimPartitions.join(',')} to resume after killing broker ${victim}`,
      () => {
        // Acks arriving within OLD_ACK_WINDOW_MS of the kill were sent by the old leader before it
        // died (no new leader can exist before its lease of broker.session.timeout.ms expires).
        const after = producer.lines
          .slice(ackedBefore)
          .filter((l) => l.at - killedAt > OLD_ACK_WINDOW_MS && typeof l.msg['o'] === 'number' && victimPartitions.includes(l.msg['p'] as number));
        const seen = new Map<number, number>();
        for (const l of after) if (!seen.has(l.msg['p'] as number)) seen.set(l.msg['p'] as number, l.at);
        return seen.size === victimPartitions.length ? Math.max(...seen.values()) : undefined;
      },
      60_000,
    );
    resumeMs.push(Math.round(resumed - killedAt));
    await cluster.restart(victim);
  }
  await fullIsr(cluster, [TOPIC], { [TOPIC]: PARTITIONS });
  const roundMs = roundStarted.slice(1).map((s, i) => s - (roundStarted[i] as number));
  console.log(`# ${ROUNDS} rounds: victims controller ${kinds.controller}, coordinator host ${kinds.coordinator}, other ${kinds.other}`);
  console.log(`# produce resumption after kill -9 (ms): min ${Math.min(...resumeMs)} median ${median(resumeMs)} max ${Math.max(...resumeMs)}; all: ${resumeMs.join(' ')}`);
  if (roundMs.length > 0) console.log(`# round length (ms): min ${Math.round(Math.min(...roundMs))} median ${Math.round(median(roundMs))} max ${Math.round(Math.max(...roundMs))}`);
  assert.ok(kinds.controller > 0, 'no round killed the controller');
  assert.ok(kinds.coordinator > 0, 'no round killed the group coordinator host');

  // Stop producing; every message must have been delivered.
  const acked = await finishProducer(producer);

  // Every acknowledged record at its offset, no duplicates, nothing else in the log.
  const ends = await assertLogsHoldAcks(cluster, TOPIC, PARTITIONS, acked);
  console.log(`# ${acked.length} records acknowledged and read back (${ends.join('/')} per partition)`);

  // The consumer group reads everything; it never went back below an offset it had committed.
  const cons = consumer;
  await until(
    'the consumer to read every acknowledged record',
    () => {
      const got = new Set(cons.lines.filter((l) => l.msg['c'] !== undefined).map((l) => `${(l.msg['c'] as number[])[0]}:${(l.msg['c'] as number[])[1]}`));
      return acked.every((a) => got.has(`${a.p}:${a.o}`));
    },
    60_000,
  );
  await until('the consumer to commit its last positions', () => {
    const last = new Map<number, number>();
    for (const l of cons.lines) for (const [p, o, e] of (l.msg['committed'] as [number, number, string | null][] | undefined) ?? []) if (e === null) last.set(p, Math.max(last.get(p) ?? 0, o));
    return ends.every((e, p) => last.get(p) === e);
  });
  assert.equal(await cons.finish(), 0, cons.stderr());
  const maxCommitted = new Map<number, number>();
  const regressions: string[] = [];
  let redelivered = 0;
  const seen = new Set<string>();
  for (const l of cons.lines) {
    const c = l.msg['c'] as [number, number, string] | undefined;
    if (c !== undefined) {
      const [p, o] = c;
      if (o < (maxCommitted.get(p) ?? 0)) regressions.push(`partition ${p}: offset ${o} delivered after ${maxCommitted.get(p)} was committed`);
      if (seen.has(`${p}:${o}`)) redelivered++;
      seen.add(`${p}:${o}`);
    }
    for (const [p, o, e] of (l.msg['committed'] as [number, number, string | null][] | undefined) ?? []) if (e === null) maxCommitted.set(p, Math.max(maxCommitted.get(p) ?? 0, o));
  }
  const final = cons.lines.find((l) => l.msg['final'] !== undefined)?.msg['final'] as [number, number][] | undefined;
  const commitErrors = cons.lines.filter((l) => l.msg['commitErr'] !== undefined).length;
  console.log(`# consumer: ${seen.size} records, ${redelivered} redelivered, ${commitErrors} failed commits, final committed ${JSON.stringify(final)}`);
  assert.deepEqual(regressions.slice(0, 10), [], 'the consumer restarted below a committed offset (a commit was lost)');
  assert.deepEqual(final, ends.map((e, p) => [p, e]), 'final committed offsets');
});
