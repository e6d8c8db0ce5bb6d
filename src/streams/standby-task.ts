/**
 * A standby task: a replica of another instance's task that keeps the task's logged state stores
 * up to date by reading their changelog partitions, so that when it becomes active only the tail
 * of the changelogs is left to restore.
 *
 * Kafka's rules kept (StandbyTask, StoreChangelogReader in standby mode): a standby runs no
 * processors and reads only the changelogs of its task's logged stores (read_committed under
 * exactly_once_v2, so it never holds an aborted write); it shares the task's state directory
 * (`<state.dir>/<application.id>/<task>/`), starts from the stores' checkpoints, and writes its
 * checkpoints on commit and when closed, so the active task opened in its place (or a standby
 * reopened later) continues from where it stopped. Samsa's deviation: standbys are updated between
 * polls of the stream thread (one fetch round for all of them), not by a separate restore consumer.
 */
import { join } from 'node:path';
import type { ClusterClient } from '../client/cluster-client.js';
import { fetchRound } from '../client/partition-fetcher.js';
import { AdminError, tpKey, type TopicPartitionKey } from '../client/admin.js';
import { PersistentStore } from './state-store.js';
import { taskId, type TaskEnv } from './task.js';
import type { SubTopology } from './topology.js';

export class StandbyTask {
  readonly id: string;
  /** Changelog records applied since the standby opened. */
  applied = 0;
  /** The logged stores, by changelog partition key. */
  private readonly stores = new Map<TopicPartitionKey, PersistentStore>();

  constructor(
    readonly sub: SubTopology,
    readonly partition: number,
    env: TaskEnv,
  ) {
    this.id = taskId(sub.id, partition);
    const dir = join(env.stateDir, env.applicationId, this.id);
    for (const name of sub.stores) {
      const def = env.topology.stores.get(name);
      if (!def) throw new Error(`unknown store ${name}`);
      if (!def.logged) continue;
      const topic = `${env.applicationId}-${name}-changelog`;
      this.stores.set(tpKey(topic, partition), new PersistentStore(name, dir, topic, partition, def.keySerde ?? env.defaultKeySerde, def.valueSerde ?? env.defaultValueSerde, def.retention));
    }
  }

  /** Where each changelog partition is read from next. */
  positions(): { topic: string; partition: number; offset: bigint }[] {
    return [...this.stores.values()].map((s) => ({ topic: s.changelogTopic as string, partition: this.partition, offset: s.changelogOffset }));
  }

  /** Applies changelog records fetched for this task's stores; returns how many. */
  apply(records: readonly { topic: string; partition: number; offset: bigint; key: Buffer | null; value: Buffer | null }[], next: ReadonlyMap<TopicPartitionKey, bigint>): number {
    let n = 0;
    for (const [k, store] of this.stores) {
      const mine = records.filter((r) => r.partition === this.partition && tpKey(r.topic, r.partition) === k);
      store.restoreBatch(mine);
      n += mine.length;
    }
    // Control batches (transaction markers) move the position without records.
    for (const [k, store] of this.stores) {
      const to = next.get(k);
      if (to !== undefined && to > store.changelogOffset) store.changelogOffset = to;
    }
    this.applied += n;
    return n;
  }

  writeCheckpoints(): void {
    for (const s of this.stores.values()) s.writeCheckpoint();
  }

  async close(): Promise<void> {
    this.writeCheckpoints();
    for (const s of this.stores.values()) await s.close();
  }
}

/** One fetch round over every standby's changelog partitions (not waiting for data); returns the records applied. */
export async function updateStandbys(cluster: ClusterClient, standbys: Iterable<StandbyTask>, isolationLevel: number): Promise<number> {
  const byKey = new Map<TopicPartitionKey, { topic: string; partition: number; offset: bigint }>();
  const owners = new Map<TopicPartitionKey, StandbyTask>();
  for (const t of standbys) {
    for (const p of t.positions()) {
      byKey.set(tpKey(p.topic, p.partition), p);
      owners.set(tpKey(p.topic, p.partition), t);
    }
  }
  if (byKey.size === 0) return 0;
  const round = await fetchRound(cluster, byKey, { maxWaitMs: 0, minBytes: 1, maxBytes: 8 << 20, isolationLevel });
  for (const e of round.errors) {
    // OFFSET_OUT_OF_RANGE or a moved leader: try again on the next round (after a metadata refresh).
    if (e.errorCode === 1 || e.errorCode === 3 || e.errorCode === 6) await cluster.refresh().catch(() => undefined);
    else throw new AdminError(`updating standby from ${e.topic}-${e.partition}`, e.errorCode);
  }
  let n = 0;
  for (const t of new Set(owners.values())) n += t.apply(round.records, round.next);
  return n;
}
