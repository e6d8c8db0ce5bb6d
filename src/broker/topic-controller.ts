/**
 * The controller side of topics and configs (Kafka's ReplicationControlManager and
 * ConfigurationControlManager): validates CreateTopics, DeleteTopics, CreatePartitions,
 * AlterConfigs and IncrementalAlterConfigs against the metadata image with Kafka's error codes,
 * turns an accepted request into a MetadataDelta and commits it. What the broker does with a
 * committed change (open or remove logs, apply configs) is MetadataApplier's, which follows the
 * store's images.
 *
 * Disk work that crash safety needs before a commit is asked of the applier explicitly:
 * - creation (topics, partitions): every new partition's directory and files are made and the log
 *   dirs fsynced before the delta is committed, so a topic in metadata always has its directories.
 *   A failure (EMFILE, ENOSPC, ...) removes what was made and answers KAFKA_STORAGE_ERROR for that
 *   topic (retriable: Kafka's code for a log dir that cannot serve a partition; its KRaft
 *   controller never touches disks, so it has no exact equivalent). A crash between the steps
 *   leaves at most orphan directories, which start-up removes.
 * - deletion: the partition directories are renamed to `-delete` (durably) and the deletion
 *   listeners run (committed offsets are removed) before the topic leaves the metadata; the
 *   directories are removed in the background once it has. A crash at any point leaves either the
 *   topic (with empty logs) or nothing: never a directory a re-created topic could load.
 * Commits are asynchronous (`await store.commit(delta)`: a replicated store answers after a round
 * trip), so every operation runs on one serial queue: its checks against the image and its commit
 * finish before the next operation looks at the image (Kafka's controller also handles one event
 * at a time). Two CreateTopics racing for one name thus get one success and one
 * TOPIC_ALREADY_EXISTS. An operation that finds the queue idle starts at once (synchronously up to
 * its commit).
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../common/errors.js';
import { BrokerConfigUpdateError, parseDynamicBrokerConfigs } from '../config/dynamic-broker-config.js';
import { validateTopicOverrides } from '../config/topic-config-resolver.js';
import { ErrorCode } from '../common/error-codes.js';
import { KafkaError } from '../common/kafka-error.js';
import type { Logger } from '../common/logger.js';
import type { MetadataImage, PartitionImage, TopicImage } from '../metadata/image.js';
import { initialState } from '../cluster/partition-elections.js';
import { assignReplicas } from '../cluster/replica-assignment.js';
import { MetadataDeltaError } from '../metadata/delta.js';
import type { MetadataStore } from '../metadata/store.js';
import { randomUuid } from '../protocol/primitives/uuid.js';
import type { MetadataApplier } from './metadata-applier.js';
import { INTERNAL_TOPICS, validateTopicName, type CreateTopicSpec, type NewTopicSpec, type ProducePolicy } from './topic-manager.js';
import { validateGroupConfigs } from '../config/group-config.js';

/** New configs of a resource: the whole set, or a function of the current set (run on the controller's queue). */
export type ConfigUpdate = Record<string, string> | ((current: Record<string, string>) => Record<string, string>);

export class TopicController {
  /** Called while a topic is deleted, after its logs are gone and before it leaves the metadata. */
  readonly deleteListeners: ((topic: TopicImage) => void)[] = [];
  /** The last queued operation, settled (see the header); `queued` counts those not finished. */
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(
    private readonly config: BrokerConfig,
    private readonly store: MetadataStore,
    private readonly applier: MetadataApplier,
    private readonly nodeId: number,
    private readonly logger: Logger,
  ) {}

  /** Produce-time settings of a topic (kept by the applier; here for the Produce handler). */
  producePolicy(topic: string): ProducePolicy | undefined {
    return this.applier.producePolicy(topic);
  }

  /** Runs `op` after every operation queued before it (at once when none is pending). */
  private serialize<T>(op: () => Promise<T>): Promise<T> {
    this.queued++;
    const result = this.queued === 1 ? op() : this.tail.then(op);
    this.tail = result.then(
      () => void this.queued--,
      () => void this.queued--,
    );
    return result;
  }

