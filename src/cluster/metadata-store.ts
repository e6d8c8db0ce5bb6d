/**
 * The single-node MetadataStore: the image kept in memory and persisted as a JSON snapshot in the
 * first log dir (written to a temporary file, fsynced, renamed, directory fsynced) plus a journal
 * of the deltas committed since (metadata-journal.ts: once the snapshot is 1 MiB or more, a commit
 * appends its delta instead of rewriting everything, until the journal is as large as the
 * snapshot), so a commit is durable before its image is published. Kafka keeps this in its KRaft
 * metadata log with snapshots; one node with no quorum needs only a snapshot and what follows it.
 * File format: `{version: 1, clusterId, topics, brokerConfigs?, epoch?, nextProducerId?, scramCredentials?, clientQuotas?}`
 * (clientQuotas: entity key → quota key → number, added with client quotas; older files have none). `epoch`
 * was added with the image and `nextProducerId` (a decimal string: int64) with producer-id blocks;
 * both are optional: files written before them load with epoch 0 and nextProducerId 0 (the
 * producer-id allocator then starts above every id the broker issued before, see
 * broker/producer-id-blocks.ts), and older Samsa versions ignore them (they read only the fields
 * they know). Broker registrations are not written: a broker registers again when it starts (like
 * a KRaft broker, which is fenced until it does), so a commit that only registers brokers skips
 * the write and its epoch is not persisted.
 * `acls` (the ACL bindings, absent while there are none) was added with ACLs; older versions ignore it.
 * `groupConfigs` (group id → dynamic group configs, absent while none) was added with group configs.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { AclBinding } from '../auth/acl.js';
import { log as processLog, type Logger } from '../common/logger.js';
import { applyDelta, changesDurableState, type MetadataDelta } from '../metadata/delta.js';
import { freezeTopic, MetadataImage, type PartitionImage, type ScramCredentialImage, type TopicImage } from '../metadata/image.js';
import type { MetadataListener, MetadataStore } from '../metadata/store.js';
import { JOURNAL_MIN_SNAPSHOT_BYTES, MetadataJournal } from './metadata-journal.js';

/** The names the store used before the image existed (kept for code that still says them). */
export type PartitionMetadata = PartitionImage;
export type TopicMetadata = TopicImage;

interface Snapshot {
  version: 1;
  clusterId: string;
  topics: TopicImage[];
  /** Dynamic broker configs as strings, keyed by resource name: '' = cluster default, else a node id. */
  brokerConfigs?: Record<string, Record<string, string>>;
  /** ACL bindings (absent while there are none, and in files written before ACLs existed). */
  acls?: AclBinding[];
  /** The image's epoch (absent in files written before it existed). */
  epoch?: number;
  /** The image's nextProducerId as a decimal string (absent before producer-id blocks were in the image, or while 0). */
  nextProducerId?: string;
  /** SCRAM credentials by user and mechanism (absent when none; older versions ignore it). */
  scramCredentials?: Record<string, Record<string, ScramCredentialImage>>;
  /** Client quotas by entity key (absent while none: files of older versions have none). */
  clientQuotas?: Record<string, Record<string, number>>;
  /** Dynamic group configs by group id (absent while none: files of older versions have none). */
  groupConfigs?: Record<string, Record<string, string>>;
}

export const METADATA_FILE = '__samsa_metadata.json';

export class LocalMetadataStore implements MetadataStore {
  private current: MetadataImage;
  private readonly listeners = new Set<MetadataListener>();
  /** Commits made by a watcher while others are being told of an earlier one (told afterwards, in order). */
  private readonly pending: [MetadataImage, MetadataDelta, MetadataImage][] = [];
  private notifying = false;
  private readonly journal: MetadataJournal;
  /** Bytes of the snapshot file last written or read. */
  private snapshotBytes = 0;
  /** Topic JSON texts this store made for its snapshots (tests bound a commit's work with it). */
  readonly snapshotStats: SnapshotStats = { topicsSerialized: 0 };

