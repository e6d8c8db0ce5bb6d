/**
 * Cluster metadata for a single broker: topics, their ids, partition counts and config overrides,
 * and the dynamic broker configs.
 * Persisted atomically as a JSON snapshot in the first log dir; only the broker mutates it.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface PartitionMetadata {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

export interface TopicMetadata {
  name: string;
  /** Kafka textual UUID (base64url, 22 chars). */
  topicId: string;
  partitions: PartitionMetadata[];
  /** Topic-level config overrides, as strings (Kafka keeps them that way). */
  configs: Record<string, string>;
  internal: boolean;
}

interface Snapshot {
  version: 1;
  clusterId: string;
  topics: TopicMetadata[];
  /** Dynamic broker configs as strings, keyed by resource name: '' = cluster default, else a node id. */
  brokerConfigs?: Record<string, Record<string, string>>;
}

const FILE = '__samsa_metadata.json';

export class LocalMetadataStore {
  private readonly topics = new Map<string, TopicMetadata>();
  private readonly byId = new Map<string, TopicMetadata>();
  /** Topic name with '.' replaced by '_' → topic name (Kafka rejects names colliding this way). */
  private readonly byNormalizedName = new Map<string, string>();
  private readonly brokerConfigMap = new Map<string, Record<string, string>>();
  readonly clusterId: string;

  private constructor(private readonly dir: string, snapshot: Snapshot) {
    this.clusterId = snapshot.clusterId;
    for (const t of snapshot.topics) this.index(t);
    for (const [name, configs] of Object.entries(snapshot.brokerConfigs ?? {})) this.brokerConfigMap.set(name, { ...configs });
  }

  static open(dir: string, newClusterId: () => string): LocalMetadataStore {
    const path = join(dir, FILE);
    if (existsSync(path)) {
      const snapshot = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
      return new LocalMetadataStore(dir, snapshot);
    }
    const store = new LocalMetadataStore(dir, { version: 1, clusterId: newClusterId(), topics: [] });
    store.persist();
    return store;
  }

  topic(name: string): TopicMetadata | undefined {
    return this.topics.get(name);
  }

  topicById(id: string): TopicMetadata | undefined {
    return this.byId.get(id);
  }

  allTopics(): IterableIterator<TopicMetadata> {
    return this.topics.values();
  }

  get topicCount(): number {
    return this.topics.size;
  }

  /** The existing topic whose name differs from `name` only by '.' versus '_', if any. */
  collidingTopic(name: string): string | undefined {
    const other = this.byNormalizedName.get(normalizeName(name));
    return other !== undefined && other !== name ? other : undefined;
  }

  putTopic(t: TopicMetadata): void {
    this.putTopics([t]);
  }

  /** Applies several topic changes with one write; if the write fails, nothing changes. */
  putTopics(ts: TopicMetadata[]): void {
    const previous: (TopicMetadata | undefined)[] = [];
    for (const t of ts) {
      const old = this.topics.get(t.name);
      previous.push(old);
      if (old) this.byId.delete(old.topicId);
      this.index(t);
    }
    if (ts.length === 0) return;
    try {
      this.persist();
    } catch (e) {
      for (let i = ts.length - 1; i >= 0; i--) {
        const t = ts[i] as TopicMetadata;
        const old = previous[i];
        this.unindex(t);
        if (old) this.index(old);
      }
      throw e;
    }
  }

  deleteTopic(name: string): TopicMetadata | undefined {
    const t = this.topics.get(name);
    if (!t) return undefined;
    this.topics.delete(name);
    this.byId.delete(t.topicId);
    if (this.byNormalizedName.get(normalizeName(name)) === name) this.byNormalizedName.delete(normalizeName(name));
    this.persist();
    return t;
  }

  /** Dynamic broker configs of a resource ('' = cluster default, else a node id); empty when none. */
  brokerConfigs(resourceName: string): Record<string, string> {
    return { ...(this.brokerConfigMap.get(resourceName) ?? {}) };
  }

  /** Replaces (and persists) the dynamic broker configs of a resource. */
  putBrokerConfigs(resourceName: string, configs: Record<string, string>): void {
    if (Object.keys(configs).length === 0) this.brokerConfigMap.delete(resourceName);
    else this.brokerConfigMap.set(resourceName, { ...configs });
    this.persist();
  }

  private index(t: TopicMetadata): void {
    this.topics.set(t.name, t);
    this.byId.set(t.topicId, t);
    this.byNormalizedName.set(normalizeName(t.name), t.name);
  }

  private unindex(t: TopicMetadata): void {
    this.topics.delete(t.name);
    this.byId.delete(t.topicId);
    if (this.byNormalizedName.get(normalizeName(t.name)) === t.name) this.byNormalizedName.delete(normalizeName(t.name));
  }

  private persist(): void {
    const snapshot: Snapshot = { version: 1, clusterId: this.clusterId, topics: [...this.topics.values()] };
    if (this.brokerConfigMap.size > 0) snapshot.brokerConfigs = Object.fromEntries(this.brokerConfigMap);
    const path = join(this.dir, FILE);
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(snapshot));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    // The rename must survive a crash too (config changes are acknowledged after this).
    try {
      const dfd = openSync(this.dir, 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    } catch {
      // directories cannot be fsynced on some platforms
    }
  }
}

function normalizeName(name: string): string {
  return name.replace(/\./g, '_');
}
