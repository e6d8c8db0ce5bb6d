/**
 * Committing a KafkaStreams instance's work (Kafka's TaskManager.commit), in Kafka's order: the
 * sink and changelog records are written first, then the input offsets, then the stores'
 * checkpoints, so a crash between the steps only makes records processed again (at-least-once)
 * and never loses them. At-least-once: the offsets go in an OffsetCommit; one refused because a
 * rebalance is under way (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS) is
 * dropped, the next owner processes those records again. exactly_once_v2: the records and the
 * offsets (TxnOffsetCommit with the group generation, fencing zombies) go in one transaction; a
 * failed one is handed back to the instance, which aborts it and rewinds (kafka-streams.ts).
 */
import { AdminError, tpKey } from '../client/admin.js';
import type { ClusterClient } from '../client/cluster-client.js';
import type { GroupConsumer } from '../client/group-consumer.js';
import type { TransactionalProducer } from '../client/transactional-producer.js';
import type { StandbyTasks } from './standby-tasks.js';
import type { StreamTask } from './task.js';

/** At-least-once: sinks and changelogs written, then the input offsets committed, then the checkpoints. */
export async function commitAtLeastOnce(cluster: ClusterClient, consumer: GroupConsumer, tasks: readonly StreamTask[], standbys: StandbyTasks): Promise<void> {
  for (const t of tasks) await t.flush(cluster);
  const offsets = tasks.flatMap((t) => t.offsets()).filter((o) => consumer.assignment().some((a) => tpKey(a.topic, a.partition) === tpKey(o.topic, o.partition)));
  try {
    await consumer.commit(offsets);
  } catch (e) {
    // A rebalance under way (the generation moved on): the records are processed again by the next owner (at-least-once).
    if (!(e instanceof AdminError) || ![22, 25, 27].includes(e.code)) throw e;
  }
  for (const t of tasks) t.writeCheckpoints();
  standbys.writeCheckpoints();
}

/**
 * exactly_once_v2: sink and changelog records, then the input offsets (TxnOffsetCommit with the
 * group generation), in one transaction, then the standbys' checkpoints. Resolves with the
 * AdminError that failed the transaction (the caller aborts it), null when it committed or had
 * nothing to commit; any other error is thrown.
 */
export async function commitInTransaction(cluster: ClusterClient, consumer: GroupConsumer, producer: TransactionalProducer, tasks: readonly StreamTask[], standbys: StandbyTasks, applicationId: string): Promise<AdminError | null> {
  const owned = new Set(consumer.assignment().map((a) => tpKey(a.topic, a.partition)));
  const offsets = tasks.flatMap((t) => t.offsets()).filter((o) => owned.has(tpKey(o.topic, o.partition)));
  try {
    for (const t of tasks) await t.flush(cluster, { transaction: producer });
    if (!producer.inTransaction && offsets.length === 0) return null;
    await producer.sendOffsets(applicationId, offsets, { generationId: consumer.generationId, memberId: consumer.member });
    await producer.commit();
    standbys.writeCheckpoints();
    return null;
  } catch (e) {
    if (!(e instanceof AdminError)) throw e;
    return e;
  }
}
