/**
 * The MetadataStore of a cluster, kept in etcd (the role ZooKeeper played for Kafka; key layout in
 * keys.ts and docs/cluster.md). open() creates the cluster id once (the first broker's wins, by a
 * create-if-absent transaction), loads every key under the prefix and watches the prefix from the
 * next revision. Every image comes from that watch, so a commit by this broker and one by another
 * broker reach watchers the same way: once per etcd revision, in revision order, with
 * (image, delta, previous); the image epoch is the etcd revision.
 * commit(delta) validates the delta against the current image (applyDelta) and writes the keys it
 * changes in ONE transaction guarded by the mod revision of <prefix>/metadata_version (bumped by
 * every commit): a commit built on a stale image loses, waits for the watch to bring the newer
 * image, and validates again (then succeeds, or rejects with MetadataDeltaError carrying the Kafka
 * code, e.g. TOPIC_ALREADY_EXISTS). It resolves once the watch has delivered its revision, so the
 * image it returns is durable (etcd acknowledged it) and published.
 * alterPartition() is Kafka's AlterPartition with the zkVersion check: it compares only the
 * partition's state key, so ISR changes of different partitions never conflict; a stale partition
 * epoch is INVALID_UPDATE_VERSION, an older leader epoch FENCED_LEADER_EPOCH.
 * A controller writes through fenced(epoch): each transaction also compares <prefix>/controller_epoch,
 * so a deposed controller's write is refused with NOT_CONTROLLER.
 * While etcd does not answer, writes fail with REQUEST_TIMED_OUT ("the cluster metadata store (etcd)
 * is unreachable", etcdUnreachable) after the call deadline (session.ts); the image stays as it was.
 * The keys a delta writes are in delta-writes.ts, the guarded transaction in guarded-txn.ts.
 * Samsa deviations: broker registrations are not committed as deltas (registerBroker in
 * registration.ts binds them to a lease); the image epoch grows by the etcd revision, not by one.
 */
import type { Watcher } from 'etcd3';
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import { log } from '../../common/logger.js';
import { applyDelta, type MetadataDelta } from '../../metadata/delta.js';
import type { MetadataImage, TopicImage } from '../../metadata/image.js';
import type { MetadataListener, MetadataStore } from '../../metadata/store.js';
import { deltaWrites } from './delta-writes.js';
import { type Guard, guardedTxn } from './guarded-txn.js';
import { encodeTopic, type PartitionStateValue } from './keys.js';
import { EtcdMirror, isEmptyDelta, nothingTouched, type Touched } from './mirror.js';
import type { EtcdSession } from './session.js';

/** The new leader, leader epoch and ISR of a partition (AlterPartition's request). */
export interface PartitionStateChange {
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
}

/** A partition's whole assignment and state (a reassignment step: replicas, adding, removing, leader, ISR). */
export interface PartitionAssignmentChange extends PartitionStateChange {
  readonly replicas: readonly number[];
  readonly addingReplicas: readonly number[];
  readonly removingReplicas: readonly number[];
}

export interface WriteOptions {
  /** The writer's controller epoch: the write fails with NOT_CONTROLLER unless it is still current. */
  readonly controllerEpoch?: number;
}

export interface EtcdMetadataStoreOptions {
  /** How long a commit waits for the watch to deliver a revision (default 30 s). */
  readonly waitTimeoutMs?: number;
}

/** A lost compare-and-swap retries at most this many times before giving up. */
const MAX_ATTEMPTS = 50;

