/**
 * The etcd keys a committed MetadataDelta writes (layout in keys.ts and docs/cluster.md), as Kafka
 * wrote a change to its ZooKeeper znodes: a topic's key (id and replica assignment), its
 * partitions' state keys (leader, leader epoch, ISR, partition epoch) and its config key; the
 * producer-id block; SCRAM users; client quota entities; dynamic broker and group configs; one key
 * per ACL binding. A partition whose state changes gets partition epoch + 1 and its state key is guarded
 * by its mod revision (Kafka's zkVersion check), so a commit cannot overwrite an ISR change it did
 * not see.
 *
 * Samsa's rules: each key is written once (etcd refuses a key twice in one transaction), with
 * its value taken from the next image rather than from the delta's items; a binding both deleted
 * and created in one delta is kept; a deleted topic's topic, state and config keys are deleted.
 */
import type { MetadataDelta } from '../../metadata/delta.js';
import type { MetadataImage, PartitionImage } from '../../metadata/image.js';
import { encodeAcl } from './acl-keys.js';
import type { EtcdOp, Guard } from './guarded-txn.js';
import { encodeClientQuotas, encodeConfig, encodeTopic, type PartitionStateValue } from './keys.js';
import type { EtcdMirror } from './mirror.js';
import { encodeScramUser } from './scram-users.js';
import type { EtcdSession } from './session.js';

/**
 * The puts and deletes that take the store from `base` to `next` (= applyDelta(base, delta)); the
 * state keys of changed partitions are appended to `guards` with their mod revision in `mirror`.
 */
export function deltaWrites(session: EtcdSession, mirror: EtcdMirror, base: MetadataImage, next: MetadataImage, delta: MetadataDelta, guards: Guard[]): EtcdOp[] {
  const { client, keys } = session;
  const names = new Set<string>();
  for (const id of delta.deletedTopics ?? []) names.add(base.topicById(id)?.name ?? '');
  for (const t of delta.createdTopics ?? []) names.add(t.name);
  for (const x of [...(delta.addedPartitions ?? []), ...(delta.changedPartitions ?? []), ...(delta.topicConfigs ?? [])]) names.add(next.topicById(x.topicId)?.name ?? '');
  names.delete('');
  const ops: EtcdOp[] = [];
  for (const name of names) {
    const before = base.topic(name);
    const after = next.topic(name);
    const same = before !== undefined && after !== undefined && before.topicId === after.topicId;
    const count = after?.partitions.length ?? 0;
    for (let p = count; p < (before?.partitions.length ?? 0); p++) ops.push(client.delete().key(keys.partitionState(name, p)));
    if (after === undefined) {
      ops.push(client.delete().key(keys.topic(name)), client.delete().key(keys.topicConfig(name)));
      continue;
    }
    ops.push(client.put(keys.topic(name)).value(encodeTopic(after)));
    after.partitions.forEach((p, i) => {
      const old = same ? before.partitions[i] : undefined;
      if (old !== undefined && sameState(old, p)) return;
      const partitionEpoch = old === undefined ? (p.partitionEpoch ?? 0) : (old.partitionEpoch ?? 0) + 1;
      if (old !== undefined) guards.push({ key: keys.partitionState(name, i), modRevision: mirror.partitionStateRevision(name, i) });
      const state: PartitionStateValue = { version: 1, leader: p.leader, leaderEpoch: p.leaderEpoch, isr: [...p.isr], partitionEpoch };
      ops.push(client.put(keys.partitionState(name, i)).value(JSON.stringify(state)));
    });
    if (Object.keys(after.configs).length > 0) ops.push(client.put(keys.topicConfig(name)).value(encodeConfig(after.configs)));
    else if (before !== undefined && Object.keys(before.configs).length > 0) ops.push(client.delete().key(keys.topicConfig(name)));
  }
  if (delta.producerIdBlock !== undefined) {
    // Guarded like every commit by metadata_version: two brokers never get the same block.
    ops.push(client.put(keys.producerIdBlock).value(JSON.stringify({ version: 1, nextProducerId: String(next.nextProducerId), brokerId: delta.producerIdBlock.brokerId })));
  }
  for (const user of new Set((delta.scramCredentials ?? []).map((c) => c.user))) {
    const creds = next.scramCredentialsOf(user) ?? new Map();
    ops.push(creds.size > 0 ? client.put(keys.scramUser(user)).value(encodeScramUser(creds)) : client.delete().key(keys.scramUser(user)));
  }
  for (const entity of new Set([...(delta.clientQuotas ?? []), ...(delta.clientQuotaOps ?? [])].map((q) => q.entity))) {
    const q = next.clientQuotas(entity);
    ops.push(q !== undefined ? client.put(keys.clientQuota(entity)).value(encodeClientQuotas(q)) : client.delete().key(keys.clientQuota(entity)));
  }
  const resources = new Set((delta.brokerConfigs ?? []).map((c) => c.resourceName));
  for (const r of resources) {
    const c = next.brokerConfigs(r);
    ops.push(Object.keys(c).length > 0 ? client.put(keys.brokerConfig(r)).value(encodeConfig(c)) : client.delete().key(keys.brokerConfig(r)));
  }
  for (const groupId of new Set((delta.groupConfigs ?? []).map((c) => c.groupId))) {
    const c = next.groupConfigs(groupId);
    ops.push(Object.keys(c).length > 0 ? client.put(keys.groupConfig(groupId)).value(encodeConfig(c)) : client.delete().key(keys.groupConfig(groupId)));
  }
  // ACL bindings: one key each (a binding both deleted and created in one delta is kept).
  const created = new Set((delta.createdAcls ?? []).map((b) => keys.acl(b)));
  for (const b of delta.deletedAcls ?? []) if (!created.has(keys.acl(b))) ops.push(client.delete().key(keys.acl(b)));
  const put = new Set<string>();
  for (const b of delta.createdAcls ?? []) {
    const k = keys.acl(b);
    if (put.has(k)) continue;
    put.add(k);
    ops.push(client.put(k).value(encodeAcl(b)));
  }
  return ops;
}

function sameState(a: PartitionImage, b: PartitionImage): boolean {
  return a.leader === b.leader && a.leaderEpoch === b.leaderEpoch && a.isr.length === b.isr.length && a.isr.every((r, i) => r === b.isr[i]);
}
