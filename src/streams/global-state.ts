/**
 * Global state: the stores of the topology's GlobalKTables, each filled from all partitions of its
 * source topic on every instance, outside the tasks and the consumer group.
 *
 * Kafka's rules kept (GlobalStateManagerImpl, GlobalStreamThread): before the stream thread
 * processes anything, every global store is brought up to the end of its topic (read_committed
 * under exactly_once_v2); afterwards the topic is read continuously and applied as it comes;
 * the source topic is the store's changelog (no `-changelog` topic is created); a null key is
 * skipped and a null value deletes; a missing topic fails start(). Samsa's deviations: no
 * checkpoint (the local copy is wiped and re-read from the earliest offset at each start); the
 * records are applied as bytes (no global processors between source and store).
 */
import { join } from 'node:path';
import { AdminError, tpKey, type TopicPartitionKey } from '../client/admin.js';
import type { ClusterClient } from '../client/cluster-client.js';
import { fetchRound, offsetsAt } from '../client/partition-fetcher.js';
import type { UntypedSerde } from './serdes.js';
import { PersistentStore, type KeyValueStore } from './state-store.js';
import type { GlobalStoreDef } from './topology.js';

export interface GlobalStateEnv {
  applicationId: string;
  stateDir: string;
  defaultKeySerde: UntypedSerde;
  defaultValueSerde: UntypedSerde;
  isolationLevel: number;
}

type Position = { topic: string; partition: number; offset: bigint };

/** LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, retried after a metadata refresh. */
const RETRIABLE = new Set([5, 6, 74, 75]);

export class GlobalStateManager {
  private readonly stores = new Map<string, PersistentStore>();
  /** Store of each topic, and the next offset per partition. */
  private readonly storeOfTopic = new Map<string, PersistentStore>();
  private readonly positions = new Map<TopicPartitionKey, Position>();
  /** Records applied since start (restoration included). */
  applied = 0;

  constructor(
    private readonly defs: ReadonlyMap<string, GlobalStoreDef>,
    private readonly env: GlobalStateEnv,
  ) {}

  get empty(): boolean {
    return this.defs.size === 0;
  }

  /** Opens the stores and reads every global topic up to its end. */
  async start(cluster: ClusterClient): Promise<void> {
    if (this.empty) return;
    const snapshot = await cluster.refresh();
    const dir = join(this.env.stateDir, this.env.applicationId, 'global');
    const tps: { topic: string; partition: number }[] = [];
    for (const [name, def] of this.defs) {
      const meta = snapshot.topics.get(def.topic);
      if (!meta || meta.errorCode !== 0) throw new Error(`MISSING_SOURCE_TOPICS: ${def.topic} (global store ${name}) not found`);
      const store = new PersistentStore(name, dir, null, -1, def.keySerde ?? this.env.defaultKeySerde, def.valueSerde ?? this.env.defaultValueSerde);
      this.stores.set(name, store);
      this.storeOfTopic.set(def.topic, store);
      for (const p of meta.partitions) tps.push({ topic: def.topic, partition: p.partition });
    }
    const earliest = await offsetsAt(cluster, tps, -2n);
    for (const tp of tps) this.positions.set(tpKey(tp.topic, tp.partition), { ...tp, offset: earliest.get(tpKey(tp.topic, tp.partition)) ?? 0n });
    const ends = await offsetsAt(cluster, tps, -1n, this.env.isolationLevel);
    const behind = (): boolean => [...this.positions].some(([k, p]) => p.offset < (ends.get(k) ?? 0n));
    while (behind()) await this.poll(cluster, 500);
  }

  /** One fetch round over every global partition; applies what came back. */
  async poll(cluster: ClusterClient, maxWaitMs: number): Promise<void> {
    if (this.empty) return;
    const round = await fetchRound(cluster, this.positions, { maxWaitMs, minBytes: 1, maxBytes: 8 << 20, isolationLevel: this.env.isolationLevel });
    const e = round.errors[0];
    if (e && RETRIABLE.has(e.errorCode)) {
      await cluster.refresh(); // a leader moved: find it and read again next round
      return;
    }
    if (e) throw new AdminError('reading a global store topic', e.errorCode);
    for (const r of round.records) {
      const pos = this.positions.get(tpKey(r.topic, r.partition));
      if (pos === undefined || r.offset < pos.offset) continue;
      this.storeOfTopic.get(r.topic)?.restore(r.key, r.value, r.offset);
      this.applied++;
    }
    for (const [k, next] of round.next) {
      const pos = this.positions.get(k);
      if (pos !== undefined && next > pos.offset) pos.offset = next;
    }
  }

  store(name: string): KeyValueStore<unknown, unknown> | undefined {
    return this.stores.get(name);
  }

  async close(): Promise<void> {
    for (const s of this.stores.values()) await s.close();
    this.stores.clear();
  }
}
