/**
 * Makes this broker match the metadata image (Kafka's BrokerMetadataPublisher → ReplicaManager /
 * LogManager / DynamicConfigPublisher): on every committed delta it opens the partitions of new
 * topics and new partitions, closes and removes the logs of deleted topics, pushes changed topic
 * configs to logs, partitions and produce policies, and applies changed dynamic broker configs
 * (then every topic inheriting them and the log cleaner).
 *
 * Crash safety needs some disk work *before* a delta is committed, which the controller asks for
 * explicitly: prepareLogs (directories of new partitions exist and are fsynced before the metadata
 * names them) and prepareDeletion (partition directories renamed to `-delete`, durably, before
 * the topic leaves the metadata). The applier then finishes the work when the image arrives; for
 * a change it did not prepare (another writer, later: another controller) it does it all itself.
 * Two brokers creating one topic at once: the committed topic never adopts the loser's prepared
 * logs (another topic id), and the loser's clean-up never removes a log a partition serves.
 * Only partitions with this broker among their replicas are opened here; a reassignment that adds
 * this broker opens an empty log (it then follows), one that removes it deletes the log. Each opened partition,
 * and each partition whose leader or ISR changes, gets its role from PartitionRoles (leader,
 * follower; a single node leads every partition as its only replica).
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { parseDynamicBrokerConfigs } from '../config/dynamic-broker-config.js';
import type { Logger } from '../common/logger.js';
import { deletedTopics, type MetadataDelta } from '../metadata/delta.js';
import type { MetadataImage, PartitionImage, TopicImage } from '../metadata/image.js';
import type { MetadataStore } from '../metadata/store.js';
import type { LogConfig } from '../storage/log-config.js';
import type { DeletedLogDir, LogManager } from '../storage/log-manager.js';
import { readPartitionMetadata } from '../storage/partition-metadata.js';
import { Partition } from './partition.js';
import type { ReplicaManager } from './replica-manager.js';
import type { PartitionRoles } from './partition-roles.js';
import type { ProducePolicy } from './topic-manager.js';
import { TopicConfigs } from './topic-configs.js';

/** A deletion prepared before its commit: the partitions taken offline and their renamed directories. */
interface PreparedDeletion {
  partitions: Partition[];
  doomed: DeletedLogDir[];
}

export class MetadataApplier {
  readonly topicConfigs: TopicConfigs;
  private readonly producePolicies = new Map<string, ProducePolicy>();
  /** Deletions prepared by the controller, by topic id, finished when the image without the topic arrives. */
  private readonly preparedDeletions = new Map<string, PreparedDeletion>();
  private unwatch: (() => void) | null = null;
  private roles: PartitionRoles | null = null;
  private clustered = false;

  constructor(
    private readonly config: BrokerConfig,
    private readonly store: MetadataStore,
    private readonly logs: LogManager,
    private readonly replicas: ReplicaManager,
    private readonly nodeId: number,
    private readonly logger: Logger,
  ) {
    this.topicConfigs = new TopicConfigs(config);
    // Constructed right after the store and the log manager open: dynamic broker configs are
    // applied before any log is loaded.
    this.applyDynamicBrokerConfigs(store.image());
    logs.configureCleaner(this.topicConfigs.cleanerOptions());
  }

  /** Leader/follower roles of replicated partitions (set before loadPartitions); `clustered`: on etcd (replicas move). */
  useRoles(roles: PartitionRoles, clustered = false): void {
    this.roles = roles;
    this.clustered = clustered;
  }

  logConfigFor(overrides: Readonly<Record<string, string>>): LogConfig {
    return this.topicConfigs.logConfigFor(overrides);
  }

