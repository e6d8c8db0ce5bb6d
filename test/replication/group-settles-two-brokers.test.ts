/**
 * A classic group formed while a 2-broker cluster starts (etcd, `__consumer_offsets` with
 * replication factor 2) settles: the coordinator that accepts JoinGroup also stores the leader's
 * assignment, so SyncGroup succeeds. A schema-registry test (each broker's registry joins one
 * group as soon as its broker is up) once saw every SyncGroup answered NOT_COORDINATOR for over a
 * minute ("error 16 when storing group assignment during SyncGroup") while JoinGroup kept being
 * accepted. Repeated on fresh clusters with raw requests: one member starts on broker 1 before
 * broker 2 exists (so `__consumer_offsets` is created the moment broker 2 registers), a second
 * member joins through broker 2; both follow the client's retry rule (NOT_COORDINATOR /
 * COORDINATOR_NOT_AVAILABLE / LOAD_IN_PROGRESS: find the coordinator again and rejoin).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { useEtcd } from '../helpers/etcd.js';
import { FAST_CLUSTER_CONFIG } from '../helpers/cluster.js';
import { WireClient } from '../helpers/wire.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/common/error-codes.js';

const fx = useEtcd({ before, after });
const API = { FindCoordinator: 10, JoinGroup: 11, Heartbeat: 12, SyncGroup: 14 } as const;
const ROUNDS = Number(process.env.COBUG_ROUNDS ?? 6);
const RETRIABLE: readonly number[] = [ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Node {
  nodeId: number;
  dir: string;
  lines: string[];
  running: RunningBroker | null;
}

/** One member: joins through the coordinator its own broker names, syncs, heartbeats; `synced` holds the generation it last synced. */
class Member {
  synced = -1;
  private memberId = '';
  private readonly clients = new Map<number, WireClient>();
  private stopped = false;

  constructor(private readonly nodes: Node[], private readonly via: number, private readonly group: string, private readonly trace: string[]) {}

  private async client(nodeId: number): Promise<WireClient> {
    let c = this.clients.get(nodeId);
    if (c === undefined) {
      const r = this.nodes[nodeId - 1]?.running;
      if (r == null) throw new Error(`broker ${nodeId} is not running`);
      c = await WireClient.connect(r.port);
      this.clients.set(nodeId, c);
    }
    return c;
  }

  async run(): Promise<void> {
    const join = { groupId: this.group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, groupInstanceId: null, protocolType: 'sr', protocols: [{ name: 'v0', metadata: Buffer.from(`m${this.via}`) }], reason: null };
    while (!this.stopped) {
      const f = await (await this.client(this.via)).request(API.FindCoordinator, 4, { keyType: 0, coordinatorKeys: [this.group] });
      const fc = f.coordinators[0];
      if (fc.errorCode !== 0) {
        await sleep(50);
        continue;
      }
      const co = await this.client(fc.nodeId as number);
      let j = await co.request(API.JoinGroup, 9, { ...join, memberId: this.memberId });
      if (j.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = j.memberId;
        j = await co.request(API.JoinGroup, 9, { ...join, memberId: this.memberId });
      }
      if (j.errorCode !== 0) {
        this.trace.push(`m${this.via} JoinGroup@${fc.nodeId} ${j.errorCode}`);
        if (!RETRIABLE.includes(j.errorCode)) throw new Error(`JoinGroup answered ${j.errorCode}`);
        if (j.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
        await sleep(50);
        continue;
      }
      const assignments = j.leader === j.memberId ? j.members.map((m: { memberId: string }) => ({ memberId: m.memberId, assignment: Buffer.from('a') })) : [];
      const s = await co.request(API.SyncGroup, 5, { groupId: this.group, memberId: this.memberId, generationId: j.generationId, groupInstanceId: null, protocolType: 'sr', protocolName: 'v0', assignments });
      if (s.errorCode !== 0) {
        this.trace.push(`m${this.via} SyncGroup@${fc.nodeId} gen ${j.generationId} ${s.errorCode}`);
        if (!RETRIABLE.includes(s.errorCode)) throw new Error(`SyncGroup answered ${s.errorCode}`);
        await sleep(50);
        continue;
      }
      this.synced = j.generationId;
      // Heartbeats until a rebalance (the other member joining) or the coordinator moving.
      while (!this.stopped) {
        await sleep(100);
        const hb = await co.request(API.Heartbeat, 4, { groupId: this.group, generationId: j.generationId, memberId: this.memberId, groupInstanceId: null });
        if (hb.errorCode === 0) continue;
        this.synced = -1;
        if (hb.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
        break;
      }
    }
  }

  stop(): void {
    this.stopped = true;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }
}

test(`a group formed while a 2-broker cluster starts (offsets RF 2) settles, ${ROUNDS} fresh clusters`, { timeout: ROUNDS * 90_000 }, async () => {
  const timings: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const prefix = fx.prefix();
    const nodes: Node[] = [1, 2].map((nodeId) => ({ nodeId, dir: mkdtempSync(joinPath(tmpdir(), `samsa-cobug-${nodeId}-`)), lines: [], running: null }));
    const start = async (n: Node): Promise<void> => {
      n.running = await startBroker({
        port: 0,
        dataDir: n.dir,
        logger: { sink: (line) => void n.lines.push(line), level: 'info' },
        config: { ...FAST_CLUSTER_CONFIG, 'offsets.topic.replication.factor': 2, 'node.id': n.nodeId, 'etcd.endpoints': fx.etcd.endpoints, 'etcd.prefix': prefix },
      });
    };
    const trace: string[] = [];
    const group = `settle-${round}`;
    const members: Member[] = [];
    const loops: Promise<void>[] = [];
    let failure: unknown = null;
    const spawnMember = (via: number): void => {
      const m = new Member(nodes, via, group, trace);
      members.push(m);
      loops.push(m.run().catch((e: unknown) => void (failure ??= e)));
    };
    const started = Date.now();
    try {
      await start(nodes[0] as Node);
      spawnMember(1);
      await start(nodes[1] as Node);
      spawnMember(2);
      const deadline = Date.now() + 30_000;
      while (!(members.every((m) => m.synced > 0) && new Set(members.map((m) => m.synced)).size === 1)) {
        if (failure !== null) throw failure;
        if (Date.now() > deadline) throw new Error(`group ${group} did not settle within 30 s`);
        await sleep(50);
      }
      timings.push(Date.now() - started);
      console.log(`# round ${round}: group settled at generation ${members[0]?.synced} ${Date.now() - started} ms after broker 1 started [${trace.slice(0, 12).join(', ')}]`);
    } catch (e) {
      for (const n of nodes) console.log(`--- broker ${n.nodeId} ---\n${n.lines.filter((l) => /group|offsets|coordinator|leader|ISR|isr/i.test(l)).slice(-80).join('')}`);
      assert.fail(`round ${round}: ${(e as Error).message} [${trace.slice(-16).join(', ')}]`);
    } finally {
      for (const m of members) m.stop();
      await Promise.all(nodes.map(async (n) => n.running?.stop().catch(() => undefined)));
      await Promise.all(loops);
      for (const m of members) m.close();
      for (const n of nodes) rmSync(n.dir, { recursive: true, force: true });
    }
  }
  console.log(`# settle times (ms): ${timings.join(', ')}`);
});
