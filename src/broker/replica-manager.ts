/**
 * The partitions hosted on this broker, looked up by topic name or id and partition index. In a
 * cluster a broker hosts only some partitions of a topic, so a topic's list may have holes
 * (`partitions()` is indexed by partition; `all()` and `removeTopic()` skip the holes).
 */
import { Partition } from './partition.js';

export class ReplicaManager {
  private readonly byTopic = new Map<string, Partition[]>();
  /** Hosted here but found in no online log dir at start-up (its dir failed): "topic\u0000index". */
  private readonly offlineAtStart = new Map<string, { topicId: string; partition: number }>();

  /** A partition hosted here whose log is on a dir that failed before start-up (no Partition object). */
  markOffline(topic: string, topicId: string, index: number): void {
    this.offlineAtStart.set(`${topic}\u0000${index}`, { topicId, partition: index });
  }

  /** Whether `topic`-`index` is hosted here but offline since start-up. */
  isOffline(topic: string, index: number): boolean {
    return this.offlineAtStart.size > 0 && this.offlineAtStart.has(`${topic}\u0000${index}`);
  }

  /** The replicas offline since start-up. */
  offlineReplicas(): Iterable<{ topicId: string; partition: number }> {
    return this.offlineAtStart.values();
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.byTopic.get(topic)?.[index];
  }

  partitions(topic: string): readonly Partition[] | undefined {
    return this.byTopic.get(topic);
  }

  add(p: Partition): void {
    let list = this.byTopic.get(p.topic);
    if (!list) {
      list = [];
      this.byTopic.set(p.topic, list);
    }
    list[p.index] = p;
  }

  removeTopic(topic: string): Partition[] {
    if (this.offlineAtStart.size > 0) for (const k of [...this.offlineAtStart.keys()]) if (k.startsWith(`${topic}\u0000`)) this.offlineAtStart.delete(k);
    const list = this.byTopic.get(topic) ?? [];
    this.byTopic.delete(topic);
    return list.filter((p): p is Partition => p !== undefined);
  }

  /** Stops hosting one partition (a reassignment moved it off this broker); returns it. */
  removePartition(topic: string, index: number): Partition | undefined {
    const list = this.byTopic.get(topic);
    const p = list?.[index];
    if (list === undefined || p === undefined) return undefined;
    delete list[index];
    if (list.every((x) => x === undefined)) this.byTopic.delete(topic);
    return p;
  }

  *all(): IterableIterator<Partition> {
    for (const list of this.byTopic.values()) for (const p of list) if (p !== undefined) yield p;
  }
}
