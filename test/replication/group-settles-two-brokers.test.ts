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
 *
 * The cause: both brokers created `__consumer_offsets` at once. The losing broker had prepared
 * the partitions' logs (directories recording its own topic id); the winner's topic reached it
 * first and its partitions adopted those logs; then the losing commit failed and its clean-up
 * closed and removed them, so the partition it led kept answering JoinGroup but every append
 * failed with KAFKA_STORAGE_ERROR ("log is closed", NOT_COORDINATOR to the group). The second test
 * races CreateTopics of one topic through both brokers and checks every replica's log works and
 * records the committed topic id; then the same with CreatePartitions.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { useEtcd } from '../helpers/etcd.js';
import { FAST_CLUSTER_CONFIG, startCluster } from '../helpers/cluster.js';
import { API as WIRE_API, WireClient, waitFor } from '../helpers/wire.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { readPartitionMetadata } from '../../src/storage/partition-metadata.js';
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
      // The coordinator named may be a broker whose start has not returned yet (registered already).
      const r = await waitFor(() => this.nodes[nodeId - 1]?.running ?? undefined, 30_000, `broker ${nodeId} to be started`, 20);
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

test('CreateTopics, then CreatePartitions, of one topic through both brokers at once: every replica serves a working log of the committed topic', { timeout: 240_000 }, async (t) => {
  const cluster = await startCluster({ endpoints: fx.etcd.endpoints, prefix: fx.prefix(), size: 2 });
  const clients = await Promise.all([1, 2].map((n) => WireClient.connect(cluster.broker(n).port)));
  t.after(async () => {
    for (const c of clients) c.close();
    await cluster.stop();
  });
  const image = (n: number) => cluster.broker(n).broker.metadata.image();
  /** Acks=all produce through the leader (its log takes the record), then every replica's log holds it and records `topicId`. */
  const checkPartition = async (topic: string, p: number, topicId: string, round: number): Promise<void> => {
    const res = await waitFor(async () => {
      const leader = image(1).topic(topic)?.partitions[p]?.leader ?? -1;
      if (leader < 1) return undefined;
      const r = await (clients[leader - 1] as WireClient).produce(topic, p, encodeRecordBatch({ records: [{ key: null, value: Buffer.from(`r${round}`) }] }));
      return r.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || r.errorCode === ErrorCode.NOT_ENOUGH_REPLICAS ? undefined : r;
    }, 30_000, `${topic}-${p} to accept a produce`);
    assert.equal(res.errorCode, 0, `round ${round}: produce to ${topic}-${p}: ${res.errorCode} ${res.errorMessage ?? ''}`);
    for (const n of [1, 2]) {
      const part = cluster.broker(n).broker.replicas.partition(topic, p);
      assert.ok(part !== undefined, `broker ${n} hosts ${topic}-${p}`);
      assert.equal(readPartitionMetadata(part.log.dir), topicId, `broker ${n}: ${topic}-${p}'s directory records the committed topic id`);
      await waitFor(() => (part.logEndOffset >= 1 ? true : undefined), 30_000, `broker ${n}'s replica of ${topic}-${p} to hold the record`);
    }
  };
  const rounds = Number(process.env.COBUG_CREATE_ROUNDS ?? 10);
  const answers = new Map<string, number>();
  const count = (what: string, code: number): void => void answers.set(`${what} ${code}`, (answers.get(`${what} ${code}`) ?? 0) + 1);
  for (let round = 1; round <= rounds; round++) {
    const topic = `race-${round}`;
    const created = await Promise.all(
      clients.map((c) => c.request(WIRE_API.CreateTopics, 7, { topics: [{ name: topic, numPartitions: 3, replicationFactor: 2, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false })),
    );
    const codes = created.map((r) => r.topics[0].errorCode as number).sort((a, b) => a - b);
    for (const c of codes) count('CreateTopics', c);
    // One creation wins; the other answers TOPIC_ALREADY_EXISTS (Kafka's answer when the topic exists by the time a creation commits).
    assert.ok(codes[0] === 0 && codes[1] === ErrorCode.TOPIC_ALREADY_EXISTS, `round ${round}: CreateTopics answers ${codes.join(', ')} (expected 0 and ${ErrorCode.TOPIC_ALREADY_EXISTS})`);
    const topicId = await waitFor(() => (image(1).topic(topic) !== undefined && image(2).topic(topic) !== undefined ? image(1).topic(topic)?.topicId : undefined), 30_000, `${topic} in both images`);
    for (let p = 0; p < 3; p++) await checkPartition(topic, p, topicId, round);
    // The same race adding partitions (both prepare logs of partitions 3 and 4 with the topic's id).
    const added = await Promise.all(clients.map((c) => c.request(37, 3, { topics: [{ name: topic, count: 5, assignments: null }], timeoutMs: 10_000, validateOnly: false })));
    const addCodes = added.map((r) => r.results[0].errorCode as number).sort((a, b) => a - b);
    for (const c of addCodes) count('CreatePartitions', c);
    assert.equal(addCodes[0], 0, `round ${round}: CreatePartitions answers ${addCodes.join(', ')}`);
    await waitFor(() => (image(1).topic(topic)?.partitions.length === 5 && image(2).topic(topic)?.partitions.length === 5 ? true : undefined), 30_000, `${topic}'s 5 partitions in both images`);
    for (let p = 3; p < 5; p++) await checkPartition(topic, p, topicId, round);
  }
  const dropped = cluster.brokers.reduce((n, b) => n + b.lines.filter((l) => l.includes('dropping the log prepared for topic id')).length, 0);
  console.log(`# answers over ${rounds} races (request code: count): ${[...answers].map(([c, k]) => `${c}: ${k}`).join(', ')}; logs of a losing creation dropped before the partition opened: ${dropped}`);
});
