/**
 * A leader cut off from etcd past its lease (three broker processes, fault harness) was replaced
 * without knowing it: its metadata still names it leader, and its log ends below what the new
 * leader has committed since. A consumer sent to it by that stale metadata (librdkafka 2.0 follows
 * any Metadata answer and sends no leader epoch) at an offset it read from the new leader gets
 * NOT_LEADER_OR_FOLLOWER, not OFFSET_OUT_OF_RANGE (which librdkafka answers with
 * auto.offset.reset: a group member restarts at offset 0, below its commits, the likely cause of
 * the cluster chaos test's CI failure). src/broker/follower-reads.ts. Healed, the old leader follows; the new
 * leader, sure of its leadership, still says OFFSET_OUT_OF_RANGE past its log end.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useEtcd } from '../helpers/etcd.js';
import { createReplicatedTopics, fullIsrLeader, startProcessCluster, until } from '../helpers/cluster-process.js';
import { FaultNet } from '../helpers/fault-net.js';
import { withClient } from '../helpers/wire.js';
import { ErrorCode } from '../../src/common/error-codes.js';

const fx = useEtcd({ before, after });
const TOPIC = 'stale';

/** A consumer's Fetch v11 of partition 0 at `offset`, without a leader epoch and without a rack (librdkafka 2.0). */
function consumerFetch(port: number, offset: bigint): Promise<{ errorCode: number; records: Buffer | null }> {
  return withClient(port, (c) => c.fetchOnce(TOPIC, 0, offset, 1 << 20, 0, { version: 11 }));
}

function produce(port: number, prefix: string, n: number): Promise<void> {
  return withClient(port, (c) => c.produceNumbered(TOPIC, prefix, n));
}

test('a leader replaced while cut off from etcd answers a consumer past its log end NOT_LEADER_OR_FOLLOWER, not OFFSET_OUT_OF_RANGE', { timeout: 5 * 60_000 }, async (t) => {
  const net = new FaultNet();
  const cluster = await startProcessCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 3, faults: net });
  t.after(async () => {
    net.heal();
    await cluster.stop();
    await net.close();
  });
  await createReplicatedTopics(cluster.broker(1).port, [{ name: TOPIC }]);
  const state = async (via?: number) => (await cluster.metadata([TOPIC], via)).partitions.get(`${TOPIC}-0`);
  const first = await fullIsrLeader(cluster, TOPIC);
  const old = first.leader;
  const others = [1, 2, 3].filter((n) => n !== old);
  await produce(cluster.broker(old).port, 'a', 5);

  // Cut from etcd only: the brokers and clients still reach it; its lease expires, the others elect.
  net.cut(`b${old}`, 'etcd');
  const next = await until('the others to elect a new leader', async () => {
    const s = await state(others[0]);
    if (s === undefined || s.leader < 0 || s.leader === old) return undefined;
    // The new leader itself must have applied the change before it takes produce (CI once saw
    // others[0] name it a moment before it knew: NOT_LEADER_OR_FOLLOWER on the first record).
    return (await state(s.leader))?.leader === s.leader ? s : undefined;
  }, 60_000);
  await produce(cluster.broker(next.leader).port, 'b', 10);
  const stale = await state(old);
  assert.equal(stale?.leader, old, 'the cut-off broker still names itself leader (the stale Metadata a client may follow)');

  // Offset 15 exists at the new leader; the old one ends at 5.
  const past = await consumerFetch(cluster.broker(old).port, 15n);
  assert.equal(past.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the replaced leader must not say OFFSET_OUT_OF_RANGE');
  const fromNew = await consumerFetch(cluster.broker(next.leader).port, 15n);
  assert.equal(fromNew.errorCode, ErrorCode.NONE, 'offset 15 is the new leader\'s log end');

  net.heal();
  await until('the old leader back in the ISR', async () => {
    const s = await state(others[0]);
    return s !== undefined && s.leader === next.leader && s.isr.length === 3;
  }, 60_000);
  // Once it follows, the old leader sends consumers to the leader; the leader, sure of its leadership, decides.
  await until('the old leader to answer NOT_LEADER_OR_FOLLOWER at offset 0', async () => (await consumerFetch(cluster.broker(old).port, 0n)).errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER, 30_000);
  assert.equal((await consumerFetch(cluster.broker(next.leader).port, 1000n)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
});