  private constructor(
    private readonly dir: string,
    image: MetadataImage,
    private readonly logger: Logger,
  ) {
    this.current = image;
    this.journal = new MetadataJournal(dir);
  }

  /** `logger`: the broker's (default the process logger), for watchers that fail. */
  static open(dir: string, newClusterId: () => string, logger: Logger = processLog): LocalMetadataStore {
    const path = join(dir, METADATA_FILE);
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8');
      const snapshot = JSON.parse(text) as Snapshot;
      const store = new LocalMetadataStore(dir, withAcls(imageOf(snapshot), snapshot), logger);
      store.snapshotBytes = Buffer.byteLength(text);
      store.replayJournal();
      return store;
    }
    const store = new LocalMetadataStore(dir, MetadataImage.empty(newClusterId()), logger);
    store.persist(store.current);
    store.journal.reset();
    return store;
  }

  /** Applies the journal's entries after the snapshot's epoch (each keeps the epoch it was committed at). */
  private replayJournal(): void {
    let image = this.current;
    for (const { epoch, delta } of this.journal.read()) {
      if (epoch <= image.epoch) continue;
      image = new MetadataImage({ ...applyDelta(image, delta).parts(), epoch });
    }
    this.current = image;
  }

  /**
   * Makes a delta's commit durable: its journal entry, or a whole snapshot while the snapshot is
   * small or once the journal has grown as large as it (then the journal is emptied).
   */
  private persistCommit(next: MetadataImage, delta: MetadataDelta): void {
    if (this.snapshotBytes >= JOURNAL_MIN_SNAPSHOT_BYTES && !this.journal.needsSnapshot) {
      const { line, bytes } = MetadataJournal.entryBytes(next.epoch, delta);
      if (this.journal.size + bytes <= this.snapshotBytes) {
        this.journal.append(line);
        return;
      }
    }
    this.persist(next);
    this.journal.reset();
  }

  get clusterId(): string {
    return this.current.clusterId;
  }

  image(): MetadataImage {
    return this.current;
  }

  /** commit(), done before returning (this store needs no round trip); for tests and commit() itself. */
  commitSync(delta: MetadataDelta): MetadataImage {
    const previous = this.current;
    const next = applyDelta(previous, delta);
    if (changesDurableState(delta)) this.persistCommit(next, delta);
    this.current = next;
    this.pending.push([next, delta, previous]);
    this.notify();
    return next;
  }

  commit(delta: MetadataDelta): Promise<MetadataImage> {
    try {
      return Promise.resolve(this.commitSync(delta));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  watch(listener: MetadataListener): () => void {
    // A wrapper, so that watching twice with one function gives two independent subscriptions.
    const entry: MetadataListener = (image, delta, previous) => listener(image, delta, previous);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  private notify(): void {
    if (this.notifying) return;
    this.notifying = true;
    try {
      for (let change = this.pending.shift(); change !== undefined; change = this.pending.shift()) {
        for (const l of [...this.listeners]) {
          try {
            l(...change);
          } catch (e) {
            // The delta is committed; a watcher that fails must not hide it from the others.
            this.logger.error(`metadata watcher failed on epoch ${change[0].epoch}`, e);
          }
        }
      }
    } finally {
      this.notifying = false;
    }
  }

  private persist(image: MetadataImage): void {
    // The topics are written from their cached JSON (snapshotText); the rest is small.
    const snapshot: Omit<Snapshot, 'topics'> = { version: 1, clusterId: image.clusterId };
    const brokerConfigs: Record<string, Record<string, string>> = {};
    for (const name of image.brokerConfigResources()) brokerConfigs[name] = { ...image.brokerConfigs(name) };
    if (Object.keys(brokerConfigs).length > 0) snapshot.brokerConfigs = brokerConfigs;
    const scram: Record<string, Record<string, ScramCredentialImage>> = {};
    for (const [user, byMechanism] of image.scramUsers()) scram[user] = Object.fromEntries(byMechanism);
    if (Object.keys(scram).length > 0) snapshot.scramCredentials = scram;
    snapshot.epoch = image.epoch;
    if (image.nextProducerId > 0n) snapshot.nextProducerId = image.nextProducerId.toString();
    if (image.acls().length > 0) snapshot.acls = [...image.acls()];
    if (image.hasClientQuotas) {
      const quotas: Record<string, Record<string, number>> = {};
      for (const [entity, q] of image.clientQuotaEntries()) quotas[entity] = { ...q };
      snapshot.clientQuotas = quotas;
    }
    const groupConfigs: Record<string, Record<string, string>> = {};
    for (const groupId of image.groupConfigResources()) groupConfigs[groupId] = { ...image.groupConfigs(groupId) };
    if (Object.keys(groupConfigs).length > 0) snapshot.groupConfigs = groupConfigs;
    const path = join(this.dir, METADATA_FILE);
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      const text = snapshotText(snapshot, image, this.snapshotStats);
      writeSync(fd, text);
      this.snapshotBytes = Buffer.byteLength(text);
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

/**
 * Each topic's JSON, by the frozen TopicImage it was made from: images share unchanged topics, so
 * a commit serializes only the topics it changed instead of all of them (at 100,000 topics that
 * was ~250 ms of every commit). The file is still the whole snapshot.
 */
const topicJson = new WeakMap<TopicImage, string>();

/** Topic JSON texts a store made (the others came from the cache). */
export interface SnapshotStats {
  topicsSerialized: number;
}

/** The snapshot file's text: `rest` with the image's topics (same JSON as JSON.stringify of a Snapshot). */
function snapshotText(rest: Omit<Snapshot, 'topics'>, image: MetadataImage, stats: SnapshotStats): string {
  const parts: string[] = [];
  for (const t of image.topics()) {
    let json = topicJson.get(t);
    if (json === undefined) {
      json = JSON.stringify(t);
      topicJson.set(t, json);
      stats.topicsSerialized++;
    }
    parts.push(json);
  }
  const { version, clusterId, ...others } = rest;
  const tail = JSON.stringify(others);
  return `{"version":${JSON.stringify(version)},"clusterId":${JSON.stringify(clusterId)},"topics":[${parts.join(',')}]${tail === '{}' ? '}' : `,${tail.slice(1)}`}`;
}

function imageOf(s: Snapshot): MetadataImage {
  const topics = new Map<string, TopicImage>();
  for (const t of s.topics) topics.set(t.name, freezeTopic(t));
  const brokerConfigs = new Map<string, Readonly<Record<string, string>>>();
  for (const [name, configs] of Object.entries(s.brokerConfigs ?? {})) brokerConfigs.set(name, Object.freeze({ ...configs }));
  const nextProducerId = typeof s.nextProducerId === 'string' && /^\d{1,19}$/.test(s.nextProducerId) ? BigInt(s.nextProducerId) : 0n;
  const scramCredentials = new Map<string, ReadonlyMap<string, ScramCredentialImage>>();
  for (const [user, byMechanism] of Object.entries(s.scramCredentials ?? {})) scramCredentials.set(user, new Map(Object.entries(byMechanism).map(([m, c]) => [m, Object.freeze({ ...c })])));
  const clientQuotas = new Map<string, Readonly<Record<string, number>>>();
  for (const [entity, q] of Object.entries(s.clientQuotas ?? {})) clientQuotas.set(entity, Object.freeze({ ...q }));
  const groupConfigs = new Map<string, Readonly<Record<string, string>>>();
  for (const [groupId, configs] of Object.entries(s.groupConfigs ?? {})) groupConfigs.set(groupId, Object.freeze({ ...configs }));
  return new MetadataImage({ epoch: typeof s.epoch === 'number' ? s.epoch : 0, clusterId: s.clusterId, topics, brokers: new Map(), brokerConfigs, nextProducerId, scramCredentials, clientQuotas, groupConfigs });
}

/** The image with the snapshot's ACL bindings (none in files written before ACLs). */
function withAcls(image: MetadataImage, s: Snapshot): MetadataImage {
  if (!Array.isArray(s.acls) || s.acls.length === 0) return image;
  return new MetadataImage({ ...image.parts(), acls: s.acls });
}