interface Waiter {
  ready: () => boolean;
  resolve: (image: MetadataImage) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class EtcdMetadataStore implements MetadataStore {
  private current: MetadataImage;
  private readonly listeners = new Set<MetadataListener>();
  private readonly waiters = new Set<Waiter>();
  private processedRevision: number;
  private watcher: Watcher | undefined;
  private closed = false;
  private readonly waitTimeoutMs: number;

  private constructor(private readonly session: EtcdSession, private readonly mirror: EtcdMirror, revision: number, options: EtcdMetadataStoreOptions) {
    this.current = mirror.image(revision);
    this.processedRevision = revision;
    this.waitTimeoutMs = options.waitTimeoutMs ?? 30_000;
  }

  static async open(session: EtcdSession, newClusterId: () => string, options: EtcdMetadataStoreOptions = {}): Promise<EtcdMetadataStore> {
    const { client, keys } = session;
    await client.if(keys.clusterId, 'Create', '==', 0).then(client.put(keys.clusterId).value(newClusterId())).commit();
    const res = await client.getAll().prefix(keys.root).exec();
    const mirror = new EtcdMirror(keys);
    for (const kv of res.kvs) mirror.apply(kv.key.toString(), kv.value.toString(), Number(kv.mod_revision), nothingTouched());
    if (mirror.clusterId === '') throw new Error(`etcd: ${keys.clusterId} vanished while opening the metadata store`);
    const revision = Number(res.header.revision);
    const store = new EtcdMetadataStore(session, mirror, revision, options);
    const watcher = await client.watch().prefix(keys.root).startRevision(String(revision + 1)).create();
    watcher.on('data', (r) => store.onWatch(r.events));
    watcher.on('error', (e) => log.error('etcd metadata watch failed', e));
    store.watcher = watcher;
    return store;
  }

  get clusterId(): string {
    return this.current.clusterId;
  }

  image(): MetadataImage {
    return this.current;
  }

  watch(listener: MetadataListener): () => void {
    const entry: MetadataListener = (image, delta, previous) => listener(image, delta, previous);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** A view whose writes carry a compare on the controller epoch (a controller's writes). */
  fenced(controllerEpoch: number): FencedMetadataStore {
    return {
      image: () => this.image(),
      watch: (l) => this.watch(l),
      commit: (d) => this.commit(d, { controllerEpoch }),
      alterPartition: (id, p, e, s) => this.alterPartition(id, p, e, s, { controllerEpoch }),
      alterPartitionAssignment: (id, p, e, c) => this.alterPartitionAssignment(id, p, e, c, { controllerEpoch }),
    };
  }

  async commit(delta: MetadataDelta, options: WriteOptions = {}): Promise<MetadataImage> {
    if ((delta.registeredBrokers?.length ?? 0) > 0 || (delta.unregisteredBrokers?.length ?? 0) > 0) {
      throw new Error('the etcd metadata store registers brokers through registerBroker (bound to a lease), not through commit');
    }
    const { client, keys } = this.session;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      this.checkOpen();
      const base = this.current;
      const next = applyDelta(base, delta); // throws MetadataDeltaError: the delta does not fit
      const guards: Guard[] = [{ key: keys.metadataVersion, modRevision: this.mirror.versionModRevision }];
      const ops = deltaWrites(this.session, this.mirror, base, next, delta, guards);
      ops.push(client.put(keys.metadataVersion).value(String(this.mirror.version + 1)));
      const r = await guardedTxn(this.session, guards, ops, options.controllerEpoch);
      if (r.committed) return this.imageAt(r.revision);
      await this.afterConflict(guards, r.current);
    }
    throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `metadata commit lost ${MAX_ATTEMPTS} compare-and-swaps in a row`);
  }

  /**
   * The topic and current partition epoch of a partition a caller alters: UNKNOWN_TOPIC_ID /
   * UNKNOWN_TOPIC_OR_PARTITION when it is gone, INVALID_UPDATE_VERSION when its partition epoch
   * moved on, FENCED_LEADER_EPOCH when the new leader epoch is older than the current one.
   */
  private partitionToAlter(topicId: string, partition: number, expectedPartitionEpoch: number, leaderEpoch: number): { t: TopicImage; epoch: number } {
    const t = this.current.topicById(topicId);
    if (t === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, `no topic with id ${topicId}`);
    const p = t.partitions[partition];
    if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${t.name} has no partition ${partition}`);
    const epoch = p.partitionEpoch ?? 0;
    if (expectedPartitionEpoch !== epoch) throw new KafkaError(ErrorCode.INVALID_UPDATE_VERSION, `${t.name}-${partition}: partition epoch is ${epoch}, not ${expectedPartitionEpoch}`);
    if (leaderEpoch < p.leaderEpoch) throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH, `${t.name}-${partition}: leader epoch ${leaderEpoch} is older than ${p.leaderEpoch}`);
    return { t, epoch };
  }

  /**
   * Kafka's AlterPartition: sets a partition's leader, leader epoch and ISR when its partition epoch
   * is still `expectedPartitionEpoch`, comparing only that partition's key; the partition epoch grows by one.
   */
  async alterPartition(topicId: string, partition: number, expectedPartitionEpoch: number, change: PartitionStateChange, options: WriteOptions = {}): Promise<MetadataImage> {
    const { client, keys } = this.session;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      this.checkOpen();
      const { t, epoch } = this.partitionToAlter(topicId, partition, expectedPartitionEpoch, change.leaderEpoch);
      const key = keys.partitionState(t.name, partition);
      const guards: Guard[] = [{ key, modRevision: this.mirror.partitionStateRevision(t.name, partition) }];
      const state: PartitionStateValue = { version: 1, leader: change.leader, leaderEpoch: change.leaderEpoch, isr: [...change.isr], partitionEpoch: epoch + 1 };
      const r = await guardedTxn(this.session, guards, [client.put(key).value(JSON.stringify(state))], options.controllerEpoch);
      if (r.committed) return this.imageAt(r.revision);
      await this.afterConflict(guards, r.current);
    }
    throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `AlterPartition lost ${MAX_ATTEMPTS} compare-and-swaps in a row`);
  }

  /**
   * A reassignment step (Kafka's PartitionChangeRecord with replicas, addingReplicas and
   * removingReplicas): writes the topic key with this partition's new replica lists and the
   * partition's state, when its partition epoch is still `expectedPartitionEpoch`. The topic key
   * is shared by the topic's partitions, so the transaction also compares (and bumps)
   * metadata_version; a commit elsewhere only makes it rebuild the topic key from the newer image
   * and try again, while a change of this partition is INVALID_UPDATE_VERSION (the caller decides again).
   */
  async alterPartitionAssignment(topicId: string, partition: number, expectedPartitionEpoch: number, change: PartitionAssignmentChange, options: WriteOptions = {}): Promise<MetadataImage> {
    const { client, keys } = this.session;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      this.checkOpen();
      const { t, epoch } = this.partitionToAlter(topicId, partition, expectedPartitionEpoch, change.leaderEpoch);
      const partitions = t.partitions.map((x) =>
        x.partition !== partition ? x : { ...x, replicas: change.replicas, addingReplicas: change.addingReplicas, removingReplicas: change.removingReplicas },
      );
      const stateKey = keys.partitionState(t.name, partition);
      const guards: Guard[] = [
        { key: keys.metadataVersion, modRevision: this.mirror.versionModRevision },
        { key: stateKey, modRevision: this.mirror.partitionStateRevision(t.name, partition) },
      ];
      const state: PartitionStateValue = { version: 1, leader: change.leader, leaderEpoch: change.leaderEpoch, isr: [...change.isr], partitionEpoch: epoch + 1 };
      const ops = [
        client.put(keys.topic(t.name)).value(encodeTopic({ topicId: t.topicId, internal: t.internal, partitions })),
        client.put(stateKey).value(JSON.stringify(state)),
        client.put(keys.metadataVersion).value(String(this.mirror.version + 1)),
      ];
      const r = await guardedTxn(this.session, guards, ops, options.controllerEpoch);
      if (r.committed) return this.imageAt(r.revision);
      await this.afterConflict(guards, r.current);
    }
    throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `reassignment step lost ${MAX_ATTEMPTS} compare-and-swaps in a row`);
  }

  /** Stops watching (the session stays open; its owner closes it). Pending commits are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error('the etcd metadata store is closed'));
    }
    this.waiters.clear();
    await this.watcher?.cancel().catch(() => undefined);
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('the etcd metadata store is closed');
  }

  /** After a lost compare: waits until the watch has brought every guarded key that moved. */
  private async afterConflict(guards: readonly Guard[], current: Map<string, number>): Promise<void> {
    const moved = guards.filter((g) => current.get(g.key) !== g.modRevision);
    await this.waitFor(() => moved.every((g) => this.guardRevision(g.key) !== g.modRevision), 'the watch to deliver a newer metadata revision');
  }

  private guardRevision(key: string): number {
    if (key === this.session.keys.metadataVersion) return this.mirror.versionModRevision;
    const k = this.session.keys.parse(key);
    return k?.kind === 'partitionState' ? this.mirror.partitionStateRevision(k.topic, k.partition) : 0;
  }

  /** The image right after `revision` (a later revision in the same watch response must not replace it). */
  private imageAt(revision: number): Promise<MetadataImage> {
    return this.waitFor(() => this.processedRevision >= revision, `the watch to deliver revision ${revision}`);
  }

  /** Resolves with the image current when `ready` first holds (checked after every revision). */
  private waitFor(ready: () => boolean, what: string): Promise<MetadataImage> {
    if (ready()) return Promise.resolve(this.current);
    if (this.closed) return Promise.reject(new Error('the etcd metadata store is closed'));
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        ready,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `timed out after ${this.waitTimeoutMs} ms waiting for ${what}`));
        }, this.waitTimeoutMs),
      };
      this.waiters.add(w);
    });
  }

  /** One watch response: its events grouped by revision, each revision one image (when it changes any). */
  private onWatch(events: readonly { type: 'Put' | 'Delete'; kv: { key: Buffer; value: Buffer; mod_revision: string } }[]): void {
    if (this.closed) return;
    let i = 0;
    while (i < events.length) {
      const revision = Number(events[i]?.kv.mod_revision);
      const touched: Touched = nothingTouched();
      for (let e = events[i]; e !== undefined && Number(e.kv.mod_revision) === revision; e = events[++i]) {
        this.mirror.apply(e.kv.key.toString(), e.type === 'Put' ? e.kv.value.toString() : undefined, revision, touched);
      }
      const previous = this.current;
      const { image, delta } = this.mirror.next(previous, touched, revision);
      this.processedRevision = revision;
      if (!isEmptyDelta(delta)) {
        this.current = image;
        for (const l of [...this.listeners]) {
          try {
            l(image, delta, previous);
          } catch (err) {
            log.error(`metadata watcher failed on epoch ${image.epoch}`, err);
          }
        }
      }
      for (const w of [...this.waiters]) {
        if (!w.ready()) continue;
        this.waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(this.current);
      }
    }
  }
}

/** The store as a controller sees it: every write fenced by its controller epoch. */
export interface FencedMetadataStore extends MetadataStore {
  alterPartition(topicId: string, partition: number, expectedPartitionEpoch: number, change: PartitionStateChange): Promise<MetadataImage>;
  alterPartitionAssignment(topicId: string, partition: number, expectedPartitionEpoch: number, change: PartitionAssignmentChange): Promise<MetadataImage>;
}
