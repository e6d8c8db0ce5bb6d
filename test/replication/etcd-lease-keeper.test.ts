/**
 * A broker's registration lease outlives the loss of the one etcd member its keep-alives go to.
 * Three brokers on a three-member etcd (broker.session.timeout.ms 2 s: a 2 s lease). For each
 * round the test finds the member that carries the keep-alive stream of the partition leader's
 * registration lease, or of the controller's campaign lease (etcd-keepalive-spy.ts), makes sure that member is not etcd's Raft leader (a new Raft
 * leader renews every lease, which would hide a keeper that stays on a dead member), then freezes
 * it (SIGSTOP: its TCP connections stay open and silent, the hard case) or kills it (SIGKILL) for
 * three lease TTLs. Meanwhile another client polls every broker's lease through the two other
 * members: no lease may expire (etcd answers TTL -1 for a lease it no longer has), every broker
 * keeps its registration on the same lease, the partition keeps its leader and epoch, and the
 * controller keeps its epoch (its campaign lease, too, may be on the lost member).
 * (A CI run lost a broker's lease when its keep-alive stream stayed 2.66 s on a dead member.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { useEtcd, type EtcdMember } from '../helpers/etcd.js';
import { spyOnKeepAlives } from '../helpers/etcd-keepalive-spy.js';
import { startCluster } from '../helpers/cluster.js';
import { createReplicatedTopics, until } from '../helpers/cluster-process.js';
import { EtcdKeys } from '../../src/cluster/etcd/keys.js';

const fx = useEtcd({ before, after }, { members: 3 });
const TOPIC = 'lease-keeper';
const TTL_MS = 2000;

const hostOf = (m: EtcdMember): string => m.endpoint.replace(/^https?:\/\//, '');

function client(endpoints: string[]): Etcd3 {
  return new Etcd3({ hosts: endpoints, defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 1000 }) });
}

/** The member id of each member, and the id of the Raft leader (as member 0..2 sees it). */
async function raft(members: EtcdMember[]): Promise<{ ids: string[]; leader: string }> {
  const ids: string[] = [];
  let leader = '';
  for (const m of members) {
    const c = client([m.endpoint]);
    try {
      const s = await c.maintenance.status();
      ids.push(s.header.member_id);
      if (leader === '') leader = s.leader;
      else if (leader !== s.leader) throw new Error(`members disagree on the Raft leader (${leader}, ${s.leader})`);
    } finally {
      c.close();
    }
  }
  return { ids, leader };
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
    return res.ok && ((await res.json()) as { health?: unknown }).health === 'true';
  } catch {
    return false;
  }
}

