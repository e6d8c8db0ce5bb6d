/**
 * The key layout of the cluster metadata in etcd (docs/cluster.md), under a prefix (default
 * `/samsa`), and the JSON values stored there. Kafka kept the same things in ZooKeeper znodes;
 * the names follow them:
 *   <prefix>/cluster/id                                     cluster id (created once)
 *   <prefix>/brokers/ids/<nodeId>                           broker registration, bound to its lease
 *   <prefix>/brokers/topics/<topic>                         topic id, internal flag, replica assignment, reassignments in progress
 *   <prefix>/brokers/topics/<topic>/partitions/<p>/state    leader, leader epoch, ISR, partition epoch
 *   <prefix>/config/topics/<topic>                          topic config overrides
 *   <prefix>/config/brokers/<default>|<nodeId>              dynamic broker configs
 *   <prefix>/acls/<id>                                      one ACL binding; id = sha256 of the binding (hex, 32 chars)
 *   <prefix>/config/users/<user>                            client quotas of a user (Kafka's /config/users)
 *   <prefix>/config/users/<user>/clients/<client-id>        client quotas of a (user, client id)
 *   <prefix>/config/clients/<client-id>                     client quotas of a client id
 *   <prefix>/config/ips/<ip>                                connection_creation_rate of an address (Kafka's /config/ips)
 *                                                           (names percent-encoded, the default is <default>)
 *   <prefix>/config/user-credentials/<user>                 SCRAM credentials of a user, salted (user URI-encoded)
 *   <prefix>/latest_producer_id_block                       {version, nextProducerId (decimal string), brokerId}: the last block handed out
 *   <prefix>/election/controller/<leaseId>                  controller candidates (Kafka's /controller)
 *   <prefix>/controller_epoch                               controller epoch
 *   <prefix>/metadata_version                               bumped by every commit (its compare-and-swap guard)
 * Values are read from etcd, which other processes write: every decoder checks the shape and
 * throws EtcdValueError naming the key rather than trusting it.
 */
import type { AclBinding } from '../../auth/acl.js';
import { aclId } from './acl-keys.js';
import type { BrokerEndpoint, BrokerImage, OfflineReplica, PartitionImage } from '../../metadata/image.js';

/** Kafka's ZooKeeper name of the cluster-default dynamic broker config. */
export const DEFAULT_BROKER_RESOURCE = '<default>';

export class EtcdValueError extends Error {
  constructor(key: string, what: string) {
    super(`etcd key ${key}: ${what}`);
    this.name = 'EtcdValueError';
  }
}

/** A prefix as given by etcd.prefix: must start with '/', a trailing '/' is dropped. */
export function normalizePrefix(prefix: string): string {
  if (!prefix.startsWith('/')) throw new Error(`etcd.prefix must start with '/': ${JSON.stringify(prefix)}`);
  const p = prefix.replace(/\/+$/, '');
  return p;
}

export class EtcdKeys {
  constructor(readonly prefix: string) {}

  /** Everything of this cluster (the watch range): the prefix and a '/'. */
  get root(): string {
    return `${this.prefix}/`;
  }
  /** One ACL binding (Kafka's ZooKeeper kept a list per resource under /kafka-acl; here one key each, so no read-modify-write). */
  acl(b: AclBinding): string {
    return `${this.prefix}/acls/${aclId(b)}`;
  }
  get clusterId(): string {
    return `${this.prefix}/cluster/id`;
  }
  get metadataVersion(): string {
    return `${this.prefix}/metadata_version`;
  }
  get controllerEpoch(): string {
    return `${this.prefix}/controller_epoch`;
  }
  get producerIdBlock(): string {
    return `${this.prefix}/latest_producer_id_block`;
  }
  broker(nodeId: number): string {
    return `${this.prefix}/brokers/ids/${nodeId}`;
  }
  topic(name: string): string {
    return `${this.prefix}/brokers/topics/${name}`;
  }
  partitionState(topic: string, partition: number): string {
    return `${this.prefix}/brokers/topics/${topic}/partitions/${partition}/state`;
  }
  topicConfig(name: string): string {
    return `${this.prefix}/config/topics/${name}`;
  }
  /** '' (the cluster default) is stored as <default>, as Kafka did. */
  brokerConfig(resourceName: string): string {
    return `${this.prefix}/config/brokers/${resourceName === '' ? DEFAULT_BROKER_RESOURCE : resourceName}`;
  }