  /**
   * Opens a Partition for every partition in the image (logs already loaded, or created empty),
   * then follows the store's later images.
   */
  loadPartitions(): void {
    const image = this.store.image();
    // Directories whose topic never reached the metadata (a crash mid-creation) are not kept.
    // In a cluster, so are logs of partitions this broker is no longer a replica of (a reassignment
    // completed while it was down: Kafka deletes such stray logs too).
    this.logs.removeStrayLogs((topic, partition) => {
      const pm = image.topic(topic)?.partitions[partition];
      return pm !== undefined && (this.roles === null || !this.clustered || pm.replicas.includes(this.nodeId));
    });
    const dirsOffline = this.logs.dirFailures.offlineDirs.length > 0;
    for (const t of image.topics()) {
      if (!dirsOffline) {
        // The logs were just loaded against this image's topic ids (LogManager.loadAll): none was
        // prepared for another creation, so their partition.metadata is not read a second time.
        this.openPartitions(t, 0, false);
        continue;
      }
      // A log dir failed before start-up: a hosted partition found in no online dir may be on it,
      // so no empty log is made for it elsewhere; it is an offline replica (offline-log-dirs.ts).
      const found = t.partitions.filter((pm) => !pm.replicas.includes(this.nodeId) || this.logs.getLog(t.name, pm.partition) !== undefined);
      for (const pm of t.partitions) if (!found.includes(pm)) this.replicas.markOffline(t.name, t.topicId, pm.partition);
      this.openPartitionList(t, found);
    }
    this.unwatch = this.store.watch((next, delta, previous) => this.apply(next, delta, previous));
  }

  stop(): void {
    this.unwatch?.();
    this.unwatch = null;
  }

  /** Produce-time settings of a topic (compaction key check, broker-side compression). */
  producePolicy(topic: string): ProducePolicy | undefined {
    let p = this.producePolicies.get(topic);
    if (p === undefined) {
      const t = this.store.image().topic(topic);
      if (t === undefined) return undefined;
      p = this.topicConfigs.producePolicyFor(t.configs);
      this.producePolicies.set(topic, p);
    }
    return p;
  }

  /**
   * Before a commit that creates partitions [from, end) of `t`: makes their directories and files
   * and fsyncs the log dirs, so that the metadata never names a partition without a directory. On
   * failure the directories this call made are removed and the error is rethrown.
   */
  prepareLogs(t: TopicImage, from: number): void {
    const logConfig = this.logConfigFor(t.configs);
    const createdHere: number[] = [];
    try {
      for (const pm of t.partitions.slice(from)) {
        if (!pm.replicas.includes(this.nodeId)) continue;
        if (this.logs.getLog(t.name, pm.partition) !== undefined) continue;
        this.logs.createLog(t.name, pm.partition, logConfig, false, t.topicId);
        createdHere.push(pm.partition);
      }
    } catch (e) {
      for (const p of createdHere) this.logs.abandonNewLog(t.name, p);
      throw e;
    }
  }

  /** fsyncs the log dirs that prepareLogs added directories to. */
  syncPreparedLogs(): void {
    this.logs.syncNewLogDirs();
  }

  /**
   * Undoes prepareLogs for partitions [from, to) of topic `topicId` whose commit failed, except
   * logs it no longer owns: one a partition serves, or one recording another topic id.
   */
  abandonLogs(name: string, topicId: string, from: number, to: number): void {
    for (let p = from; p < to; p++) {
      const plog = this.logs.getLog(name, p);
      if (plog === undefined || this.replicas.partition(name, p)?.log === plog || recordedTopicId(plog.dir) !== topicId) continue;
      this.logs.abandonNewLog(name, p);
    }
  }

  /**
   * Before opening partitions [from, end) of `t`: an unused log of that name recording another
   * topic id was prepared by this broker's creation that lost to another broker's; it is dropped
   * (adopted, it would record the wrong id, and the losing creation would remove it under us).
   */
  private dropLogsOfLosingCreation(t: TopicImage, from: number): void {
    for (const pm of t.partitions.slice(from)) {
      const plog = this.logs.getLog(t.name, pm.partition);
      if (plog === undefined || this.replicas.partition(t.name, pm.partition) !== undefined) continue;
      const recorded = recordedTopicId(plog.dir);
      if (recorded === undefined || recorded === t.topicId) continue;
      this.logger.info(`${t.name}-${pm.partition}: dropping the log prepared for topic id ${recorded} (a concurrent creation of ${t.name}); the topic has id ${t.topicId}`);
      this.logs.abandonNewLog(t.name, pm.partition);
    }
  }