test('a broker keeps its etcd lease when the member carrying its keep-alives freezes or dies', { timeout: 5 * 60_000 }, async (t) => {
  const spy = spyOnKeepAlives();
  t.after(() => spy.uninstall());
  const members = fx.etcd.members;
  const prefix = fx.prefix();
  const keys = new EtcdKeys(prefix);
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix, size: 3, config: { 'broker.session.timeout.ms': TTL_MS } });
  t.after(() => cluster.stop());
  t.after(() => {
    for (const m of members) m.thaw();
  });
  t.after(async () => {
    for (const m of members) await m.start();
  });
  const image = (n: number) => cluster.broker(n).broker.metadata.image();
  await createReplicatedTopics(cluster.broker(1).port, [{ name: TOPIC }]);
  await until('a full ISR seen by every broker', () => [1, 2, 3].every((n) => image(n).topic(TOPIC)?.partitions[0]?.isr.length === 3), 30_000);
  const state = (): string => JSON.stringify([1, 2, 3].map((n) => image(n).topic(TOPIC)?.partitions.map((p) => [p.leader, p.leaderEpoch, [...p.isr].sort()])));
  const leaderOf = (): number => image(1).topic(TOPIC)?.partitions[0]?.leader ?? -1;

  const all = client(members.map((m) => m.endpoint));
  t.after(() => all.close());
  const leases = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const n of [1, 2, 3]) {
      const kv = (await all.get(keys.broker(n)).exec()).kvs[0];
      assert.ok(kv !== undefined, `broker ${n} registered`);
      out.push(kv.lease);
    }
    return out;
  };

  /** The controller's campaign lease: the oldest key under election/controller/ (named by its lease id). */
  const campaign = async (): Promise<{ nodeId: number; lease: string }> => {
    const r = await all.getAll().prefix(`${prefix}/election/controller/`).sort('Create', 'Ascend').exec();
    const kv = r.kvs[0];
    assert.ok(kv !== undefined, 'a controller');
    return { nodeId: Number(kv.value.toString()), lease: kv.lease };
  };

  // The member carrying the partition leader's registration keep-alives, frozen three times and
  // killed once, and the one carrying the controller's campaign keep-alives, frozen once.
  const rounds: [how: 'SIGSTOP' | 'SIGKILL', whose: 'registration' | 'campaign'][] = [
    ['SIGSTOP', 'registration'],
    ['SIGSTOP', 'campaign'],
    ['SIGSTOP', 'registration'],
    ['SIGSTOP', 'registration'],
    ['SIGKILL', 'registration'],
  ];
  for (const [round, [how, whose]] of rounds.entries()) {
    const before_ = state();
    const epoch = (await all.get(keys.controllerEpoch).string()) ?? '';
    const controller = await campaign();
    const ids = [...(await leases()), controller.lease];
    const leader = leaderOf();
    const lease = whose === 'registration' ? (ids[leader - 1] as string) : controller.lease;
    const holder = whose === 'registration' ? `broker ${leader}'s registration` : `controller ${controller.nodeId}'s campaign`;
    // The member carrying the keep-alives, made a Raft follower if it led etcd.
    const victim = await until(`the member carrying lease ${lease}, not the Raft leader`, async () => {
      const host = spy.memberOf(lease);
      const m = members.find((x) => hostOf(x) === host);
      if (m === undefined) return undefined;
      const r = await raft(members);
      const i = members.indexOf(m);
      if (r.ids[i] !== r.leader) return spy.memberOf(lease) === host ? m : undefined;
      const to = r.ids[(i + 1) % members.length] as string;
      const c = client([m.endpoint]);
      try {
        await c.maintenance.moveLeader({ targetID: to });
      } finally {
        c.close();
      }
      return undefined;
    }, 30_000);
    const others = members.filter((m) => m !== victim);
    const observer = client(others.map((m) => m.endpoint));
    const minTtl = new Map<string, number>(ids.map((id) => [id, Infinity]));
    const started = performance.now();
    if (how === 'SIGSTOP') victim.freeze();
    else await victim.kill();
    try {
      // Three lease TTLs with the member gone: every lease is polled through the two others.
      while (performance.now() - started < 3 * TTL_MS) {
        for (const id of ids) {
          const r = await observer.leaseClient.leaseTimeToLive({ ID: id }).catch(() => undefined);
          if (r !== undefined) minTtl.set(id, Math.min(minTtl.get(id) ?? Infinity, Number(r.TTL)));
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      observer.close();
      if (how === 'SIGSTOP') victim.thaw();
      else await victim.start();
    }
    const moved = spy.history(lease).find((h) => h.at > started && h.host !== hostOf(victim));
    console.log(`# round ${round + 1} (${how} of ${victim.name}, carrying ${holder} lease ${lease}): lowest TTL seen per lease (brokers 1-3, controller) ${[...minTtl.values()].join(', ')} s; its keep-alives moved to ${moved?.host ?? 'nowhere'} ${moved === undefined ? '' : `${Math.round(moved.at - started)} ms after the ${how}`}`);
    for (const [id, ttl] of minTtl) assert.ok(ttl >= 0 && ttl !== Infinity, `lease ${id} expired or was never seen (lowest TTL ${ttl}) with ${victim.name} down`);
    assert.notEqual(spy.memberOf(lease), hostOf(victim), `${holder} keep-alives left ${victim.name}`);
    assert.deepEqual([...(await leases()), (await campaign()).lease], ids, 'every broker still registered on its lease, the controller still campaigning on its lease');
    assert.equal(state(), before_, `leadership changed while ${victim.name} was down`);
    assert.equal((await all.get(keys.controllerEpoch).string()) ?? '', epoch, `the controller changed while ${victim.name} was down`);
    await until('every etcd member healthy again', async () => (await Promise.all(members.map((m) => healthy(m.endpoint)))).every(Boolean), 30_000);
  }
  const lost = cluster.brokers.flatMap((b) => b.lines.filter((l) => /lease/.test(l) && /lost|expired/.test(l)));
  assert.deepEqual(lost, [], 'no broker logged a lost or expired lease');
});
