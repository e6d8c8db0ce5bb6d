/**
 * The cluster metadata as an immutable snapshot (Kafka's KRaft `MetadataImage`): topics by name and
 * id with their partitions (leader, leader epoch, replicas, ISR), the registered brokers, the
 * cluster id, topic config overrides and dynamic broker configs, the start of the next producer-id
 * block (Kafka's ProducerIdsImage, from ProducerIdsRecord.nextProducerId: every id below it may
 * have been handed out), and an `epoch` that grows by one with every committed delta. Only a
 * MetadataStore makes new images (applyDelta in delta.ts); readers keep the image they got for as
 * long as they need a consistent view.
 * Samsa deviations: the epoch is a plain counter (Kafka's image carries the offset and epoch of
 * the metadata log record that produced it); features are not in the image yet. ACL bindings
 * (Kafka's AccessControlEntryRecord) are a list in creation order (auth/acl.ts).
 * Client quotas (Kafka's ClientQuotasImage, from ClientQuotaRecord) are keyed by the entity key of
 * broker/quotas/quota-entity.ts, each a map of quota key → value.
 * Images are frozen at run time (objects and arrays), so an accidental write throws in strict mode.
 */

import type { AclBinding } from '../auth/acl.js';
import { CowMap, type CowMapStats } from './cow-map.js';

const NO_ACLS: readonly AclBinding[] = Object.freeze([]);

/** One partition's replica state. */
export interface PartitionImage {
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** Bumped by every change of leader or ISR (Kafka's partition epoch; the etcd store keeps it, the local store need not). */
  readonly partitionEpoch?: number;
  /**
   * A reassignment in progress (Kafka's PartitionRecord addingReplicas / removingReplicas): replicas
   * being added (in `replicas`, catching up) and replicas to drop once the target (replicas minus
   * removing) is in the ISR. Absent or empty: no reassignment.
   */
  readonly addingReplicas?: readonly number[];
  readonly removingReplicas?: readonly number[];
}

export interface TopicImage {
  readonly name: string;
  /** Kafka textual UUID (base64url, 22 chars). */
  readonly topicId: string;
  readonly partitions: readonly PartitionImage[];
  /** Topic-level config overrides, as strings (Kafka keeps them that way). */
  readonly configs: Readonly<Record<string, string>>;
  readonly internal: boolean;
}

export interface BrokerEndpoint {
  readonly listenerName: string;
  /** The advertised host and port clients are told to use. */
  readonly host: string;
  readonly port: number;
}

/** A broker registration (Kafka's RegisterBrokerRecord, without features and incarnation id). */
export interface BrokerImage {
  readonly nodeId: number;
  readonly rack: string | null;
  readonly endpoints: readonly BrokerEndpoint[];
  /** Its failed log dirs (Kafka's registration/heartbeat offlineLogDirs); absent: none. */
  readonly offlineLogDirs?: readonly string[];
  /** The replicas it hosted in those dirs: the controller treats them as dead (absent: none). */
  readonly offlineReplicas?: readonly OfflineReplica[];
}

/** A replica whose log dir failed on its broker. */
export interface OfflineReplica {
  readonly topicId: string;
  readonly partition: number;
}

/** Whether `b` reports its replica of `topicId`-`partition` offline. */
export function replicaOffline(b: BrokerImage, topicId: string, partition: number): boolean {
  const list = b.offlineReplicas;
  if (list === undefined) return false;
  for (const r of list) if (r.partition === partition && r.topicId === topicId) return true;
  return false;
}

/** Everything an image is made of (what a store loads and what applyDelta produces). */
export interface MetadataImageParts {
  readonly epoch: number;
  readonly clusterId: string;
  readonly topics: ReadonlyMap<string, TopicImage>;
  readonly brokers: ReadonlyMap<number, BrokerImage>;
  /** Dynamic broker configs keyed by resource name: '' = cluster default, else a node id. */
  readonly brokerConfigs: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** The first producer id of the next block to allocate (0 when none was ever allocated). */
  readonly nextProducerId?: bigint;
  /** SCRAM credentials by user, then by mechanism (Kafka's ScramImage / UserScramCredentialRecord). */
  readonly scramCredentials?: ReadonlyMap<string, ReadonlyMap<string, ScramCredentialImage>>;
  /** Client quotas by entity key (broker/quotas/quota-entity.ts); absent = none. */
  readonly clientQuotas?: ReadonlyMap<string, Readonly<Record<string, number>>>;
  /** Dynamic group configs by group id (Kafka's ConfigRecord of resource type GROUP); absent = none. */
  readonly groupConfigs?: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** The topic indexes, when the caller kept them up to date (applyDelta); built from `topics` otherwise. */
  readonly indexes?: TopicIndexes;
  /** ACL bindings (none when absent). */
  readonly acls?: readonly AclBinding[];
  /** The copy counter of the image this one derives from (parts()); absent: a new one. */
  readonly copyStats?: CowMapStats;
}

/**
 * A user's SCRAM credential for one mechanism ('SCRAM-SHA-256' / 'SCRAM-SHA-512'), stored salted as
 * Kafka stores it (never the password): salt, StoredKey and ServerKey in base64, and iterations.
 */
export interface ScramCredentialImage {
  readonly salt: string;
  readonly storedKey: string;
  readonly serverKey: string;
  readonly iterations: number;
}

/** Topics by id, and normalized name ('.' → '_') → name. */
export interface TopicIndexes {
  readonly byId: Map<string, TopicImage>;
  readonly byNormalizedName: Map<string, string>;
}

const NO_CONFIGS: Readonly<Record<string, string>> = Object.freeze({});
const NO_SCRAM: ReadonlyMap<string, ReadonlyMap<string, ScramCredentialImage>> = new Map();
const NO_QUOTAS: ReadonlyMap<string, Readonly<Record<string, number>>> = new Map();
const NO_GROUP_CONFIGS: ReadonlyMap<string, Readonly<Record<string, string>>> = new Map();

export class MetadataImage {
  readonly epoch: number;
  readonly clusterId: string;
  /** The first producer id of the next block (Kafka's ProducerIdsImage.nextProducerId). */
  readonly nextProducerId: bigint;
  /** ACL bindings (frozen; the same array until a delta changes them). */
  private readonly aclList: readonly AclBinding[];
  private readonly byName: ReadonlyMap<string, TopicImage>;
  private readonly byId: ReadonlyMap<string, TopicImage>;
  /** Topic name with '.' replaced by '_' → topic name (Kafka rejects names colliding this way). */
  private readonly byNormalizedName: ReadonlyMap<string, string>;
  private readonly brokerMap: ReadonlyMap<number, BrokerImage>;
  private readonly brokerConfigMap: ReadonlyMap<string, Readonly<Record<string, string>>>;
  private readonly scramMap: ReadonlyMap<string, ReadonlyMap<string, ScramCredentialImage>>;
  private readonly clientQuotaMap: ReadonlyMap<string, Readonly<Record<string, number>>>;
  private readonly groupConfigMap: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /**
   * Topic map entries copied by parts() (cow-map.ts), shared by every image derived from this one's
   * first ancestor: each metadata store's line of images counts its own (not frozen).
   */
  readonly copyStats: CowMapStats;

