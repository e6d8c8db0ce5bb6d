/**
 * A change to the cluster metadata (Kafka's `MetadataDelta`, built from records such as
 * TopicRecord, PartitionRecord, RemoveTopicRecord, ConfigRecord, RegisterBrokerRecord,
 * ProducerIdsRecord) and the pure
 * function that applies it to an image. A delta is all or nothing: applyDelta checks every part
 * against the image first and throws MetadataDeltaError (changing nothing) when one does not fit,
 * e.g. a created topic whose name exists or a deletion of a topic the image does not have. The
 * controller validates requests with Kafka's error codes before it builds a delta, so such an
 * error means two writers raced or a bug, never a client mistake.
 * A producer-id block is allocated by naming its first id and size: the first id must not be below
 * the image's nextProducerId (so two brokers racing for a block cannot both get it; the loser
 * retries on the newer image), and may be above it (a broker upgraded from a version that kept
 * its own producer-id file starts above every id it had issued).
 * Samsa deviation: configs are replaced whole per resource (Kafka writes one ConfigRecord per key);
 * what the store writes is the same. The error carries the Kafka code a client would get for the
 * same conflict (TOPIC_ALREADY_EXISTS, UNKNOWN_TOPIC_ID, INVALID_PARTITIONS), for a store that finds
 * the conflict only when it re-validates after losing a race (the etcd store).
 */
import { aclKey, type AclBinding } from '../auth/acl.js';
import { ErrorCode } from '../common/error-codes.js';
import { freezeTopic, MetadataImage, normalizeTopicName, type BrokerImage, type PartitionImage, type ScramCredentialImage, type TopicImage } from './image.js';

export interface MetadataDelta {
  /** New topics (names and ids not in the image). */
  readonly createdTopics?: readonly TopicImage[];
  /** Topic ids to remove. */
  readonly deletedTopics?: readonly string[];
  /** Partitions appended to existing topics (indexes continue the topic's list). */
  readonly addedPartitions?: readonly { readonly topicId: string; readonly partitions: readonly PartitionImage[] }[];
  /** Topic config overrides, each replacing the topic's whole set. */
  readonly topicConfigs?: readonly { readonly topicId: string; readonly configs: Readonly<Record<string, string>> }[];
  /** Dynamic broker configs, each replacing a resource's whole set ('' = cluster default, else a node id); {} clears. */
  readonly brokerConfigs?: readonly { readonly resourceName: string; readonly configs: Readonly<Record<string, string>> }[];
  /** Broker registrations (replacing an earlier registration of the same node). */
  readonly registeredBrokers?: readonly BrokerImage[];
  /** A producer-id block [firstProducerId, firstProducerId + size) for `brokerId` (Kafka's ProducerIdsRecord). */
  readonly producerIdBlock?: ProducerIdBlock;
  /** Node ids whose registration ended (Kafka's UnregisterBrokerRecord; in etcd: the lease expired). */
  readonly unregisteredBrokers?: readonly number[];
  /** SCRAM credentials set (credential) or removed (null) (Kafka's UserScramCredentialRecord / RemoveUserScramCredentialRecord). */
  readonly scramCredentials?: readonly { readonly user: string; readonly mechanism: string; readonly credential: ScramCredentialImage | null }[];
  /** Existing partitions whose leader, leader epoch, ISR or partition epoch changed (Kafka's PartitionChangeRecord). */
  readonly changedPartitions?: readonly { readonly topicId: string; readonly partitions: readonly PartitionImage[] }[];
  /** ACL bindings added (Kafka's AccessControlEntryRecord); one the image has already is left as it is. */
  readonly createdAcls?: readonly AclBinding[];
  /** ACL bindings removed (Kafka's RemoveAccessControlEntryRecord); one the image lacks is ignored. */
  readonly deletedAcls?: readonly AclBinding[];
  /** Client quotas, each replacing an entity's whole set (entity key of broker/quotas/quota-entity.ts; {} clears). */
  readonly clientQuotas?: readonly { readonly entity: string; readonly quotas: Readonly<Record<string, number>> }[];
  /**
   * Client quota changes as operations on the quotas the image holds when the delta is applied
   * (Kafka's ClientQuotaRecord: one key set or removed; value null = remove), in order: a store
   * that re-applies a delta after losing a race keeps what the winner wrote to other keys.
   */
  readonly clientQuotaOps?: readonly { readonly entity: string; readonly key: string; readonly value: number | null }[];
  /** Dynamic group configs, each replacing a group's whole set ({} clears; Kafka's ConfigRecord of resource type GROUP). */
  readonly groupConfigs?: readonly { readonly groupId: string; readonly configs: Readonly<Record<string, string>> }[];
}

