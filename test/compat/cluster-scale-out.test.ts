/**
 * Must-show 2 of issue 14: grow from three to four broker processes under load with
 * `samsa reassign --generate/--execute/--verify` (CLI processes), then decommission a broker the
 * same way. A confluent-kafka idempotent acks=all producer writes throughout. Checked: after the
 * growth every broker holds a balanced share of the replicas (⌊6·3/4⌋ or ⌈6·3/4⌉) and the new
 * broker holds some; after the decommission broker 1 holds none (then it stops and its
 * registration goes); no delivery failed and no fatal error (retriable errors are counted and
 * printed); every acknowledged record is read back at its offset from the current leaders, no
 * value twice. The time each reassignment took to complete is printed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useEtcd } from '../helpers/etcd.js';
import { createReplicatedTopics, startProcessCluster, until, type ProcessCluster } from '../helpers/cluster-process.js';
import { startPythonProducer, type LineProcess } from '../helpers/failover-clients.js';
import { acksOf, assertLogsHoldAcks, finishProducer, type Ack } from '../helpers/acked-records.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';
import { assertOk, samsaCli } from '../helpers/samsa-cli.js';

const fx = useEtcd({ before, after });
const TOPIC = 'grow';
const PARTITIONS = 6;

/** Replica count per broker of TOPIC, as the metadata has it. */
async function replicaCounts(cluster: ProcessCluster, via?: number): Promise<Map<number, number>> {
  const md = await cluster.metadata([TOPIC], via);
  const counts = new Map<number, number>();
  for (let p = 0; p < PARTITIONS; p++) for (const r of md.partitions.get(`${TOPIC}-${p}`)?.replicas ?? []) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/** --generate for `brokers`, then --execute, then --verify until complete; returns the milliseconds to completion. */
async function reassign(cluster: ProcessCluster, dir: string, brokers: string, via: number): Promise<number> {
  const bootstrap = `127.0.0.1:${cluster.broker(via).port}`;
  const topicsFile = join(dir, 'topics.json');
  writeFileSync(topicsFile, JSON.stringify({ version: 1, topics: [{ topic: TOPIC }] }));
  const gen = await samsaCli(['reassign', '--generate', '--topics-to-move-json-file', topicsFile, '--broker-list', brokers], { bootstrap });
  assertOk(gen, 'reassign --generate');
  const m = /Proposed partition reassignment configuration\n(\{.*\})\n/.exec(gen.stdout);
  assert.ok(m, `no proposal in:\n${gen.stdout}`);
  const planFile = join(dir, `plan-${brokers}.json`);
  writeFileSync(planFile, m[1] as string);
  const started = performance.now();
  const ex = await samsaCli(['reassign', '--execute', '--reassignment-json-file', planFile], { bootstrap });
  assertOk(ex, 'reassign --execute');
  assert.match(ex.stdout, /Save this to use as the --reassignment-json-file option during rollback/);
  assert.match(ex.stdout, /Successfully started partition reassignments for grow-\d/);
  await until(
    `reassign --verify to report every partition completed (brokers ${brokers})`,
    async () => {
      const v = await samsaCli(['reassign', '--verify', '--reassignment-json-file', planFile], { bootstrap });
      assertOk(v, 'reassign --verify');
      return v.stdout.includes('All partition reassignments are complete.') ? v : undefined;
    },
    120_000,
  );
  return Math.round(performance.now() - started);
}

test('scale out 3 → 4 brokers and decommission one with samsa reassign while a confluent-kafka producer writes', { timeout: 10 * 60_000 }, async (t) => {
  const cluster = await startProcessCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 4, initial: 3, config: { 'auto.leader.rebalance.enable': 'false' } });
  const dir = tempDir('samsa-reassign-plans-');
  let producer: LineProcess | undefined;
  t.after(async () => {
    await producer?.kill();
    await cluster.stop();
    removeDir(dir);
  });
  try {
    await createReplicatedTopics(cluster.broker(1).port, [{ name: TOPIC, partitions: PARTITIONS }]);
    await until('a full ISR on every partition', async () => {
      const md = await cluster.metadata([TOPIC]);
      return [...Array(PARTITIONS).keys()].every((p) => md.partitions.get(`${TOPIC}-${p}`)?.isr.length === 3);
    }, 60_000);
    // Every broker's port is known up front (broker 4 starts later on a port chosen now).
    producer = startPythonProducer({ bootstrap: cluster.brokers.slice(0, 3).map((b) => `127.0.0.1:${b.port}`).join(','), topic: TOPIC, partitions: PARTITIONS, interval: 0.005 });
    const acks = (): Ack[] => acksOf((producer as LineProcess).lines);
    await until('the producer to be acknowledged on every partition', () => new Set(acks().map((a) => a.p)).size === PARTITIONS, 60_000);

    // Grow: broker 4 joins and holds nothing until the reassignment.
    await cluster.restart(4);
    await until('broker 4 registered', async () => (await cluster.metadata([TOPIC])).brokers.includes(4));
    assert.equal((await replicaCounts(cluster)).get(4) ?? 0, 0, 'a new broker receives data only when partitions are reassigned to it');
    const growMs = await reassign(cluster, dir, '1,2,3,4', 2);
    const grown = await replicaCounts(cluster, 4);
    console.log(`# after growing: replicas per broker ${JSON.stringify([...grown].sort((a, b) => a[0] - b[0]))}; reassignment completed in ${growMs} ms`);
    for (const id of [1, 2, 3, 4]) {
      const n = grown.get(id) ?? 0;
      assert.ok(n === Math.floor((PARTITIONS * 3) / 4) || n === Math.ceil((PARTITIONS * 3) / 4), `broker ${id} holds ${n} replicas: not balanced`);
    }
    const ackedAtGrowth = acks().length;
    await until('more records acknowledged after the growth', () => acks().length > ackedAtGrowth + 50, 60_000);

    // Decommission broker 1: everything off it, then it stops.
    const shrinkMs = await reassign(cluster, dir, '2,3,4', 3);
    const shrunk = await replicaCounts(cluster, 3);
    console.log(`# after decommissioning broker 1: replicas per broker ${JSON.stringify([...shrunk].sort((a, b) => a[0] - b[0]))}; reassignment completed in ${shrinkMs} ms`);
    assert.equal(shrunk.get(1) ?? 0, 0, 'broker 1 still holds replicas');
    for (const id of [2, 3, 4]) assert.equal(shrunk.get(id), PARTITIONS, `broker ${id} holds ${shrunk.get(id)} replicas`);
    await cluster.kill(1);
    await until('broker 1 unregistered', async () => !(await cluster.metadata([TOPIC], 2)).brokers.includes(1), 30_000);
    const ackedAtDecommission = acks().length;
    await until('more records acknowledged with broker 1 gone', () => acks().length > ackedAtDecommission + 50, 60_000);

    const acked = await finishProducer(producer);
    const retriable = producer.lines.filter((l) => l.msg['error'] !== undefined);
    console.log(`# producer: ${retriable.length} retriable error callbacks${retriable.length > 0 ? ` (${[...new Set(retriable.map((l) => String(l.msg['error'])))].slice(0, 3).join('; ')})` : ''}`);

    await assertLogsHoldAcks(cluster, TOPIC, PARTITIONS, acked, 2);
    console.log(`# ${acked.length} records acknowledged and read back`);
  } catch (e) {
    console.log(cluster.output());
    throw e;
  }
});