  /** Takes ownership of the maps in `parts` (they must not change afterwards). */
  constructor(parts: MetadataImageParts) {
    this.epoch = parts.epoch;
    this.clusterId = parts.clusterId;
    this.nextProducerId = parts.nextProducerId ?? 0n;
    // A frozen list is an earlier image's (kept as it is, so readers can cache by identity).
    const acls = parts.acls;
    this.aclList = acls === undefined || acls.length === 0 ? NO_ACLS : Object.isFrozen(acls) ? acls : Object.freeze(acls.map((b) => Object.freeze({ ...b })));
    this.byName = parts.topics;
    this.brokerMap = parts.brokers;
    this.brokerConfigMap = parts.brokerConfigs;
    this.scramMap = parts.scramCredentials ?? NO_SCRAM;
    this.clientQuotaMap = parts.clientQuotas ?? NO_QUOTAS;
    this.groupConfigMap = parts.groupConfigs ?? NO_GROUP_CONFIGS;
    let indexes = parts.indexes;
    if (indexes === undefined) {
      indexes = { byId: new Map(), byNormalizedName: new Map() };
      for (const t of parts.topics.values()) {
        indexes.byId.set(t.topicId, t);
        indexes.byNormalizedName.set(normalizeTopicName(t.name), t.name);
      }
    }
    this.byId = indexes.byId;
    this.byNormalizedName = indexes.byNormalizedName;
    this.copyStats = parts.copyStats ?? { copiedEntries: 0 };
    Object.freeze(this);
  }

  static empty(clusterId: string): MetadataImage {
    return new MetadataImage({ epoch: 0, clusterId, topics: new Map(), brokers: new Map(), brokerConfigs: new Map() });
  }

  /**
   * The parts of this image, as copies a new image may change (the indexes must be kept consistent
   * with `topics`). The topic maps are copy-on-write (cow-map.ts): a copy costs the entries changed
   * lately, not one per topic.
   */
  parts(): {
    epoch: number;
    clusterId: string;
    topics: Map<string, TopicImage>;
    brokers: Map<number, BrokerImage>;
    brokerConfigs: Map<string, Readonly<Record<string, string>>>;
    nextProducerId: bigint;
    scramCredentials: Map<string, ReadonlyMap<string, ScramCredentialImage>>;
    clientQuotas: Map<string, Readonly<Record<string, number>>>;
    groupConfigs: Map<string, Readonly<Record<string, string>>>;
    indexes: TopicIndexes;
    acls: readonly AclBinding[];
    copyStats: CowMapStats;
  } {
    const stats = this.copyStats;
    return {
      epoch: this.epoch,
      clusterId: this.clusterId,
      topics: CowMap.fork(this.byName, stats),
      brokers: new Map(this.brokerMap),
      brokerConfigs: new Map(this.brokerConfigMap),
      nextProducerId: this.nextProducerId,
      scramCredentials: new Map(this.scramMap),
      clientQuotas: new Map(this.clientQuotaMap),
      groupConfigs: new Map(this.groupConfigMap),
      indexes: { byId: CowMap.fork(this.byId, stats), byNormalizedName: CowMap.fork(this.byNormalizedName, stats) },
      acls: this.aclList,
      copyStats: stats,
    };
  }