  /**
   * Before a commit that deletes `t`: takes its partitions offline and renames their directories
   * to `-delete` (durably), so a crash from here on never loads them again.
   */
  prepareDeletion(t: TopicImage): void {
    const partitions = this.replicas.removeTopic(t.name);
    const doomed = this.logs.markForDeletion(t.partitions.map((p) => ({ topic: t.name, partition: p.partition })));
    const earlier = this.preparedDeletions.get(t.topicId);
    this.preparedDeletions.set(t.topicId, { partitions: [...(earlier?.partitions ?? []), ...partitions], doomed: [...(earlier?.doomed ?? []), ...doomed] });
  }

  private apply(image: MetadataImage, delta: MetadataDelta, previous: MetadataImage): void {
    for (const t of deletedTopics(previous, image, delta)) this.finishDeletion(t);
    for (const t of delta.createdTopics ?? []) this.openNew(image, t.topicId, 0);
    for (const a of delta.addedPartitions ?? []) {
      const before = previous.topicById(a.topicId)?.partitions.length ?? 0;
      this.openNew(image, a.topicId, before);
    }
    for (const c of delta.changedPartitions ?? []) {
      const t = image.topicById(c.topicId);
      if (t === undefined || this.roles === null) continue;
      for (const pm of c.partitions) {
        const p = this.replicas.partition(t.name, pm.partition);
        const now = t.partitions[pm.partition];
        if (now === undefined || this.replicas.isOffline(t.name, pm.partition)) continue;
        if (!now.replicas.includes(this.nodeId)) {
          if (p !== undefined) this.removeReplica(p);
        } else if (p !== undefined) {
          this.roles.applyTo(p, now);
        } else {
          this.openReplica(t, now);
        }
      }
    }
    for (const c of delta.topicConfigs ?? []) {
      const t = image.topicById(c.topicId);
      if (t !== undefined) this.applyTopicConfigs(t.name, t.configs);
    }
    if ((delta.brokerConfigs?.length ?? 0) > 0) {
      this.applyDynamicBrokerConfigs(image);
      for (const t of image.topics()) this.applyTopicConfigs(t.name, t.configs);
      this.logs.configureCleaner(this.topicConfigs.cleanerOptions());
    }
  }

  /** A reassignment made this broker a replica of an existing partition: an empty log, then follower. */
  private openReplica(t: TopicImage, pm: PartitionImage): void {
    try {
      this.openPartitionList(t, [pm]);
      this.logger.info(`${t.name}-${pm.partition}: now a replica (reassignment), replicas [${pm.replicas.join(',')}]`);
    } catch (e) {
      this.logger.error(`cannot open ${t.name}-${pm.partition} as a new replica`, e);
    }
  }

  /**
   * A reassignment removed this broker from the partition's replicas (Kafka's StopReplica with
   * delete): it stops fetching and leading, and its log is deleted.
   */
  private removeReplica(p: Partition): void {
    this.roles?.stopReplica(p);
    this.replicas.removePartition(p.topic, p.index);
    this.logs.removeDeleted(this.logs.markForDeletion([{ topic: p.topic, partition: p.index }]));
    p.notify();
    this.logger.info(`${p.topic}-${p.index}: no longer a replica (reassignment); log deleted`);
  }

  private openNew(image: MetadataImage, topicId: string, from: number): void {
    const t = image.topicById(topicId);
    if (t === undefined) return;
    try {
      this.openPartitions(t, from);
    } catch (e) {
      // Only for partitions nobody prepared (the controller makes the directories first).
      this.logger.error(`cannot open the partitions of ${t.name} from ${from}`, e);
    }
  }

