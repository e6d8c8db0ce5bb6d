/**
 * Controller election on etcd (Kafka's /controller and /controller_epoch znodes): candidates
 * campaign with etcd's election recipe (etcd3's Election: a key per candidate under
 * <prefix>/election/controller/, bound to the candidate's lease; the oldest key leads). The winner
 * then increments <prefix>/controller_epoch in a transaction that also checks its campaign key
 * still exists, so every win gets a new, larger epoch and a deposed candidate cannot take one.
 * A controller writes through EtcdMetadataStore.fenced(epoch): each of its transactions compares
 * the epoch, so once another candidate has won, the old controller's writes are refused
 * (NOT_CONTROLLER), as Kafka's zkVersion check on /controller_epoch refused them.
 * Leadership ends when the lease does (keep-alives stop for the TTL) or on resign(). The campaign's
 * lease is kept alive by lease-keeper.ts, as a registration is, so that losing one etcd member
 * does not depose the controller.
 */
import { Campaign, type Watcher } from 'etcd3';
import { ErrorCode } from '../../common/error-codes.js';
import { KafkaError } from '../../common/kafka-error.js';
import { LeaseKeeper } from './lease-keeper.js';
import type { EtcdSession } from './session.js';

export interface ControllerLeadership {
  readonly nodeId: number;
  /** The controller epoch this win got (Kafka's controller epoch). */
  readonly epoch: number;
  /** Calls `listener` when the leadership is lost (the campaign's lease expired or failed). */
  onLost(listener: (err: Error) => void): void;
  /** Steps down (revokes the campaign's lease); another candidate may win. */
  resign(): Promise<void>;
}

export interface ControllerCandidate {
  /** Resolves when this candidate has won and taken a new controller epoch. */
  elected(): Promise<ControllerLeadership>;
  /** Withdraws (and resigns if elected). */
  cancel(): Promise<void>;
}

const ELECTION = 'controller';

/** The current controller's node id, if any candidate leads. */
export async function currentController(session: EtcdSession): Promise<number | undefined> {
  const v = await session.client.namespace(session.keys.root).election(ELECTION).leader();
  return v === undefined ? undefined : Number(v);
}

/** The current controller epoch (0 before any election). */
export async function controllerEpoch(session: EtcdSession): Promise<number> {
  const v = await session.client.get(session.keys.controllerEpoch).string();
  return v === null ? 0 : Number(v);
}

export function campaignForController(session: EtcdSession, nodeId: number, ttlMs: number): ControllerCandidate {
  // election(ELECTION).campaign(value), built by hand so that the watchers the campaign opens
  // (waiting for the candidates ahead of it) can be cancelled when the node closes: etcd3's
  // resign() leaves them, and once the client is closed they retry forever on timers.
  const ns = session.client.namespace(session.keys.root).namespace(`election/${ELECTION}/`);
  const watchers = new Set<Watcher>();
  const watch = ns.watch.bind(ns);
  ns.watch = () => {
    const builder = watch();
    const create = builder.create.bind(builder);
    builder.create = async () => {
      const w = await create();
      watchers.add(w);
      w.on('end', () => watchers.delete(w));
      return w;
    };
    return builder;
  };
  // The campaign's lease is kept alive by a LeaseKeeper (moves off a dead etcd member in time), not
  // by etcd3's Lease; a loss the keeper sees reaches the campaign as the Lease's own 'lost'.
  const ttl = Math.max(1, Math.ceil(ttlMs / 1000));
  let keeper: LeaseKeeper | null = null;
  let released = false;
  const lease = ns.lease.bind(ns);
  ns.lease = (leaseTtl, options) => {
    const l = lease(leaseTtl, { ...options, autoKeepAlive: false });
    const stop = (): void => {
      released = true;
      keeper?.stop();
    };
    const revoke = l.revoke.bind(l);
    l.revoke = (o) => {
      stop();
      return revoke(o);
    };
    const release = l.release.bind(l);
    l.release = () => {
      stop();
      release();
    };
    l.grant().then(
      (id) => {
        if (released) return;
        keeper = new LeaseKeeper(session, id, ttl, `controller candidate ${nodeId}`);
        session.onClose(() => keeper?.stop());
        keeper.onLost((err) => l.emit('lost', err));
      },
      () => undefined, // the campaign sees the failed grant itself
    );
    return l;
  };
  const campaign = new Campaign(ns, String(nodeId), ttl);
  session.onClose(() => void campaign.resign().catch(() => undefined));
  const lostListeners: ((err: Error) => void)[] = [];
  let lost: Error | undefined;
  campaign.on('error', (err) => {
    lost = err;
    for (const l of lostListeners) l(err);
  });
  let result: Promise<ControllerLeadership> | undefined;
  const elected = async (): Promise<ControllerLeadership> => {
    await campaign.wait();
    const epoch = await takeEpoch(session, await campaign.getCampaignKey());
    return {
      nodeId,
      epoch,
      onLost: (l) => {
        if (lost !== undefined) l(lost);
        else lostListeners.push(l);
      },
      resign: () => campaign.resign(),
    };
  };
  return {
    elected: () => (result ??= elected()),
    cancel: async () => {
      try {
        await campaign.resign();
      } finally {
        // Even when resigning fails (the lease already expired): a watcher left behind keeps
        // re-connecting on timers after the client is closed, and the process never exits.
        await Promise.all([...watchers].map((w) => w.cancel().catch(() => undefined)));
      }
    },
  };
}

