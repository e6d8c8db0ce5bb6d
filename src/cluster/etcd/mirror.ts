/**
 * The etcd store's copy of the keys under its prefix, decoded (keys.ts), and how a set of changed
 * keys becomes the next MetadataImage and the MetadataDelta between the two. Kafka's brokers did
 * the same with ZooKeeper watches (and KRaft brokers with MetadataDelta from records); here the
 * delta is derived from what changed, so a watcher sees one delta per etcd revision whoever wrote
 * it. A key whose value does not decode is logged and treated as absent (a bad write by another
 * process must not stop this broker from following the cluster).
 */
import { aclKey, type AclBinding } from '../../auth/acl.js';
import { decodeAcl } from './acl-keys.js';
import { log } from '../../common/logger.js';
import type { MetadataDelta } from '../../metadata/delta.js';
import { freezeTopic, MetadataImage, normalizeTopicName, type BrokerImage, type PartitionImage, type ScramCredentialImage, type TopicImage } from '../../metadata/image.js';
import { decodeBroker, decodeClientQuotas, decodeConfig, decodePartitionState, decodeTopic, type EtcdKeys, type PartitionStateValue, type TopicValue } from './keys.js';
import { decodeScramUser } from './scram-users.js';

interface TopicEntry {
  value?: TopicValue;
  /** Mod revision of the topic key (0: absent). */
  valueRevision?: number;
  states: Map<number, { state: PartitionStateValue; modRevision: number }>;
  configs?: Record<string, string>;
}

/** What one batch of key changes touched. */
export interface Touched {
  topics: Set<string>;
  acls?: boolean;
  brokers: Set<number>;
  brokerConfigs: Set<string>;
  clientQuotas?: Set<string>;
  clusterId: boolean;
  producerIds?: boolean;
  /** Users whose SCRAM credentials changed. */
  scramUsers?: Set<string>;
  /** Groups whose dynamic configs changed. */
  groupConfigs?: Set<string>;
}

export function nothingTouched(): Touched {
  return { topics: new Set(), brokers: new Set(), brokerConfigs: new Set(), clusterId: false };
}

export class EtcdMirror {
  clusterId = '';
  /** Mod revision of <prefix>/metadata_version (0: absent), the guard of commits. */
  versionModRevision = 0;
  /** The first producer id of the next block (Kafka's ProducerIdsImage.nextProducerId). */
  nextProducerId = 0n;
  version = 0;
  /** ACL bindings by key id, in the order they were first seen. */
  private readonly acls = new Map<string, AclBinding>();
  private readonly topicEntries = new Map<string, TopicEntry>();
  private readonly brokers = new Map<number, BrokerImage>();
  private readonly brokerConfigs = new Map<string, Record<string, string>>();
  private readonly scramUsers = new Map<string, ReadonlyMap<string, ScramCredentialImage>>();
  private readonly clientQuotas = new Map<string, Record<string, number>>();
  private readonly groupConfigs = new Map<string, Record<string, string>>();

  constructor(private readonly keys: EtcdKeys) {}

  /** Mod revision of a partition's state key (0: absent). */
  partitionStateRevision(topic: string, partition: number): number {
    return this.topicEntries.get(topic)?.states.get(partition)?.modRevision ?? 0;
  }

  /** Mod revision of a topic's key (0: absent). */
  topicRevision(topic: string): number {
    return this.topicEntries.get(topic)?.valueRevision ?? 0;
  }

  partitionState(topic: string, partition: number): PartitionStateValue | undefined {
    return this.topicEntries.get(topic)?.states.get(partition)?.state;
  }

