/**
 * The standby tasks one KafkaStreams instance keeps (the standby side of Kafka's TaskManager):
 * which of the assigned standbys it keeps, opening and closing them as the assignment changes,
 * one fetch round for all of them between polls (standby-task.ts), their checkpoints on commit,
 * and their counters. Kafka's rules kept: a standby is kept only for a sub-topology with a logged
 * store and never for a task that is active on this instance; a task opened active where a
 * standby was kept restores only the changelogs' tail (`wasKept`, reported to onRestored).
 */
import type { ClusterClient } from '../client/cluster-client.js';
import { StandbyTask, updateStandbys } from './standby-task.js';
import type { TaskEnv } from './task.js';
import type { SubTopology } from './topology.js';

/** A task by sub-topology and partition. */
export interface TaskPlace {
  sub: number;
  partition: number;
}

export class StandbyTasks {
  private readonly tasks = new Map<string, StandbyTask>();
  /** The standby tasks of the last assignment (set by the assignor's callback). */
  assigned: string[] = [];
  /** Changelog records applied by the standbys closed since start. */
  private closedApplied = 0;
  /** The standbys kept before the last sync (a task among them restores only the changelogs' tail). */
  private keptBefore = new Set<string>();

  constructor(
    private readonly subs: readonly SubTopology[],
    private readonly env: TaskEnv,
  ) {}

  get size(): number {
    return this.tasks.size;
  }

  /** The ids of the standbys kept. */
  ids(): string[] {
    return [...this.tasks.keys()].sort();
  }

  /** Where the standbys read their changelog partitions next. */
  positions(): { topic: string; partition: number; offset: bigint }[] {
    return [...this.tasks.values()].flatMap((t) => t.positions());
  }

  /** Changelog records applied by standbys, since start. */
  get applied(): number {
    return this.closedApplied + [...this.tasks.values()].reduce((n, t) => n + t.applied, 0);
  }

  /** The assigned standbys to keep: those of a sub-topology with a logged store, and not `active` here. */
  wanted(active: ReadonlyMap<string, TaskPlace>): Map<string, TaskPlace> {
    const wanted = new Map<string, TaskPlace>();
    for (const id of this.assigned) {
      const m = /^(\d+)_(\d+)$/.exec(id);
      const sub = Number(m?.[1]);
      if (m && !active.has(id) && this.subs[sub]?.stores.some((n) => this.env.topology.stores.get(n)?.logged)) wanted.set(id, { sub, partition: Number(m[2]) });
    }
    return wanted;
  }

  /** Closes the standbys not in `wanted`. */
  async closeUnwanted(wanted: ReadonlyMap<string, TaskPlace>): Promise<void> {
    for (const id of [...this.tasks.keys()]) if (!wanted.has(id)) await this.close(id);
  }

  /** Whether `id` was kept as a standby before the last sync. */
  wasKept(id: string): boolean {
    return this.keptBefore.has(id);
  }

  /** Opens the standbys of `wanted` not kept yet; the standbys kept now are what `wasKept` answers from. */
  open(wanted: ReadonlyMap<string, TaskPlace>): void {
    for (const [id, w] of wanted) {
      if (this.tasks.has(id)) continue;
      this.tasks.set(id, new StandbyTask(this.subs[w.sub] as SubTopology, w.partition, this.env));
    }
    this.keptBefore = new Set(this.tasks.keys());
  }

  /** One fetch round for every standby; resolves with the changelog records applied. */
  update(cluster: ClusterClient): Promise<number> {
    return updateStandbys(cluster, this.tasks.values(), this.env.isolationLevel);
  }

  writeCheckpoints(): void {
    for (const t of this.tasks.values()) t.writeCheckpoints();
  }

  async close(id: string): Promise<void> {
    const t = this.tasks.get(id);
    if (!t) return;
    this.closedApplied += t.applied;
    this.tasks.delete(id);
    await t.close();
  }

  /** Closes every standby; an error closing one goes to `onError` and the others still close. */
  async closeAll(onError: (e: unknown) => void): Promise<void> {
    for (const id of [...this.tasks.keys()]) await this.close(id).catch(onError);
  }
}