  /** A group's dynamic configs (Kafka: a ConfigRecord of resource type GROUP); the id is URI-encoded (it may hold '/'). */
  groupConfig(groupId: string): string {
    return `${this.prefix}/config/groups/${encodeURIComponent(groupId)}`;
  }

  /** A user's SCRAM credentials (Kafka keeps them in /config/users/<user> beside the user's quotas; Samsa in a key of their own); the name is URI-encoded (it may hold '/'). */
  scramUser(user: string): string {
    return `${this.prefix}/config/user-credentials/${encodeURIComponent(user)}`;
  }

  /** The key of a client quota entity, from its entity key (broker/quotas/quota-entity.ts). */
  clientQuota(entityKey: string): string {
    const parts = new Map(entityKey.split(',').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as const));
    const user = parts.get('user');
    const client = parts.get('client-id');
    const ip = parts.get('ip');
    if (ip !== undefined) return `${this.prefix}/config/ips/${ip}`;
    if (user !== undefined) return `${this.prefix}/config/users/${user}${client !== undefined ? `/clients/${client}` : ''}`;
    return `${this.prefix}/config/clients/${client ?? ''}`;
  }

  /** What a key under the prefix is, or undefined for keys the image does not hold. */
  parse(key: string): ParsedKey | undefined {
    if (!key.startsWith(this.root)) return undefined;
    const parts = key.slice(this.root.length).split('/');
    const [a, b, c, d, e, f] = parts;
    if (parts.length === 2 && a === 'cluster' && b === 'id') return { kind: 'clusterId' };
    if (parts.length === 1 && a === 'metadata_version') return { kind: 'metadataVersion' };
    if (parts.length === 1 && a === 'latest_producer_id_block') return { kind: 'producerIdBlock' };
    if (parts.length === 3 && a === 'brokers' && b === 'ids' && c !== undefined && /^\d{1,10}$/.test(c)) return { kind: 'broker', nodeId: Number(c) };
    if (a === 'brokers' && b === 'topics' && c !== undefined && c !== '') {
      if (parts.length === 3) return { kind: 'topic', topic: c };
      if (parts.length === 6 && d === 'partitions' && e !== undefined && /^\d{1,10}$/.test(e) && f === 'state') return { kind: 'partitionState', topic: c, partition: Number(e) };
    }
    if (parts.length === 2 && a === 'acls' && b !== undefined && /^[0-9a-f]{32}$/.test(b)) return { kind: 'acl', id: b };
    if (parts.length === 3 && a === 'config' && b === 'topics' && c !== undefined && c !== '') return { kind: 'topicConfig', topic: c };
    if (parts.length === 3 && a === 'config' && b === 'brokers' && c !== undefined && c !== '') return { kind: 'brokerConfig', resourceName: c === DEFAULT_BROKER_RESOURCE ? '' : c };
    if (parts.length === 3 && a === 'config' && b === 'groups' && c !== undefined && c !== '') {
      try {
        return { kind: 'groupConfig', groupId: decodeURIComponent(c) };
      } catch {
        return undefined;
      }
    }
    if (parts.length === 3 && a === 'config' && b === 'user-credentials' && c !== undefined && c !== '') {
      try {
        return { kind: 'scramUser', user: decodeURIComponent(c) };
      } catch {
        return undefined;
      }
    }
    if (a === 'config' && b === 'users' && c !== undefined && c !== '') {
      if (parts.length === 3) return { kind: 'clientQuota', entity: `user=${c}` };
      if (parts.length === 5 && d === 'clients' && e !== undefined && e !== '') return { kind: 'clientQuota', entity: `user=${c},client-id=${e}` };
    }
    if (parts.length === 3 && a === 'config' && b === 'clients' && c !== undefined && c !== '') return { kind: 'clientQuota', entity: `client-id=${c}` };
    if (parts.length === 3 && a === 'config' && b === 'ips' && c !== undefined && c !== '') return { kind: 'clientQuota', entity: `ip=${c}` };
    return undefined;
  }
}