export interface ProducerIdBlock {
  readonly brokerId: number;
  readonly firstProducerId: bigint;
  readonly size: number;
}

/** Kafka's largest producer id (int64). */
export const MAX_PRODUCER_ID = 0x7fffffffffffffffn;

/** A delta that does not fit the image it is applied to. */
export class MetadataDeltaError extends Error {
  /** The Kafka error code of the conflict (ErrorCode). */
  readonly code: number;
  constructor(message: string, code: number = ErrorCode.UNKNOWN_SERVER_ERROR) {
    super(message);
    this.name = 'MetadataDeltaError';
    this.code = code;
  }
}

/** True when the delta changes anything besides broker registrations (which a local store need not persist). */
export function changesDurableState(d: MetadataDelta): boolean {
  return (
    (d.createdTopics?.length ?? 0) > 0 ||
    (d.deletedTopics?.length ?? 0) > 0 ||
    (d.addedPartitions?.length ?? 0) > 0 ||
    (d.changedPartitions?.length ?? 0) > 0 ||
    (d.topicConfigs?.length ?? 0) > 0 ||
    (d.createdAcls?.length ?? 0) > 0 ||
    (d.deletedAcls?.length ?? 0) > 0 ||
    (d.brokerConfigs?.length ?? 0) > 0 ||
    (d.scramCredentials?.length ?? 0) > 0 ||
    (d.clientQuotas?.length ?? 0) > 0 ||
    (d.clientQuotaOps?.length ?? 0) > 0 ||
    (d.groupConfigs?.length ?? 0) > 0 ||
    d.producerIdBlock !== undefined
  );
}

