/**
 * The group and transaction coordinators fail over with their `__consumer_offsets` /
 * `__transaction_state` partitions (three in-process brokers on a real etcd, real kafkajs clients):
 * - a consumer group consumes an RF 3 topic committing after each record; the broker that is its
 *   coordinator stops; the group goes on at the new leader of its offsets partition with its
 *   committed offsets (nothing committed is delivered again, everything is delivered);
 * - a transactional producer commits transactions spanning partitions led by different brokers
 *   (markers to other leaders go as WriteTxnMarkers); the broker coordinating its transactional id
 *   stops mid-way; the producer carries on at the new coordinator, and read_committed readers see
 *   every committed transaction whole, no aborted one, nothing twice.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Producer } from 'kafkajs';
import { useEtcd } from '../helpers/etcd.js';
import type { TestCluster } from '../helpers/cluster.js';
import { until, withCluster as withClusterOn, kafkaFor, leaderOf, createTopic, type Defer } from '../helpers/coordinator-failover.js';
import { partitionForGroup } from '../../src/group/java-hash.js';
import { partitionForTransactionalId } from '../../src/txn/txn-log.js';
import { readPartition, visibleRecords } from '../txn/helpers.js';

const fx = useEtcd({ before, after });

const withCluster = (body: (cluster: TestCluster, defer: Defer) => Promise<void>): Promise<void> => withClusterOn(fx, body);

test('a transactional producer carries on when its transaction coordinator stops; read_committed sees exactly the committed transactions', () => withCluster(txnFailover));

async function txnFailover(cluster: TestCluster, defer: Defer): Promise<void> {
  const topic = 'tf';
  const transactionalId = 'txn-failover';
  const kafka = kafkaFor(cluster, 'tf-test');
  await createTopic(kafka, cluster, topic, 3);
  const leaders = new Set([0, 1, 2].map((p) => leaderOf(cluster, topic, p)));
  assert.ok(leaders.size >= 2, `the partitions are led by different brokers (${[...leaders].join(',')})`);

  let producer: Producer | null = null;
  const open = async (): Promise<Producer> => {
    const p = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, transactionTimeout: 30_000 });
    await p.connect();
    return p;
  };
  defer(async () => producer?.disconnect());
  const committedTxns: number[] = [];
  const uncertain: number[] = [];
  const ROUNDS = 12;
  let lastError: unknown = null;
  let stopped: number | null = null;
  let stoppedAt = 0;
  let resumedMs: number | null = null;
  for (let n = 0; n < ROUNDS; n++) {
    if (n === 5) {
      stopped = leaderOf(cluster, '__transaction_state', partitionForTransactionalId(transactionalId, 3));
      assert.ok(stopped > 0);
      stoppedAt = performance.now();
      await cluster.stopBroker(stopped);
    }
    for (let attempt = 0; ; attempt++) {
      assert.ok(attempt < 20, `transaction ${n} did not commit after 20 attempts: ${String(lastError)}`);
      try {
        producer ??= await open();
        const txn = await producer.transaction();
        try {
          await txn.send({ topic, acks: -1, messages: [0, 1, 2].map((p) => ({ partition: p, key: `t${n}`, value: `t${n}-a${attempt}-p${p}` })) });
        } catch (e) {
          await txn.abort().catch(() => undefined);
          throw e;
        }
        try {
          await txn.commit();
        } catch (e) {
          uncertain.push(n * 100 + attempt);
          throw e;
        }
        committedTxns.push(n * 100 + attempt);
        if (stopped !== null && resumedMs === null) resumedMs = performance.now() - stoppedAt;
        break;
      } catch (e) {
        lastError = e;
        // The client gives up on this producer: a new one re-initializes (fencing the old epoch).
        await producer?.disconnect().catch(() => undefined);
        producer = null;
      }
    }
  }
  console.log(`transaction coordinator ${stopped} stopped: the next transaction committed ${resumedMs?.toFixed(0)} ms later; committed ${committedTxns.length}, uncertain ${uncertain.length}`);

  // Every partition settles (LSO = HW) and read_committed shows each committed transaction whole.
  const seen = new Map<string, string[]>();
  for (const p of [0, 1, 2]) {
    const read = await until(`${topic}-${p} to settle`, async () => {
      const leader = leaderOf(cluster, topic, p);
      if (leader <= 0) return undefined;
      const r = await readPartition(cluster.broker(leader).port, topic, p, 1).catch(() => undefined);
      return r !== undefined && r.lastStableOffset === r.highWatermark ? r : undefined;
    });
    for (const r of visibleRecords(read, true)) {
      const m = /^t(\d+)-a(\d+)-p(\d)$/.exec(r.value ?? '');
      assert.ok(m, `unexpected record ${r.value}`);
      const id = `${m[1]}-${m[2]}`;
      seen.set(id, [...(seen.get(id) ?? []), m[3] as string]);
    }
  }
  const asId = (x: number): string => `${Math.floor(x / 100)}-${x % 100}`;
  for (const c of committedTxns) assert.deepEqual(seen.get(asId(c))?.sort(), ['0', '1', '2'], `committed transaction ${asId(c)} is visible whole exactly once`);
  for (const [id, parts] of seen) {
    const x = Number(id.split('-')[0]) * 100 + Number(id.split('-')[1]);
    assert.ok(committedTxns.includes(x) || uncertain.includes(x), `transaction ${id} is visible but was aborted`);
    assert.deepEqual(parts.sort(), ['0', '1', '2'], `transaction ${id} is visible whole, once`);
  }
  const rounds = new Set(committedTxns.map((c) => Math.floor(c / 100)));
  assert.equal(rounds.size, ROUNDS, 'every round committed one transaction');
}