  topic(name: string): TopicImage | undefined {
    return this.byName.get(name);
  }

  topicById(id: string): TopicImage | undefined {
    return this.byId.get(id);
  }

  topics(): IterableIterator<TopicImage> {
    return this.byName.values();
  }

  get topicCount(): number {
    return this.byName.size;
  }

  /** The existing topic whose name differs from `name` only by '.' versus '_', if any. */
  collidingTopic(name: string): string | undefined {
    const other = this.byNormalizedName.get(normalizeTopicName(name));
    return other !== undefined && other !== name ? other : undefined;
  }

  broker(nodeId: number): BrokerImage | undefined {
    return this.brokerMap.get(nodeId);
  }

  /** Registered brokers in node id order. */
  brokers(): BrokerImage[] {
    return [...this.brokerMap.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  /** Dynamic broker configs of a resource ('' = cluster default, else a node id); empty when none. */
  brokerConfigs(resourceName: string): Readonly<Record<string, string>> {
    return this.brokerConfigMap.get(resourceName) ?? NO_CONFIGS;
  }

  /** The ACL bindings (frozen; the same array until a delta changes them). */
  acls(): readonly AclBinding[] {
    return this.aclList;
  }

  /** Dynamic configs of a group (IncrementalAlterConfigs resource type GROUP); empty when none. */
  groupConfigs(groupId: string): Readonly<Record<string, string>> {
    return this.groupConfigMap.get(groupId) ?? NO_CONFIGS;
  }

  /** Group ids that have dynamic group configs. */
  groupConfigResources(): IterableIterator<string> {
    return this.groupConfigMap.keys();
  }

  /** Resource names that have dynamic broker configs. */
  brokerConfigResources(): IterableIterator<string> {
    return this.brokerConfigMap.keys();
  }

  /** A user's SCRAM credential for a mechanism, if any. */
  scramCredential(user: string, mechanism: string): ScramCredentialImage | undefined {
    return this.scramMap.get(user)?.get(mechanism);
  }

  /** One user's SCRAM credentials by mechanism (undefined: none). */
  scramCredentialsOf(user: string): ReadonlyMap<string, ScramCredentialImage> | undefined {
    return this.scramMap.get(user);
  }

  /** Users with SCRAM credentials, and theirs by mechanism. */
  scramUsers(): IterableIterator<[string, ReadonlyMap<string, ScramCredentialImage>]> {
    return this.scramMap.entries();
  }

  /** The quotas of a client quota entity key; undefined when it has none. */
  clientQuotas(entityKey: string): Readonly<Record<string, number>> | undefined {
    return this.clientQuotaMap.get(entityKey);
  }

  /** Every client quota entity key with its quotas. */
  clientQuotaEntries(): IterableIterator<[string, Readonly<Record<string, number>>]> {
    return this.clientQuotaMap.entries();
  }

  /** Whether any client quota is set (the quota step does no work while none is). */
  get hasClientQuotas(): boolean {
    return this.clientQuotaMap.size > 0;
  }
}

/** Whether a partition has a reassignment in progress. */
export function reassigning(p: PartitionImage): boolean {
  return (p.addingReplicas?.length ?? 0) > 0 || (p.removingReplicas?.length ?? 0) > 0;
}

/** The endpoint of `broker` for a listener, else its first endpoint (Kafka answers per listener). */
export function endpointFor(broker: BrokerImage, listenerName: string): BrokerEndpoint | undefined {
  return broker.endpoints.find((e) => e.listenerName === listenerName) ?? broker.endpoints[0];
}

export function normalizeTopicName(name: string): string {
  return name.replace(/\./g, '_');
}

/** Freezes a topic (and its partitions and configs) so that it can go into an image. */
export function freezeTopic(t: TopicImage): TopicImage {
  if (Object.isFrozen(t)) return t;
  for (const p of t.partitions) {
    Object.freeze(p.replicas);
    Object.freeze(p.isr);
    if (p.addingReplicas !== undefined) Object.freeze(p.addingReplicas);
    if (p.removingReplicas !== undefined) Object.freeze(p.removingReplicas);
    Object.freeze(p);
  }
  Object.freeze(t.partitions);
  Object.freeze(t.configs);
  return Object.freeze(t);
}