export type ParsedKey =
  | { kind: 'acl'; id: string }
  | { kind: 'clusterId' }
  | { kind: 'metadataVersion' }
  | { kind: 'producerIdBlock' }
  | { kind: 'broker'; nodeId: number }
  | { kind: 'topic'; topic: string }
  | { kind: 'partitionState'; topic: string; partition: number }
  | { kind: 'topicConfig'; topic: string }
  | { kind: 'brokerConfig'; resourceName: string }
  | { kind: 'groupConfig'; groupId: string }
  | { kind: 'scramUser'; user: string }
  | { kind: 'clientQuota'; entity: string };

/** /brokers/topics/<t>: Kafka's znode held {version, partitions: {p: replicas}, topic_id}. */
export interface TopicValue {
  readonly version: 1;
  readonly topicId: string;
  readonly internal: boolean;
  /** Replicas of partition i at index i. */
  readonly replicas: readonly (readonly number[])[];
  /** Reassignments in progress (Kafka's znode held adding_replicas / removing_replicas the same way): partition → node ids. */
  readonly addingReplicas?: Readonly<Record<string, readonly number[]>>;
  readonly removingReplicas?: Readonly<Record<string, readonly number[]>>;
}

/** .../partitions/<p>/state: Kafka's znode held {leader, leader_epoch, isr, controller_epoch}, versioned by zkVersion. */
export interface PartitionStateValue {
  readonly version: 1;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly partitionEpoch: number;
}

function parseObject(key: string, raw: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new EtcdValueError(key, 'not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new EtcdValueError(key, 'not a JSON object');
  return v as Record<string, unknown>;
}

function isInt(v: unknown, min = -1): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
}

function intArray(key: string, v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => isInt(x, 0))) throw new EtcdValueError(key, `${what} is not a list of node ids`);
  return v as number[];
}

function stringMap(key: string, v: unknown): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new EtcdValueError(key, 'config is not an object');
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw new EtcdValueError(key, `config ${k} is not a string`);
    out[k] = x;
  }
  return out;
}

export function decodeTopic(key: string, raw: string): TopicValue {
  const o = parseObject(key, raw);
  if (o['version'] !== 1) throw new EtcdValueError(key, `unknown version ${String(o['version'])}`);
  if (typeof o['topicId'] !== 'string' || o['topicId'] === '') throw new EtcdValueError(key, 'no topicId');
  if (typeof o['internal'] !== 'boolean') throw new EtcdValueError(key, 'no internal flag');
  if (!Array.isArray(o['replicas'])) throw new EtcdValueError(key, 'no replicas');
  const replicas = (o['replicas'] as unknown[]).map((r, i) => intArray(key, r, `replicas of partition ${i}`));
  const out: { -readonly [K in keyof TopicValue]: TopicValue[K] } = { version: 1, topicId: o['topicId'], internal: o['internal'], replicas };
  for (const field of ['addingReplicas', 'removingReplicas'] as const) {
    const v = o[field];
    if (v === undefined) continue;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new EtcdValueError(key, `${field} is not an object`);
    const m: Record<string, number[]> = {};
    for (const [p, ids] of Object.entries(v)) {
      if (!/^\d{1,10}$/.test(p) || Number(p) >= replicas.length) throw new EtcdValueError(key, `${field} names partition ${p}, which does not exist`);
      m[p] = intArray(key, ids, `${field} of partition ${p}`);
    }
    out[field] = m;
  }
  return out;
}

/** The topic value of a topic image (replica lists, and the reassignments in progress when any). */
export function encodeTopic(t: { topicId: string; internal: boolean; partitions: readonly PartitionImage[] }): string {
  const value: { -readonly [K in keyof TopicValue]: TopicValue[K] } = { version: 1, topicId: t.topicId, internal: t.internal, replicas: t.partitions.map((p) => [...p.replicas]) };
  const adding: Record<string, number[]> = {};
  const removing: Record<string, number[]> = {};
  for (const p of t.partitions) {
    if ((p.addingReplicas?.length ?? 0) > 0) adding[String(p.partition)] = [...(p.addingReplicas ?? [])];
    if ((p.removingReplicas?.length ?? 0) > 0) removing[String(p.partition)] = [...(p.removingReplicas ?? [])];
  }
  if (Object.keys(adding).length > 0) value.addingReplicas = adding;
  if (Object.keys(removing).length > 0) value.removingReplicas = removing;
  return JSON.stringify(value);
}

