/** The partitions hosted on this broker, looked up by topic name or id and partition index. */
import { Partition } from './partition.js';

export class ReplicaManager {
  private readonly byTopic = new Map<string, Partition[]>();

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
    const list = this.byTopic.get(topic) ?? [];
    this.byTopic.delete(topic);
    return list;
  }

  *all(): IterableIterator<Partition> {
    for (const list of this.byTopic.values()) yield* list;
  }
}