  /** Records a put (value) or a delete (undefined) of `key` at `modRevision`. */
  apply(key: string, value: string | undefined, modRevision: number, touched: Touched): void {
    const k = this.keys.parse(key);
    if (k === undefined) return;
    try {
      switch (k.kind) {
        case 'clusterId':
          this.clusterId = value ?? '';
          touched.clusterId = true;
          return;
        case 'producerIdBlock': {
          touched.producerIds = true;
          if (value === undefined) return;
          const o = JSON.parse(value) as { nextProducerId?: unknown };
          if (typeof o.nextProducerId !== 'string' || !/^\d{1,19}$/.test(o.nextProducerId)) throw new Error('nextProducerId is not a decimal string');
          this.nextProducerId = BigInt(o.nextProducerId);
          return;
        }
        case 'acl':
          touched.acls = true;
          if (value === undefined) this.acls.delete(k.id);
          else this.acls.set(k.id, decodeAcl(key, value));
          return;
        case 'metadataVersion':
          this.versionModRevision = value === undefined ? 0 : modRevision;
          this.version = value === undefined ? 0 : Number(value) || 0;
          return;
        case 'broker':
          if (value === undefined) this.brokers.delete(k.nodeId);
          else this.brokers.set(k.nodeId, decodeBroker(key, value));
          touched.brokers.add(k.nodeId);
          return;
        case 'brokerConfig':
          if (value === undefined) this.brokerConfigs.delete(k.resourceName);
          else this.brokerConfigs.set(k.resourceName, decodeConfig(key, value));
          touched.brokerConfigs.add(k.resourceName);
          return;
        case 'groupConfig':
          if (value === undefined) this.groupConfigs.delete(k.groupId);
          else this.groupConfigs.set(k.groupId, decodeConfig(key, value));
          (touched.groupConfigs ??= new Set()).add(k.groupId);
          return;
        case 'scramUser':
          if (value === undefined) this.scramUsers.delete(k.user);
          else this.scramUsers.set(k.user, decodeScramUser(key, value));
          (touched.scramUsers ??= new Set()).add(k.user);
          return;
        case 'clientQuota':
          if (value === undefined) this.clientQuotas.delete(k.entity);
          else this.clientQuotas.set(k.entity, decodeClientQuotas(key, value));
          (touched.clientQuotas ??= new Set()).add(k.entity);
          return;
        case 'topic':
        case 'partitionState':
        case 'topicConfig': {
          touched.topics.add(k.topic);
          let e = this.topicEntries.get(k.topic);
          if (e === undefined) {
            e = { states: new Map() };
            this.topicEntries.set(k.topic, e);
          }
          if (k.kind === 'topic') {
            if (value === undefined) {
              delete e.value;
              delete e.valueRevision;
            } else {
              e.value = decodeTopic(key, value);
              e.valueRevision = modRevision;
            }
          } else if (k.kind === 'partitionState') {
            if (value === undefined) e.states.delete(k.partition);
            else e.states.set(k.partition, { state: decodePartitionState(key, value), modRevision });
          } else if (value === undefined) delete e.configs;
          else e.configs = decodeConfig(key, value);
          if (e.value === undefined && e.states.size === 0 && e.configs === undefined) this.topicEntries.delete(k.topic);
          return;
        }
      }
    } catch (err) {
      log.warn(`etcd metadata: ignoring ${key}`, err);
    }
  }

  topicImage(name: string): TopicImage | undefined {
    const e = this.topicEntries.get(name);
    if (e?.value === undefined) return undefined;
    const partitions: PartitionImage[] = e.value.replicas.map((replicas, partition) => {
      const s = e.states.get(partition)?.state;
      const p: PartitionImage = { partition, leader: s?.leader ?? -1, leaderEpoch: s?.leaderEpoch ?? 0, replicas: [...replicas], isr: [...(s?.isr ?? [])], partitionEpoch: s?.partitionEpoch ?? 0 };
      const adding = e.value?.addingReplicas?.[String(partition)];
      const removing = e.value?.removingReplicas?.[String(partition)];
      if (adding === undefined && removing === undefined) return p;
      return { ...p, addingReplicas: [...(adding ?? [])], removingReplicas: [...(removing ?? [])] };
    });
    return freezeTopic({ name, topicId: e.value.topicId, partitions, configs: { ...(e.configs ?? {}) }, internal: e.value.internal });
  }

