/**
 * The one etcd transaction every metadata write is (metadata-store.ts): its puts and deletes apply
 * only while every guarded key still has the mod revision the writer's image was built on, and,
 * for a controller's write, while <prefix>/controller_epoch still holds the writer's epoch. This is
 * Kafka's ZooKeeper rule (a conditional write on the znode's zkVersion, and the controller epoch
 * check that fences a deposed controller with NOT_CONTROLLER) with etcd's mod revisions.
 *
 * A lost compare answers the guarded keys' current mod revisions, so the caller waits for the
 * watch to bring them and tries again. A failed call (etcd down, this broker cut off from it) is
 * REQUEST_TIMED_OUT (etcdUnreachable), as Kafka brokers answered metadata changes while ZooKeeper
 * was unreachable.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import type { EtcdSession } from './session.js';

/** One put or delete of a metadata transaction. */
export type EtcdOp = ReturnType<EtcdSession['client']['put']> | ReturnType<EtcdSession['client']['delete']>;

/** A key the transaction compares: it applies only while the key's mod revision is `modRevision` (0: absent). */
export interface Guard {
  key: string;
  modRevision: number;
}

export type GuardedTxnResult = { committed: true; revision: number } | { committed: false; current: Map<string, number> };

/**
 * One transaction: the ops when every guard (and the controller epoch, when given) holds, with the
 * revision it committed at; else the current mod revision of each guarded key. Rejects with
 * NOT_CONTROLLER when `controllerEpoch` is no longer current, REQUEST_TIMED_OUT when etcd does not answer.
 */
export async function guardedTxn(session: EtcdSession, guards: readonly Guard[], ops: EtcdOp[], controllerEpoch: number | undefined): Promise<GuardedTxnResult> {
  const { client, keys } = session;
  const [first, ...rest] = guards;
  if (first === undefined) throw new Error('a metadata transaction needs a guard');
  let txn = client.if(first.key, 'Mod', '==', first.modRevision);
  for (const g of rest) txn = txn.and(g.key, 'Mod', '==', g.modRevision);
  if (controllerEpoch !== undefined) txn = txn.and(keys.controllerEpoch, 'Value', '==', String(controllerEpoch));
  const reads = [...guards.map((g) => client.get(g.key)), client.get(keys.controllerEpoch)];
  const res = await txn
    .then(...ops)
    .else(...reads)
    .commit()
    .catch((e: unknown) => {
      throw etcdUnreachable(e);
    });
  if (res.succeeded) return { committed: true, revision: Number(res.header.revision) };
  const current = new Map<string, number>();
  res.responses.forEach((r, i) => {
    const kv = r.response_range.kvs[0];
    const g = guards[i];
    if (g !== undefined) current.set(g.key, kv === undefined ? 0 : Number(kv.mod_revision));
    else if (controllerEpoch !== undefined && kv?.value.toString() !== String(controllerEpoch)) {
      throw new KafkaError(ErrorCode.NOT_CONTROLLER, `controller epoch ${controllerEpoch} is not current (now ${kv?.value.toString() ?? 'none'}): this controller was deposed`);
    }
  });
  return { committed: false, current };
}

/**
 * A failed etcd call (etcd down, or this broker cut off from it) as the Kafka error clients get:
 * REQUEST_TIMED_OUT (retriable), as Kafka brokers answered metadata changes while ZooKeeper was
 * unreachable; the message says why. (A call that timed out may still have been applied; the
 * watch shows it once etcd answers again.)
 */
export function etcdUnreachable(e: unknown): KafkaError {
  if (e instanceof KafkaError) return e;
  const why = e instanceof Error ? e.message : String(e);
  return new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `the cluster metadata store (etcd) is unreachable, metadata changes wait until it answers: ${why}`, { cause: e });
}