/** The image after `delta`, with the epoch one higher. Throws MetadataDeltaError when it does not fit. */
export function applyDelta(image: MetadataImage, delta: MetadataDelta): MetadataImage {
  const next = image.parts();
  const { byId, byNormalizedName } = next.indexes;
  const put = (t: TopicImage): void => {
    const frozen = freezeTopic(t);
    next.topics.set(frozen.name, frozen);
    byId.set(frozen.topicId, frozen);
    byNormalizedName.set(normalizeTopicName(frozen.name), frozen.name);
  };
  const existing = (topicId: string, what: string): TopicImage => {
    const t = byId.get(topicId);
    if (t === undefined) throw new MetadataDeltaError(`${what}: no topic with id ${topicId}`, ErrorCode.UNKNOWN_TOPIC_ID);
    return t;
  };
  for (const id of delta.deletedTopics ?? []) {
    const t = existing(id, 'deleting a topic');
    next.topics.delete(t.name);
    byId.delete(id);
    const normalized = normalizeTopicName(t.name);
    if (byNormalizedName.get(normalized) === t.name) byNormalizedName.delete(normalized);
  }
  for (const t of delta.createdTopics ?? []) {
    if (next.topics.has(t.name)) throw new MetadataDeltaError(`creating topic ${t.name}: the name exists`, ErrorCode.TOPIC_ALREADY_EXISTS);
    if (byId.has(t.topicId)) throw new MetadataDeltaError(`creating topic ${t.name}: id ${t.topicId} exists`, ErrorCode.TOPIC_ALREADY_EXISTS);
    t.partitions.forEach((p, i) => {
      if (p.partition !== i) throw new MetadataDeltaError(`creating topic ${t.name}: partition ${p.partition} at index ${i}`, ErrorCode.INVALID_PARTITIONS);
    });
    put({ ...t, partitions: t.partitions.map((p) => ({ ...p })), configs: { ...t.configs } });
  }
  for (const a of delta.addedPartitions ?? []) {
    const t = existing(a.topicId, 'adding partitions');
    a.partitions.forEach((p, i) => {
      if (p.partition !== t.partitions.length + i) throw new MetadataDeltaError(`adding partition ${p.partition} to ${t.name}, which has ${t.partitions.length}`, ErrorCode.INVALID_PARTITIONS);
    });
    put({ ...t, partitions: [...t.partitions, ...a.partitions.map((p) => ({ ...p }))] });
  }
  for (const c of delta.changedPartitions ?? []) {
    const t = existing(c.topicId, 'changing partitions');
    const partitions = [...t.partitions];
    for (const p of c.partitions) {
      if (partitions[p.partition] === undefined) throw new MetadataDeltaError(`changing partition ${p.partition} of ${t.name}, which has ${t.partitions.length}`, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      partitions[p.partition] = { ...p };
    }
    put({ ...t, partitions });
  }
  for (const c of delta.topicConfigs ?? []) {
    const t = existing(c.topicId, 'changing topic configs');
    put({ ...t, configs: { ...c.configs } });
  }
  for (const c of delta.brokerConfigs ?? []) {
    if (Object.keys(c.configs).length === 0) next.brokerConfigs.delete(c.resourceName);
    else next.brokerConfigs.set(c.resourceName, Object.freeze({ ...c.configs }));
  }
  for (const c of delta.groupConfigs ?? []) {
    if (Object.keys(c.configs).length === 0) next.groupConfigs.delete(c.groupId);
    else next.groupConfigs.set(c.groupId, Object.freeze({ ...c.configs }));
  }
  for (const c of delta.scramCredentials ?? []) {
    const mine = new Map(next.scramCredentials.get(c.user) ?? []);
    if (c.credential === null) mine.delete(c.mechanism);
    else mine.set(c.mechanism, Object.freeze({ ...c.credential }));
    if (mine.size === 0) next.scramCredentials.delete(c.user);
    else next.scramCredentials.set(c.user, mine);
  }
  for (const q of delta.clientQuotas ?? []) {
    if (Object.keys(q.quotas).length === 0) next.clientQuotas.delete(q.entity);
    else next.clientQuotas.set(q.entity, Object.freeze({ ...q.quotas }));
  }
  for (const op of delta.clientQuotaOps ?? []) {
    const quotas: Record<string, number> = { ...(next.clientQuotas.get(op.entity) ?? {}) };
    if (op.value === null) delete quotas[op.key];
    else quotas[op.key] = op.value;
    if (Object.keys(quotas).length === 0) next.clientQuotas.delete(op.entity);
    else next.clientQuotas.set(op.entity, Object.freeze(quotas));
  }
  for (const b of delta.registeredBrokers ?? []) {
    next.brokers.set(b.nodeId, Object.freeze({ ...b, endpoints: Object.freeze(b.endpoints.map((e) => Object.freeze({ ...e }))) }));
  }
  const block = delta.producerIdBlock;
  if (block !== undefined) {
    if (block.firstProducerId < image.nextProducerId) {
      throw new MetadataDeltaError(`producer-id block at ${block.firstProducerId}: ids below ${image.nextProducerId} are allocated`);
    }
    const end = block.firstProducerId + BigInt(block.size);
    if (!Number.isSafeInteger(block.size) || block.size <= 0 || end > MAX_PRODUCER_ID) {
      throw new MetadataDeltaError(`producer-id block of ${block.size} at ${block.firstProducerId}: out of range`);
    }
    next.nextProducerId = end;
  }
  for (const id of delta.unregisteredBrokers ?? []) next.brokers.delete(id);
  const acls = (delta.createdAcls?.length ?? 0) > 0 || (delta.deletedAcls?.length ?? 0) > 0 ? changeAcls(next.acls, delta) : next.acls;
  return new MetadataImage({ ...next, acls, epoch: image.epoch + 1 });
}

/** The bindings after removing `deletedAcls` and adding the `createdAcls` not present. */
function changeAcls(acls: readonly AclBinding[], delta: MetadataDelta): AclBinding[] {
  const gone = new Set((delta.deletedAcls ?? []).map(aclKey));
  const out = acls.filter((b) => !gone.has(aclKey(b)));
  const have = new Set(out.map(aclKey));
  for (const b of delta.createdAcls ?? []) {
    const k = aclKey(b);
    if (have.has(k)) continue;
    have.add(k);
    out.push(b);
  }
  return out;
}

/**
 * Topics of `previous` that `next` no longer has (by id: a re-created namesake counts as deleted).
 * With the `delta` that made `next`, only the topics it deletes are looked at (a commit then costs
 * its own size, not one lookup per topic); without it, every topic of `previous` is.
 */
export function deletedTopics(previous: MetadataImage, next: MetadataImage, delta?: MetadataDelta): TopicImage[] {
  const out: TopicImage[] = [];
  if (delta !== undefined) {
    for (const id of delta.deletedTopics ?? []) {
      const t = previous.topicById(id);
      if (t !== undefined && next.topicById(id) === undefined) out.push(t);
    }
    return out;
  }
  for (const t of previous.topics()) if (next.topicById(t.topicId) === undefined) out.push(t);
  return out;
}
