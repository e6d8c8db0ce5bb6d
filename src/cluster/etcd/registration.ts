/**
 * Broker registration bound to an etcd lease (Kafka's ephemeral znode /brokers/ids/<id>): the key
 * <prefix>/brokers/ids/<nodeId> is created only if absent, attached to a lease this module keeps
 * alive, so a broker is alive exactly while its lease is. A second live broker with the same
 * node.id is refused with DUPLICATE_BROKER_REGISTRATION (Kafka: "Error while creating ephemeral at
 * /brokers/ids/<id>, node already exists" at start-up). When the process stops keeping the lease
 * alive (crash, partition from etcd) etcd deletes the key after the TTL and every store watching
 * the prefix drops the broker from its image.
 *
 * The lease is lost only when etcd says so (a keep-alive answered with TTL 0: it expired while
 * this broker could not renew it), never because etcd is unreachable: ZooKeeper's session, too,
 * was expired by the server, and a client that could not reach it kept its session until it
 * reconnected and learnt otherwise. While etcd is down for everyone no lease expires (etcd gives
 * every lease a fresh TTL when a member becomes leader), so the registration simply continues
 * when it returns, with no leadership change (docs/cluster.md, "etcd outages"). The lease is kept
 * alive by lease-keeper.ts (etcd3's own Lease gives up after 2 TTLs without an answer, and stays
 * a whole TTL on a silent etcd member).
 * Samsa deviation: etcd counts TTLs in whole seconds (and enforces a minimum of about 2 s), so
 * ttlMs is rounded up to seconds.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { BrokerImage } from '../../metadata/image.js';
import { encodeBroker } from './keys.js';
import { LeaseKeeper } from './lease-keeper.js';
import type { EtcdSession } from './session.js';

export interface BrokerRegistration {
  readonly nodeId: number;
  /** The etcd lease id (decimal). */
  readonly leaseId: string;
  /** Calls `listener` when etcd reports the lease expired: the broker is no longer registered. */
  onLost(listener: (err: Error) => void): void;
  /** How long etcd has left the lease's keep-alives unanswered (lease-keeper.ts). */
  silentMs(): number;
  /** Rewrites the registration's value on the same lease (offline log dirs changed). */
  update(broker: BrokerImage): Promise<void>;
  /** Ends the registration now (revokes the lease; the key goes at once). */
  close(): Promise<void>;
}

export async function registerBroker(session: EtcdSession, broker: BrokerImage, ttlMs: number): Promise<BrokerRegistration> {
  const { client, keys } = session;
  const key = keys.broker(broker.nodeId);
  const ttl = Math.max(1, Math.ceil(ttlMs / 1000));
  const leaseId = (await client.leaseClient.leaseGrant({ TTL: ttl })).ID;
  const res = await client.if(key, 'Create', '==', 0).then(client.put(key).value(encodeBroker(broker)).lease(leaseId)).else(client.get(key)).commit();
  if (!res.succeeded) {
    await client.leaseClient.leaseRevoke({ ID: leaseId }).catch(() => undefined);
    const holder = res.responses[0]?.response_range.kvs[0]?.lease ?? 'unknown';
    throw new KafkaError(ErrorCode.DUPLICATE_BROKER_REGISTRATION, `node.id ${broker.nodeId} is already registered by a live broker (etcd key ${key}, lease ${holder}); node.id must be unique in the cluster`);
  }
  const keeper = new LeaseKeeper(session, leaseId, ttl, `broker ${broker.nodeId}`);
  session.onClose(() => keeper.stop());
  return {
    nodeId: broker.nodeId,
    leaseId,
    onLost: (l) => keeper.onLost(l),
    silentMs: () => keeper.silentMs,
    update: async (b) => {
      if (keeper.stopped) return;
      await client.put(key).value(encodeBroker(b)).lease(leaseId);
    },
    close: async () => {
      if (keeper.stopped) return;
      keeper.stop();
      await client.leaseClient.leaseRevoke({ ID: leaseId });
    },
  };
}

/**
 * Kafka's UnregisterBroker: ends the registration of `nodeId` by revoking the lease it is bound
 * to, so the key goes at once instead of when its TTL runs out (a dead broker's registration is
 * gone; a live broker loses its lease and registers again, as after a freeze). False when the
 * node is not registered.
 */
export async function unregisterBroker(session: EtcdSession, nodeId: number): Promise<boolean> {
  const { client, keys } = session;
  const res = await client.get(keys.broker(nodeId)).exec();
  const kv = res.kvs[0];
  if (kv === undefined) return false;
  if (kv.lease === '0') {
    await client.delete().key(keys.broker(nodeId));
    return true;
  }
  await client.leaseClient.leaseRevoke({ ID: kv.lease }).catch((e: unknown) => {
    // Expired meanwhile: the key is gone anyway.
    if (!(e instanceof Error && /not found/i.test(e.message))) throw e;
  });
  return true;
}