/** Increments the controller epoch while `campaignKey` (this candidate's) still exists. */
async function takeEpoch(session: EtcdSession, campaignKey: string): Promise<number> {
  const { client, keys } = session;
  for (;;) {
    const r = await client.get(keys.controllerEpoch).exec();
    const kv = r.kvs[0];
    const epoch = kv === undefined ? 0 : Number(kv.value.toString());
    const mod = kv === undefined ? 0 : Number(kv.mod_revision);
    const t = await client
      .if(campaignKey, 'Create', '>', 0)
      .and(keys.controllerEpoch, 'Mod', '==', mod)
      .then(client.put(keys.controllerEpoch).value(String(epoch + 1)))
      .else(client.get(campaignKey))
      .commit();
    if (t.succeeded) return epoch + 1;
    if ((t.responses[0]?.response_range.kvs.length ?? 0) === 0) {
      throw new KafkaError(ErrorCode.NOT_CONTROLLER, 'lost the controller election (campaign lease expired) before taking an epoch');
    }
  }
}

/**
 * Follows who the controller is: `onChange` with its node id (undefined while there is none), at
 * once and on every change. The leader is the candidate key with the oldest create revision (the
 * election recipe); it is read again after every change under the election prefix, with a watch
 * opened before the first read so no change is missed. etcd3's ElectionObserver is not used: when
 * it sees no leader and several candidates' keys arrive in one watch response, it takes the last
 * one as the leader and keeps it until that key is deleted (seen under load: one broker named
 * broker 2 the controller for good while the others, rightly, named broker 1). A watch that fails
 * is opened again after a short pause, so the answer never stays stale. Returns a function that
 * stops observing.
 */
export async function observeController(session: EtcdSession, onChange: (nodeId: number | undefined) => void): Promise<() => Promise<void>> {
  const parse = (v: string | undefined): number | undefined => (v === undefined || !/^\d+$/.test(v) ? undefined : Number(v));
  const candidates = session.client.namespace(session.keys.root).namespace(`election/${ELECTION}/`);
  let stopped = false;
  let watcher: Watcher | null = null;
  let retry: NodeJS.Timeout | null = null;
  let reported = false;
  let last: number | undefined;
  let reading: Promise<void> | null = null;
  let readAgain = false;
  const report = (id: number | undefined): void => {
    if (reported && id === last) return;
    reported = true;
    last = id;
    onChange(id);
  };
  const later = (fn: () => void): void => {
    if (stopped || retry !== null) return;
    retry = setTimeout(() => {
      retry = null;
      fn();
    }, 500);
    retry.unref();
  };
  // One read at a time; a change during a read asks for one more.
  const readLeader = (): Promise<void> => {
    if (reading !== null) {
      readAgain = true;
      return reading;
    }
    reading = (async () => {
      do {
        readAgain = false;
        const oldest = await candidates.getAll().sort('Create', 'Ascend').limit(1).exec();
        if (stopped) return;
        report(parse(oldest.kvs[0]?.value.toString()));
      } while (readAgain && !stopped);
    })().finally(() => {
      reading = null;
    });
    return reading;
  };
  const reread = (): void => void readLeader().catch(() => later(reread));
  const start = async (): Promise<void> => {
    const w = await candidates.watch().prefix('').watcher();
    if (stopped) {
      await w.cancel().catch(() => undefined);
      return;
    }
    watcher = w;
    w.on('data', reread);
    w.on('error', () => {
      void w.cancel().catch(() => undefined);
      if (stopped || watcher !== w) return;
      watcher = null;
      later(restart);
    });
    await readLeader().catch(() => later(reread));
  };
  const restart = (): void => void start().catch(() => later(restart));
  await start();
  return async () => {
    stopped = true;
    if (retry !== null) clearTimeout(retry);
    await watcher?.cancel().catch(() => undefined);
  };
}