export function decodePartitionState(key: string, raw: string): PartitionStateValue {
  const o = parseObject(key, raw);
  if (o['version'] !== 1) throw new EtcdValueError(key, `unknown version ${String(o['version'])}`);
  const { leader, leaderEpoch, partitionEpoch } = o;
  if (!isInt(leader) || !isInt(leaderEpoch, 0) || !isInt(partitionEpoch, 0)) throw new EtcdValueError(key, 'leader, leaderEpoch or partitionEpoch is not an integer');
  return { version: 1, leader, leaderEpoch, isr: intArray(key, o['isr'], 'isr'), partitionEpoch };
}

export function decodeConfig(key: string, raw: string): Record<string, string> {
  const o = parseObject(key, raw);
  if (o['version'] !== 1) throw new EtcdValueError(key, `unknown version ${String(o['version'])}`);
  return stringMap(key, o['config']);
}

export function encodeConfig(configs: Readonly<Record<string, string>>): string {
  return JSON.stringify({ version: 1, config: configs });
}

/** A client quota value: Kafka's znode held {version: 1, config: {key: "value"}}, values as strings. */
export function decodeClientQuotas(key: string, raw: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(decodeConfig(key, raw))) {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new EtcdValueError(key, `quota ${k} is not a number`);
    out[k] = n;
  }
  return out;
}

export function encodeClientQuotas(quotas: Readonly<Record<string, number>>): string {
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(quotas)) config[k] = String(v);
  return encodeConfig(config);
}

export function decodeBroker(key: string, raw: string): BrokerImage {
  const o = parseObject(key, raw);
  if (o['version'] !== 1) throw new EtcdValueError(key, `unknown version ${String(o['version'])}`);
  const { nodeId, rack, endpoints } = o;
  if (!isInt(nodeId, 0)) throw new EtcdValueError(key, 'nodeId is not an integer');
  if (rack !== null && typeof rack !== 'string') throw new EtcdValueError(key, 'rack is not a string or null');
  if (!Array.isArray(endpoints)) throw new EtcdValueError(key, 'no endpoints');
  const eps: BrokerEndpoint[] = endpoints.map((e: unknown) => {
    if (typeof e !== 'object' || e === null) throw new EtcdValueError(key, 'an endpoint is not an object');
    const { listenerName, host, port } = e as Record<string, unknown>;
    if (typeof listenerName !== 'string' || typeof host !== 'string' || !isInt(port, 0) || port > 65535) throw new EtcdValueError(key, 'an endpoint lacks listenerName, host or port');
    return { listenerName, host, port };
  });
  const out: { nodeId: number; rack: string | null; endpoints: BrokerEndpoint[]; offlineLogDirs?: string[]; offlineReplicas?: OfflineReplica[] } = { nodeId, rack, endpoints: eps };
  // Optional (older brokers omit them): the failed log dirs and the replicas they held.
  const { offlineLogDirs, offlineReplicas } = o;
  if (offlineLogDirs !== undefined) {
    if (!Array.isArray(offlineLogDirs) || !offlineLogDirs.every((d) => typeof d === 'string')) throw new EtcdValueError(key, 'offlineLogDirs is not a list of strings');
    out.offlineLogDirs = offlineLogDirs as string[];
  }
  if (offlineReplicas !== undefined) {
    if (!Array.isArray(offlineReplicas)) throw new EtcdValueError(key, 'offlineReplicas is not a list');
    out.offlineReplicas = offlineReplicas.map((r: unknown) => {
      const { topicId, partition } = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>;
      if (typeof topicId !== 'string' || !isInt(partition, 0)) throw new EtcdValueError(key, 'an offline replica lacks topicId or partition');
      return { topicId, partition };
    });
  }
  return out;
}

export function encodeBroker(b: BrokerImage): string {
  const o: Record<string, unknown> = { version: 1, nodeId: b.nodeId, rack: b.rack, endpoints: b.endpoints.map((e) => ({ listenerName: e.listenerName, host: e.host, port: e.port })) };
  if ((b.offlineLogDirs?.length ?? 0) > 0) o['offlineLogDirs'] = b.offlineLogDirs;
  if ((b.offlineReplicas?.length ?? 0) > 0) o['offlineReplicas'] = b.offlineReplicas?.map((r) => ({ topicId: r.topicId, partition: r.partition }));
  return JSON.stringify(o);
}
