/**
 * Requested leader elections (Kafka's ElectLeaders, key 43) and the automatic preferred-leader
 * rebalance (`auto.leader.rebalance.enable`), with the controller's rules and AlterPartition's
 * compare-and-swap.
 *
 * Kafka's rules, per partition:
 * - unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION.
 * - PREFERRED: the leader already is the first replica -> ELECTION_NOT_NEEDED; the first replica
 *   is not alive or not in the ISR -> PREFERRED_LEADER_NOT_AVAILABLE; else it becomes leader.
 * - UNCLEAN: the partition has a leader -> ELECTION_NOT_NEEDED; else a live ISR member in
 *   assignment order, else the first live replica (ISR of itself alone: data may be lost); none
 *   -> ELIGIBLE_LEADERS_NOT_AVAILABLE.
 * - Auto rebalance (every `leader.imbalance.check.interval.seconds`): for each broker, the share
 *   of the partitions whose preferred replica it is that it does not lead; above
 *   `leader.imbalance.per.broker.percentage` %, each such partition whose preferred replica is
 *   alive and in the ISR gets it back as leader.
 * Samsa deviation: Kafka routes ElectLeaders to the controller; Samsa's broker that receives it
 * writes the election itself (compare-and-swap on the partition epoch, so it never overrides a
 * change made meanwhile: a lost compare is read again, a few times).
 */
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { MetadataImage, PartitionImage } from '../metadata/image.js';
import type { PartitionStateWriter } from './controlled-shutdown.js';
import { electAfterFailures, electPreferred, type PartitionState } from './partition-elections.js';

export const ElectionKind = { preferred: 0, unclean: 1 } as const;
export type ElectionKind = (typeof ElectionKind)[keyof typeof ElectionKind];

const ATTEMPTS = 5;

function stateOf(p: PartitionImage): PartitionState {
  return { replicas: p.replicas, isr: p.isr, leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch ?? 0 };
}

function aliveOf(image: MetadataImage): Set<number> {
  return new Set(image.brokers().map((b) => b.nodeId));
}

/** The outcome of one partition's election: an error code (NONE when a new leader was written). */
function decide(image: MetadataImage, p: PartitionImage, kind: ElectionKind): PartitionState | number {
  const alive = aliveOf(image);
  const s = stateOf(p);
  if (kind === ElectionKind.preferred) {
    if (p.leader >= 0 && p.leader === p.replicas[0]) return ErrorCode.ELECTION_NOT_NEEDED;
    return electPreferred(s, alive) ?? ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE;
  }
  if (p.leader >= 0 && alive.has(p.leader)) return ErrorCode.ELECTION_NOT_NEEDED;
  const next = electAfterFailures(s, alive, true);
  return next !== null && next.leader >= 0 ? next : ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE;
}

/** Elects a leader of `topic`-`partition` by `kind`; resolves with the partition's error code. */
export async function electLeader(store: PartitionStateWriter, topic: string, partition: number, kind: ElectionKind): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const image = store.image();
    const t = image.topic(topic);
    const p = t?.partitions[partition];
    if (t === undefined || p === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const next = decide(image, p, kind);
    if (typeof next === 'number') return next;
    try {
      await store.alterPartition(t.topicId, partition, p.partitionEpoch ?? 0, { leader: next.leader, leaderEpoch: next.leaderEpoch, isr: next.isr });
      return ErrorCode.NONE;
    } catch (e) {
      if (!(e instanceof KafkaError)) throw e;
      if (e.code === ErrorCode.UNKNOWN_TOPIC_ID || e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      if (e.code === ErrorCode.NOT_CONTROLLER) return e.code; // a fenced (controller) writer was deposed
      // changed meanwhile: decide again on the newer image
    }
  }
  return ErrorCode.REQUEST_TIMED_OUT;
}

/**
 * The partitions auto.leader.rebalance moves back to their preferred replica: those of every
 * broker whose share of non-preferred leaders exceeds `percentage` %, where the preferred replica
 * is alive and in the ISR.
 */
export function imbalancedPartitions(image: MetadataImage, percentage: number): { topic: string; partition: number }[] {
  const preferredOf = new Map<number, { total: number; notLeading: { topic: string; partition: number; p: PartitionImage }[] }>();
  for (const t of image.topics()) {
    for (const p of t.partitions) {
      const preferred = p.replicas[0];
      if (preferred === undefined) continue;
      let e = preferredOf.get(preferred);
      if (e === undefined) preferredOf.set(preferred, (e = { total: 0, notLeading: [] }));
      e.total++;
      if (p.leader !== preferred) e.notLeading.push({ topic: t.name, partition: p.partition, p });
    }
  }
  const alive = aliveOf(image);
  const out: { topic: string; partition: number }[] = [];
  for (const e of preferredOf.values()) {
    if (e.total === 0 || (e.notLeading.length * 100) / e.total <= percentage) continue;
    for (const x of e.notLeading) if (electPreferred(stateOf(x.p), alive) !== null) out.push({ topic: x.topic, partition: x.partition });
  }
  return out;
}

/** One auto.leader.rebalance check: preferred elections where a broker is imbalanced. Resolves with how many moved. */
export async function rebalancePreferredLeaders(store: PartitionStateWriter, percentage: number): Promise<number> {
  let moved = 0;
  for (const x of imbalancedPartitions(store.image(), percentage)) {
    if ((await electLeader(store, x.topic, x.partition, ElectionKind.preferred)) === ErrorCode.NONE) moved++;
  }
  return moved;
}