  /** The image of everything mirrored (at open). */
  image(epoch: number): MetadataImage {
    const touched = nothingTouched();
    touched.acls = true;
    for (const name of this.topicEntries.keys()) touched.topics.add(name);
    for (const id of this.brokers.keys()) touched.brokers.add(id);
    for (const r of this.brokerConfigs.keys()) touched.brokerConfigs.add(r);
    touched.scramUsers = new Set(this.scramUsers.keys());
    if (this.clientQuotas.size > 0) touched.clientQuotas = new Set(this.clientQuotas.keys());
    if (this.groupConfigs.size > 0) touched.groupConfigs = new Set(this.groupConfigs.keys());
    return this.next(MetadataImage.empty(this.clusterId), touched, epoch).image;
  }

  /** The image after the touched keys changed, and the delta from `previous` to it. */
  next(previous: MetadataImage, touched: Touched, epoch: number): { image: MetadataImage; delta: MetadataDelta } {
    const parts = previous.parts();
    const { byId, byNormalizedName } = parts.indexes;
    const created: TopicImage[] = [];
    const deleted: string[] = [];
    const added: { topicId: string; partitions: PartitionImage[] }[] = [];
    const changed: { topicId: string; partitions: PartitionImage[] }[] = [];
    const topicConfigs: { topicId: string; configs: Readonly<Record<string, string>> }[] = [];
    for (const name of [...touched.topics].sort()) {
      const before = previous.topic(name);
      const after = this.topicImage(name);
      if (before !== undefined && (after === undefined || after.topicId !== before.topicId)) {
        deleted.push(before.topicId);
        parts.topics.delete(name);
        byId.delete(before.topicId);
        if (byNormalizedName.get(normalizeTopicName(name)) === name) byNormalizedName.delete(normalizeTopicName(name));
      }
      if (after === undefined) continue;
      parts.topics.set(name, after);
      byId.set(after.topicId, after);
      byNormalizedName.set(normalizeTopicName(name), name);
      if (before === undefined || before.topicId !== after.topicId) {
        created.push(after);
        continue;
      }
      const more = after.partitions.slice(before.partitions.length);
      if (more.length > 0) added.push({ topicId: after.topicId, partitions: more });
      const diff = after.partitions.slice(0, before.partitions.length).filter((p, i) => !samePartition(p, before.partitions[i]));
      if (diff.length > 0) changed.push({ topicId: after.topicId, partitions: diff });
      if (!sameConfigs(before.configs, after.configs)) topicConfigs.push({ topicId: after.topicId, configs: after.configs });
    }
    const registered: BrokerImage[] = [];
    const unregistered: number[] = [];
    for (const id of [...touched.brokers].sort((a, b) => a - b)) {
      const b = this.brokers.get(id);
      if (b !== undefined) {
        const frozen = Object.freeze({ ...b, endpoints: Object.freeze(b.endpoints.map((e) => Object.freeze({ ...e }))) });
        parts.brokers.set(id, frozen);
        registered.push(frozen);
      } else if (parts.brokers.delete(id)) unregistered.push(id);
    }
    const brokerConfigs: { resourceName: string; configs: Readonly<Record<string, string>> }[] = [];
    for (const r of [...touched.brokerConfigs].sort()) {
      const c = this.brokerConfigs.get(r);
      if (c === undefined || Object.keys(c).length === 0) parts.brokerConfigs.delete(r);
      else parts.brokerConfigs.set(r, Object.freeze({ ...c }));
      brokerConfigs.push({ resourceName: r, configs: Object.freeze({ ...(c ?? {}) }) });
    }
    const scram: { user: string; mechanism: string; credential: ScramCredentialImage | null }[] = [];
    for (const user of [...(touched.scramUsers ?? [])].sort()) {
      const after = this.scramUsers.get(user);
      const before = parts.scramCredentials.get(user);
      for (const m of new Set([...(before?.keys() ?? []), ...(after?.keys() ?? [])])) scram.push({ user, mechanism: m, credential: after?.get(m) ?? null });
      if (after === undefined || after.size === 0) parts.scramCredentials.delete(user);
      else parts.scramCredentials.set(user, after);
    }
    const clientQuotas: { entity: string; quotas: Readonly<Record<string, number>> }[] = [];
    for (const entity of [...(touched.clientQuotas ?? [])].sort()) {
      const q = this.clientQuotas.get(entity);
      if (q === undefined || Object.keys(q).length === 0) parts.clientQuotas.delete(entity);
      else parts.clientQuotas.set(entity, Object.freeze({ ...q }));
      clientQuotas.push({ entity, quotas: Object.freeze({ ...(q ?? {}) }) });
    }
    const groupConfigs: { groupId: string; configs: Readonly<Record<string, string>> }[] = [];
    for (const groupId of [...(touched.groupConfigs ?? [])].sort()) {
      const c = this.groupConfigs.get(groupId);
      if (c === undefined || Object.keys(c).length === 0) parts.groupConfigs.delete(groupId);
      else parts.groupConfigs.set(groupId, Object.freeze({ ...c }));
      groupConfigs.push({ groupId, configs: Object.freeze({ ...(c ?? {}) }) });
    }
    const delta: Mutable<MetadataDelta> = {};
    if (groupConfigs.length > 0) delta.groupConfigs = groupConfigs;
    if (scram.length > 0) delta.scramCredentials = scram;
    if (clientQuotas.length > 0) delta.clientQuotas = clientQuotas;
    if (created.length > 0) delta.createdTopics = created;
    if (deleted.length > 0) delta.deletedTopics = deleted;
    if (added.length > 0) delta.addedPartitions = added;
    if (changed.length > 0) delta.changedPartitions = changed;
    if (topicConfigs.length > 0) delta.topicConfigs = topicConfigs;
    if (brokerConfigs.length > 0) delta.brokerConfigs = brokerConfigs;
    if (registered.length > 0) delta.registeredBrokers = registered;
    if (unregistered.length > 0) delta.unregisteredBrokers = unregistered;
    if (touched.producerIds === true && this.nextProducerId !== previous.nextProducerId) {
      delta.producerIdBlock = { brokerId: -1, firstProducerId: previous.nextProducerId, size: Number(this.nextProducerId - previous.nextProducerId) };
    }
    let acls = parts.acls;
    if (touched.acls === true) {
      const before = new Set(previous.acls().map(aclKey));
      const after = [...this.acls.values()];
      const now = new Set(after.map(aclKey));
      const created = after.filter((b) => !before.has(aclKey(b)));
      const deletedAcls = previous.acls().filter((b) => !now.has(aclKey(b)));
      if (created.length > 0) delta.createdAcls = created;
      if (deletedAcls.length > 0) delta.deletedAcls = deletedAcls;
      if (created.length > 0 || deletedAcls.length > 0) acls = after;
    }
    const image = new MetadataImage({ ...parts, acls, clusterId: this.clusterId, nextProducerId: this.nextProducerId, epoch });
    return { image, delta };
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function samePartition(a: PartitionImage, b: PartitionImage | undefined): boolean {
  return (
    b !== undefined &&
    a.leader === b.leader &&
    a.leaderEpoch === b.leaderEpoch &&
    a.partitionEpoch === b.partitionEpoch &&
    a.replicas.length === b.replicas.length &&
    a.replicas.every((r, i) => r === b.replicas[i]) &&
    a.isr.length === b.isr.length &&
    a.isr.every((r, i) => r === b.isr[i]) &&
    sameIds(a.addingReplicas, b.addingReplicas) &&
    sameIds(a.removingReplicas, b.removingReplicas)
  );
}

function sameIds(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((r, i) => r === y[i]);
}

function sameConfigs(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** True when the delta changes nothing (a revision that touched only keys the image does not show). */
export function isEmptyDelta(d: MetadataDelta): boolean {
  return Object.keys(d).length === 0;
}