  /** Validates a creation request; returns the resolved partition count and replication factor. Throws KafkaError. */
  validateCreate(spec: CreateTopicSpec): { numPartitions: number; replicationFactor: number; assignments: number[][] | null } {
    validateTopicName(spec.name);
    const image = this.store.image();
    if (image.topic(spec.name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`);
    const collision = image.collidingTopic(spec.name);
    if (collision !== undefined) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${spec.name}' collides with existing topic: ${collision}`);
    let numPartitions = spec.numPartitions;
    let replicationFactor = spec.replicationFactor;
    if (spec.assignments.length > 0) {
      if (numPartitions !== -1 || replicationFactor !== -1) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
      }
      const indexes = spec.assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
      indexes.forEach((p, i) => {
        if (p !== i) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions should be a consecutive 0-based integer sequence');
      });
      for (const a of spec.assignments) {
        if (a.brokerIds.length === 0 || a.brokerIds.some((b) => image.broker(b) === undefined) || new Set(a.brokerIds).size !== a.brokerIds.length) {
          throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Replica assignment ${JSON.stringify(a.brokerIds)} for partition ${a.partitionIndex} names unknown or duplicate brokers`);
        }
      }
      numPartitions = spec.assignments.length;
      replicationFactor = spec.assignments[0]?.brokerIds.length ?? 1;
    }
    if (numPartitions === -1) numPartitions = this.config.int('num.partitions');
    if (replicationFactor === -1) replicationFactor = this.config.int('default.replication.factor');
    if (numPartitions <= 0) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
    if (replicationFactor <= 0) throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
    const registered = image.brokers().length;
    if (replicationFactor > registered) {
      throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${registered} broker(s) are registered.`);
    }
    this.validateTopicConfigs(spec.configs);
    const assignments = spec.assignments.length > 0 ? [...spec.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex).map((a) => [...a.brokerIds]) : null;
    return { numPartitions, replicationFactor, assignments };
  }

  /** Creates topics that already passed validateCreate (all or nothing); rejects with the first topic's error. */
  async createValidated(specs: NewTopicSpec[]): Promise<TopicImage[]> {
    const results = await this.createEach(specs);
    for (const r of results) if (r instanceof KafkaError) throw r;
    return results as TopicImage[];
  }

  /**
   * Creates topics that already passed validateCreate: for each, its metadata, or the error that
   * stopped it (then nothing of it is left on disk or in metadata). Disk first (directories, files,
   * one fsync per log dir), then one commit for all topics whose logs exist; the applier then
   * opens their partitions. A name that exists (or collides) once this operation's turn comes
   * gets TOPIC_ALREADY_EXISTS (INVALID_TOPIC_EXCEPTION): another request created it meanwhile.
   */
  createEach(specs: NewTopicSpec[]): Promise<(TopicImage | KafkaError)[]> {
    return this.serialize(() => this.createNow(specs));
  }

  private async createNow(specs: NewTopicSpec[]): Promise<(TopicImage | KafkaError)[]> {
    const results: (TopicImage | KafkaError)[] = [];
    const prepared: TopicImage[] = [];
    const current = this.store.image();
    const names = new Set<string>();
    for (const s of specs) {
      if (current.topic(s.name) !== undefined || names.has(s.name)) {
        results.push(new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${s.name}' already exists.`));
        continue;
      }
      const collision = current.collidingTopic(s.name);
      if (collision !== undefined) {
        results.push(new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${s.name}' collides with existing topic: ${collision}`));
        continue;
      }
      names.add(s.name);
      const meta: TopicImage = {
        name: s.name,
        topicId: randomUuid(),
        partitions: this.newPartitions(current, 0, s.numPartitions, s.replicationFactor ?? 1, s.assignments ?? null),
        configs: s.configs,
        internal: s.internal ?? INTERNAL_TOPICS.has(s.name),
      };
      try {
        this.applier.prepareLogs(meta, 0);
        prepared.push(meta);
        results.push(meta);
      } catch (e) {
        results.push(this.creationError(s.name, e));
      }
    }
    if (prepared.length === 0) return results;
    let image;
    try {
      this.applier.syncPreparedLogs();
      image = await this.store.commit({ createdTopics: prepared });
    } catch (e) {
      for (const t of prepared) this.applier.abandonLogs(t.name, t.topicId, 0, t.partitions.length);
      const err = this.creationError(prepared.map((t) => t.name).join(', '), e);
      return results.map((r) => (r instanceof KafkaError ? r : err));
    }
    for (const t of prepared) {
      this.logger.info(`Created topic ${t.name} with ${t.partitions.length} partitions, replication factor ${t.partitions[0]?.replicas.length ?? 0}${Object.keys(t.configs).length > 0 ? `, configs ${formatConfigs(t.configs)}` : ''}`, { topic: t.name, topicId: t.topicId });
    }
    return results.map((r) => (r instanceof KafkaError ? r : (image.topic(r.name) ?? r)));
  }

  /** A failure while creating: the partial topic is gone; fs errors become KAFKA_STORAGE_ERROR. */
  private creationError(name: string, e: unknown): KafkaError {
    if (e instanceof KafkaError) return e;
    // The commit lost to another broker's (e.g. TOPIC_ALREADY_EXISTS: the same topic created through two brokers at once).
    if (e instanceof MetadataDeltaError) return new KafkaError(e.code, e.message);
    this.logger.error(`creating topic(s) ${name} failed; nothing of them was kept`, e);
    const code = (e as { code?: unknown } | null)?.code;
    const cause = (e as { cause?: { code?: unknown } } | null)?.cause?.code;
    const errno = typeof code === 'string' ? code : typeof cause === 'string' ? cause : undefined;
    const message = e instanceof Error ? e.message : String(e);
    if (errno !== undefined) return new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `Cannot create the log directories of ${name}: ${message}`);
    return new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `Creating ${name} failed: ${message}`);
  }

  /** Validates and creates one topic; rejects with KafkaError. With `existingOk`, a topic of that name is the answer. */
  create(spec: CreateTopicSpec, existingOk = false): Promise<TopicImage> {
    return this.serialize(async () => {
      const existing = this.store.image().topic(spec.name);
      if (existing !== undefined && existingOk) return existing;
      const { numPartitions, replicationFactor, assignments } = this.validateCreate(spec);
      const [meta] = await this.createNow([{ name: spec.name, numPartitions, replicationFactor, assignments, configs: spec.configs }]);
      if (meta instanceof KafkaError) throw meta;
      return meta as TopicImage;
    });
  }

  /** Deletes a topic crash-safely, in Kafka's order (see the header). */
  delete(name: string): Promise<void> {
    return this.serialize(() => this.deleteNow(name));
  }

  private async deleteNow(name: string): Promise<void> {
    const t = this.store.image().topic(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist`);
    if (!this.config.bool('delete.topic.enable')) throw new KafkaError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
    this.applier.prepareDeletion(t);
    for (const listener of this.deleteListeners) {
      try {
        listener(t);
      } catch (e) {
        this.logger.warn(`topic deletion listener failed for ${name}`, e);
      }
    }
    await this.store.commit({ deletedTopics: [t.topicId] });
    this.logger.info(`Deleted topic ${name} (${t.partitions.length} partitions)`, { topic: name, topicId: t.topicId });
  }

  /** CreatePartitions: grows a topic to `count` partitions. */
  createPartitions(name: string, count: number, assignments: number[][] | null, validateOnly: boolean): Promise<void> {
    return this.serialize(() => this.createPartitionsNow(name, count, assignments, validateOnly));
  }

  private async createPartitionsNow(name: string, count: number, assignments: number[][] | null, validateOnly: boolean): Promise<void> {
    const t = this.store.image().topic(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
    const current = t.partitions.length;
    if (count < current) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${count}.`);
    if (count === current) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
    if (assignments !== null) {
      if (assignments.length !== count - current) {
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Increasing the number of partitions by ${count - current} but ${assignments.length} assignments provided.`);
      }
      const image = this.store.image();
      const rf = t.partitions[0]?.replicas.length ?? 1;
      for (const a of assignments) {
        if (a.length === 0 || a.some((b) => image.broker(b) === undefined) || new Set(a).size !== a.length) {
          throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown or duplicate broker in assignment ${JSON.stringify(a)}`);
        }
        if (a.length !== rf) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Inconsistent replication factor between partitions, partition 0 has ${rf} while partitions [${current}] has replication factor ${a.length}`);
      }
    }
    const rf = t.partitions[0]?.replicas.length ?? 1;
    const image = this.store.image();
    if (assignments === null && rf > image.brokers().length) {
      throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${rf} time(s): only ${image.brokers().length} broker(s) are registered.`);
    }
    if (validateOnly) return;
    const added = this.newPartitions(image, current, count, rf, assignments);
    // As for creation: the new partitions' directories exist before the metadata names them.
    try {
      this.applier.prepareLogs({ ...t, partitions: [...t.partitions, ...added] }, current);
      this.applier.syncPreparedLogs();
      await this.store.commit({ addedPartitions: [{ topicId: t.topicId, partitions: added }] });
    } catch (e) {
      this.applier.abandonLogs(name, t.topicId, current, count);
      throw this.creationError(name, e);
    }
    this.logger.info(`Added partitions ${current} to ${count - 1} to topic ${name} (now ${count})`, { topic: name });
  }

  /** The topic's config overrides (what AlterConfigs replaces). Throws UNKNOWN_TOPIC_OR_PARTITION. */
  topicConfigs(name: string): Record<string, string> {
    const t = this.store.image().topic(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    return { ...t.configs };
  }

  /**
   * Replaces a topic's config overrides with `configs` (AlterConfigs semantics; the incremental
   * API computes the full set first). Invalid names or values: INVALID_CONFIG. Nothing is changed
   * when `validateOnly`.
   */
  alterTopicConfigs(name: string, update: ConfigUpdate, validateOnly: boolean): Promise<void> {
    return this.serialize(async () => {
      const current = this.topicConfigs(name);
      const configs = typeof update === 'function' ? update(current) : update;
      this.validateTopicConfigs(configs);
      if (validateOnly) return;
      const t = this.store.image().topic(name) as TopicImage;
      await this.store.commit({ topicConfigs: [{ topicId: t.topicId, configs }] });
      this.logger.info(`Changed the configs of topic ${name}: ${formatConfigs(configs) || '(no overrides)'}`, { topic: name });
    });
  }

  /** The dynamic configs of a GROUP resource (config/group-config.ts); empty when none. */
  groupConfigs(groupId: string): Record<string, string> {
    return { ...this.store.image().groupConfigs(groupId) };
  }

  /** Replaces the dynamic configs of a GROUP resource; INVALID_CONFIG for unknown names or bad values (config/group-config.ts). */
  alterGroupConfigs(groupId: string, update: ConfigUpdate, validateOnly: boolean): Promise<void> {
    return this.serialize(async () => {
      if (groupId === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'The group id must not be empty');
      const configs = typeof update === 'function' ? update(this.groupConfigs(groupId)) : update;
      validateGroupConfigs(groupId, configs, this.config);
      if (validateOnly) return;
      await this.store.commit({ groupConfigs: [{ groupId, configs }] });
      this.logger.info(`Changed the configs of group ${groupId}: ${formatConfigs(configs) || '(no overrides)'}`);
    });
  }

  /** Checks a BROKER resource name: '' (cluster default) or this node's id; returns the dynamic level. */
  brokerResourceLevel(resourceName: string): 'dynamic-default' | 'dynamic-broker' {
    if (resourceName === '') return 'dynamic-default';
    if (resourceName === String(this.nodeId)) return 'dynamic-broker';
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${this.nodeId} or empty string, but received ${resourceName}`);
  }

  /** The dynamic configs stored for a BROKER resource ('' = cluster default, else this node's id). */
  brokerConfigs(resourceName: string): Record<string, string> {
    this.brokerResourceLevel(resourceName);
    return { ...this.store.image().brokerConfigs(resourceName) };
  }

  /**
   * Replaces the dynamic configs of a BROKER resource. Keys that are not dynamically updatable:
   * INVALID_REQUEST; bad values: INVALID_CONFIG. Once committed, the applier applies them to every
   * topic that inherits the changed defaults, to the partitions' settings and to the log cleaner.
   */
  alterBrokerConfigs(resourceName: string, update: ConfigUpdate, validateOnly: boolean): Promise<void> {
    return this.serialize(async () => this.alterBrokerConfigsNow(resourceName, update, validateOnly));
  }

  private async alterBrokerConfigsNow(resourceName: string, update: ConfigUpdate, validateOnly: boolean): Promise<void> {
    const configs = typeof update === 'function' ? update(this.brokerConfigs(resourceName)) : update;
    try {
      const level = this.brokerResourceLevel(resourceName);
      // New key material is loaded and checked by the listeners before anything is stored.
      this.config.checkReconfiguration(level, parseDynamicBrokerConfigs(configs, level));
    } catch (e) {
      if (e instanceof ConfigError && !(e instanceof BrokerConfigUpdateError)) {
        throw new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid config value for resource ConfigResource(type=BROKER, name='${resourceName}'): ${e.message}`);
      }
      if (e instanceof BrokerConfigUpdateError) {
        throw new KafkaError(e.invalidRequest ? ErrorCode.INVALID_REQUEST : ErrorCode.INVALID_CONFIG, `Invalid config value for resource ConfigResource(type=BROKER, name='${resourceName}'): ${e.message}`);
      }
      throw e;
    }
    if (validateOnly) return;
    await this.store.commit({ brokerConfigs: [{ resourceName, configs }] });
    this.logger.info(`Changed the dynamic broker configs of ${resourceName === '' ? 'the cluster default' : `broker ${resourceName}`}: ${formatConfigs(configs, true) || '(none)'}`);
  }

  private validateTopicConfigs(configs: Record<string, string>): void {
    try {
      validateTopicOverrides(configs, this.config);
    } catch (e) {
      if (e instanceof ConfigError) throw new KafkaError(ErrorCode.INVALID_CONFIG, e.message);
      throw e;
    }
  }

  /**
   * Partitions [from, to): replicas from `assignments` or placed on the registered brokers (Kafka's
   * assignment, rack-aware); the first live replica leads, the live replicas are the ISR.
   * A single node is the only registered broker: it is every partition's leader and only replica.
   */
  private newPartitions(image: MetadataImage, from: number, to: number, replicationFactor: number, assignments: readonly (readonly number[])[] | null): PartitionImage[] {
    const brokers = image.brokers();
    const alive = new Set(brokers.map((b) => b.nodeId));
    const lists =
      assignments ??
      (brokers.length <= 1 && replicationFactor === 1
        ? Array.from({ length: to - from }, () => [this.nodeId])
        : assignReplicas(
            brokers.map((b) => ({ id: b.nodeId, rack: b.rack })),
            { numPartitions: to - from, replicationFactor, startPartition: from },
          ));
    return lists.map((replicas, i) => {
      const s = initialState(replicas, alive);
      return { partition: from + i, leader: s.leader, leaderEpoch: 0, replicas: s.replicas, isr: s.isr, partitionEpoch: 0 };
    });
  }
}

/** Configs for a log line; values of sensitive-looking keys (passwords, secrets) are masked. */
function formatConfigs(configs: Record<string, string>, maskSensitive = false): string {
  return Object.entries(configs)
    .map(([k, v]) => `${k}=${maskSensitive && /password|secret|sasl\.jaas/i.test(k) ? '[hidden]' : v}`)
    .join(', ');
}