  private finishDeletion(t: TopicImage): void {
    let prepared = this.preparedDeletions.get(t.topicId);
    this.preparedDeletions.delete(t.topicId);
    if (prepared === undefined) {
      this.prepareDeletion(t);
      prepared = this.preparedDeletions.get(t.topicId) as PreparedDeletion;
      this.preparedDeletions.delete(t.topicId);
    }
    this.producePolicies.delete(t.name);
    this.logs.removeDeleted(prepared.doomed);
    // Wake long polls on it: they see the closed log and answer UNKNOWN_TOPIC_OR_PARTITION.
    for (const p of prepared.partitions) p.notify();
  }

  /** Pushes a topic's effective configs to its logs, partitions and produce policy. */
  private applyTopicConfigs(name: string, configs: Readonly<Record<string, string>>): void {
    const logConfig = this.logConfigFor(configs);
    const settings = this.topicConfigs.settingsFor(configs);
    this.producePolicies.set(name, this.topicConfigs.producePolicyFor(configs));
    for (const p of this.replicas.partitions(name) ?? []) {
      if (p === undefined) continue;
      p.log.config = logConfig;
      p.settings = settings;
    }
  }

  private applyDynamicBrokerConfigs(image: MetadataImage): void {
    for (const [level, name] of [['dynamic-default', ''], ['dynamic-broker', String(this.nodeId)]] as const) {
      try {
        this.config.setDynamic(level, parseDynamicBrokerConfigs({ ...image.brokerConfigs(name) }));
      } catch (e) {
        // A stored value that no longer validates must not stop the broker; it is reported and ignored.
        this.logger.error(`ignoring invalid stored dynamic broker configs for '${name}'`, e);
      }
    }
  }

  /** Loads or creates the logs of partitions [from, end) of `t` and registers their Partition objects. */
  private openPartitions(t: TopicImage, from: number, checkRecordedIds = true): void {
    if (checkRecordedIds) this.dropLogsOfLosingCreation(t, from);
    this.prepareLogs(t, from);
    this.openPartitionList(t, t.partitions.slice(from));
  }

  /** Registers Partition objects for `list` (of `t`) hosted here, creating a missing log empty. */
  private openPartitionList(t: TopicImage, list: readonly PartitionImage[]): void {
    const logConfig = this.logConfigFor(t.configs);
    for (const pm of list) {
      if (pm.replicas.includes(this.nodeId) && this.logs.getLog(t.name, pm.partition) === undefined) this.logs.createLog(t.name, pm.partition, logConfig, false, t.topicId);
    }
    this.logs.syncNewLogDirs();
    const settings = this.topicConfigs.settingsFor(t.configs);
    this.producePolicies.set(t.name, this.topicConfigs.producePolicyFor(t.configs));
    for (const pm of list) {
      if (!pm.replicas.includes(this.nodeId)) continue;
      const plog = this.logs.getLog(t.name, pm.partition);
      if (plog === undefined) continue;
      plog.config = logConfig;
      const partition = new Partition(t.name, pm.partition, t.topicId, plog, pm.leaderEpoch, settings, pm.replicas.length > 1);
      // The cleaner stays below the last stable offset and drops data of aborted transactions.
      plog.cleanerHooks = {
        stableOffset: () => partition.lastStableOffset,
        abortedTxns: (lo, hi) => partition.producers.collectAbortedTxns(lo, hi),
      };
      this.replicas.add(partition);
      this.roles?.applyTo(partition, pm);
    }
  }
}

/** The topic id a log directory's partition.metadata records (undefined: none, or unreadable). */
function recordedTopicId(dir: string): string | undefined {
  try {
    return readPartitionMetadata(dir);
  } catch {
    return undefined;
  }
}
