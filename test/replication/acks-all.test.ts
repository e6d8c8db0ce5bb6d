/**
 * Produce with acks=all on a replicated leader (Kafka's DelayedProduce) and coordinator writes
 * committed at the high watermark, driven without a network: the real Produce handler (built by
 * its factory) over real logs, followers' progress reported by hand (`recordFollowerFetch`, as the
 * leader's Fetch handling does), the request timeout on a ManualScheduler.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../src/common/error-codes.js';
import { KafkaError } from '../../src/common/kafka-error.js';
import { Logger } from '../../src/common/logger.js';
import { ManualScheduler } from '../../src/common/scheduler.js';
import { ANONYMOUS } from '../../src/broker/gate/session.js';
import { partitionWriter } from '../../src/broker/coordinator-deps.js';
import { NO_RESPONSE, type ConnectionInfo, type RequestContext } from '../../src/broker/handler.js';
import { produceHandler, type ProduceDeps } from '../../src/broker/handlers/00-produce.js';
import { Partition } from '../../src/broker/partition.js';
import { ReplicaManager } from '../../src/broker/replica-manager.js';
import type { ProduceResponseInit } from '../../src/protocol/generated/messages/produce.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { defaultLogConfig } from '../../src/storage/log-config.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { StorageErrorLog } from '../../src/storage/storage-error-log.js';

interface Setup {
  clock: ManualScheduler;
  replicas: ReplicaManager;
  /** Partitions of topic `t`, replicated leaders on node 1 with replicas and ISR [1, 2, 3]. */
  parts: Partition[];
  deps: ProduceDeps;
}

function withSetup(opts: { partitions?: number; minIsr?: number; sole?: boolean }, fn: (s: Setup) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-acks-all-'));
    const clock = new ManualScheduler();
    const replicas = new ReplicaManager();
    const parts: Partition[] = [];
    try {
      for (let i = 0; i < (opts.partitions ?? 1); i++) {
        const log = PartitionLog.open(join(dir, `t-${i}`), 't', i, defaultLogConfig);
        const p = new Partition('t', i, 'id', log, 0, { maxMessageBytes: 1 << 20, minInsyncReplicas: opts.minIsr ?? 2 });
        if (opts.sole !== true) p.becomeLeader(1, 1, [1, 2, 3], [1, 2, 3], clock);
        replicas.add(p);
        parts.push(p);
      }
      const unused = (what: string) => () => {
        throw new Error(`${what} used`);
      };
      const deps = {
        replicas,
        config: { bool: () => false },
        topics: { producePolicy: () => undefined, create: unused('topics.create') },
        metadata: { image: unused('metadata.image') },
        txnCoordinator: { isPartitionInTransaction: () => false },
        logs: { storageErrors: new StorageErrorLog(() => clock.now()) },
        conversions: { recordProduce: () => undefined },
        clock,
        scheduler: clock,
        logger: new Logger({ level: 'error' }),
      } as unknown as ProduceDeps;
      await fn({ clock, replicas, parts, deps });
    } finally {
      for (const p of parts) p.log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function connection(): ConnectionInfo {
  return { id: 1, remoteAddress: '127.0.0.1', remotePort: 1, listenerName: 'PLAINTEXT', state: new Map() };
}

function ctxOn(conn: ConnectionInfo): RequestContext {
  return {
    apiKey: 0,
    apiVersion: 9,
    correlationId: 1,
    clientId: 'test',
    session: { principal: ANONYMOUS, listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', connectionId: 1, clientAddress: '127.0.0.1' },
    receivedAtNs: 0n,
    connection: conn,
  } as RequestContext;
}

function records(count: number, pid = -1n, seq = -1): Buffer {
  return encodeRecordBatch({
    producerId: pid,
    producerEpoch: pid < 0n ? -1 : 0,
    baseSequence: seq,
    baseTimestamp: 1_000n,
    records: Array.from({ length: count }, (_, i) => ({ value: `v${i}`, timestamp: 1_000n })),
  });
}

type Answer = ProduceResponseInit | typeof NO_RESPONSE;

/** Calls the handler; returns the answer as a promise plus whether it was already there. */
function produce(s: Setup, conn: ConnectionInfo, acks: number, partitions: { index: number; records: Buffer }[], timeoutMs = 30_000): { answer: Promise<Answer>; settled: () => boolean; sync: boolean } {
  const h = produceHandler(s.deps);
  const out = h.handle(ctxOn(conn), { transactionalId: null, acks, timeoutMs, topicData: [{ name: 't', partitionData: partitions }] });
  let done = !(out instanceof Promise);
  const answer = Promise.resolve(out).then((a) => {
    done = true;
    return a;
  });
  return { answer, settled: () => done, sync: !(out instanceof Promise) };
}

/** Lets promise callbacks run (no timers, no sleeps). */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
  await new Promise<void>((r) => setImmediate(r));
}

function partitionsOf(a: Answer): { index: number; errorCode: number; baseOffset: bigint }[] {
  assert.notEqual(a, NO_RESPONSE);
  const r = a as ProduceResponseInit;
  return (r.responses ?? []).flatMap((t) => (t.partitionResponses ?? []).map((p) => ({ index: p.index ?? -1, errorCode: p.errorCode ?? 0, baseOffset: p.baseOffset ?? -1n })));
}

/** Both followers fetch at `offset` (they hold everything below it). */
function followersAt(p: Partition, offset: number): void {
  p.recordFollowerFetch(2, offset);
  p.recordFollowerFetch(3, offset);
}

test('acks=all waits for the ISR: answered once both followers reached the append, with its base offset', withSetup({ partitions: 2 }, async (s) => {
  const [p0, p1] = s.parts as [Partition, Partition];
  const r = produce(s, connection(), -1, [{ index: 0, records: records(3) }, { index: 1, records: records(2) }]);
  assert.equal(p0.logEndOffset, 3, 'appended at once');
  assert.equal(p1.logEndOffset, 2);
  await flush();
  assert.equal(r.settled(), false, 'no answer before the followers fetched');

  followersAt(p0, 3);
  p1.recordFollowerFetch(2, 2);
  await flush();
  assert.equal(r.settled(), false, 'partition 1 still waits for follower 3: the whole response waits');
  p1.recordFollowerFetch(3, 1);
  await flush();
  assert.equal(r.settled(), false, 'follower 3 is below the append of partition 1');
  p1.recordFollowerFetch(3, 2);
  assert.deepEqual(partitionsOf(await r.answer), [
    { index: 0, errorCode: ErrorCode.NONE, baseOffset: 0n },
    { index: 1, errorCode: ErrorCode.NONE, baseOffset: 0n },
  ]);
  assert.equal(p0.highWatermark, 3);
  assert.equal(s.clock.pending, 0, 'the timeout timer was cancelled');
}));

test('acks=all: REQUEST_TIMED_OUT after timeout_ms for the partitions still waiting; the records stay', withSetup({ partitions: 2 }, async (s) => {
  const [p0, p1] = s.parts as [Partition, Partition];
  const r = produce(s, connection(), -1, [{ index: 0, records: records(1) }, { index: 1, records: records(1) }], 1_000);
  followersAt(p0, 1);
  s.clock.advance(999);
  await flush();
  assert.equal(r.settled(), false, 'before timeout_ms');
  s.clock.advance(1);
  assert.deepEqual(partitionsOf(await r.answer), [
    { index: 0, errorCode: ErrorCode.NONE, baseOffset: 0n },
    { index: 1, errorCode: ErrorCode.REQUEST_TIMED_OUT, baseOffset: -1n },
  ]);
  assert.equal(p1.logEndOffset, 1, 'the timed-out records are in the log');
  assert.equal(p1.commitWaiters.size, 0, 'the expired wait left the queue');
  followersAt(p1, 1);
  assert.equal(p1.highWatermark, 1, 'and are committed later');
}));

test('acks=all: NOT_ENOUGH_REPLICAS before the append when the ISR is below min.insync.replicas', withSetup({ minIsr: 3 }, async (s) => {
  const p = s.parts[0] as Partition;
  p.isrChanged([1, 2]);
  const r = produce(s, connection(), -1, [{ index: 0, records: records(1) }]);
  assert.deepEqual(partitionsOf(await r.answer), [{ index: 0, errorCode: ErrorCode.NOT_ENOUGH_REPLICAS, baseOffset: -1n }]);
  assert.equal(p.logEndOffset, 0, 'nothing appended');
}));

test('acks=all: NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrinks below min.insync.replicas while waiting', withSetup({ minIsr: 2 }, async (s) => {
  const p = s.parts[0] as Partition;
  const r = produce(s, connection(), -1, [{ index: 0, records: records(2) }]);
  await flush();
  assert.equal(r.settled(), false);
  // Both followers dropped out of the ISR: the high watermark follows the leader alone.
  p.isrChanged([1]);
  assert.equal(p.highWatermark, 2);
  assert.deepEqual(partitionsOf(await r.answer), [{ index: 0, errorCode: ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, baseOffset: -1n }]);
  assert.equal(p.logEndOffset, 2, 'the records stay in the log');
}));

test('acks=all: NOT_LEADER_OR_FOLLOWER when the partition becomes a follower while waiting', withSetup({}, async (s) => {
  const p = s.parts[0] as Partition;
  const r = produce(s, connection(), -1, [{ index: 0, records: records(1) }]);
  await flush();
  assert.equal(r.settled(), false);
  p.becomeFollower(2, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.deepEqual(partitionsOf(await r.answer), [{ index: 0, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, baseOffset: -1n }]);
  assert.equal(s.clock.pending, 0, 'the timeout timer was cancelled');
}));

test('a follower answers NOT_LEADER_OR_FOLLOWER to acks=all and acks=1 (not NOT_ENOUGH_REPLICAS), appending nothing', withSetup({}, async (s) => {
  const p = s.parts[0] as Partition;
  p.becomeFollower(2, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  for (const acks of [-1, 1]) {
    const r = produce(s, connection(), acks, [{ index: 0, records: records(1) }]);
    assert.deepEqual(partitionsOf(await r.answer), [{ index: 0, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, baseOffset: -1n }], `acks=${acks}`);
  }
  assert.equal(p.logEndOffset, 0);
}));

test('acks=all: a pipelined request on the same connection is appended while the previous one waits', withSetup({}, async (s) => {
  const p = s.parts[0] as Partition;
  const conn = connection();
  const first = produce(s, conn, -1, [{ index: 0, records: records(2) }]);
  const second = produce(s, conn, -1, [{ index: 0, records: records(3) }]);
  assert.equal(p.logEndOffset, 5, 'the second append did not wait for the first commit');
  await flush();
  assert.equal(first.settled(), false);
  assert.equal(second.settled(), false);
  followersAt(p, 2);
  assert.deepEqual(partitionsOf(await first.answer), [{ index: 0, errorCode: ErrorCode.NONE, baseOffset: 0n }]);
  await flush();
  assert.equal(second.settled(), false, 'the second waits for its own offsets');
  followersAt(p, 5);
  assert.deepEqual(partitionsOf(await second.answer), [{ index: 0, errorCode: ErrorCode.NONE, baseOffset: 2n }]);
  // A third request's append still goes straight in once the answers settled: nothing is left on
  // the connection's queue (an acks=1 request waits for the connection's pending commits only).
  await flush();
  const third = produce(s, conn, 1, [{ index: 0, records: records(1) }]);
  assert.equal(third.sync, true);
}));

test('acks=1 behind an acks=all answer still waiting on the same connection: appended only once that one settled (a leader replaced meanwhile acknowledges nothing)', withSetup({}, async (s) => {
  const p = s.parts[0] as Partition;
  const conn = connection();
  const waiting = produce(s, conn, -1, [{ index: 0, records: records(2) }]);
  const behind = produce(s, conn, 1, [{ index: 0, records: records(1) }]);
  const other = produce(s, connection(), 1, [{ index: 0, records: records(1) }]);
  assert.equal(other.sync, true, 'another connection is not held');
  assert.equal(p.logEndOffset, 3, 'the acks=1 request behind the waiting one is not appended yet');
  await flush();
  assert.equal(behind.settled(), false);
  // The leader is replaced while the acks=all request waits: both answer NOT_LEADER_OR_FOLLOWER.
  p.becomeFollower(p.leaderEpoch + 1, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.deepEqual(partitionsOf(await waiting.answer), [{ index: 0, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, baseOffset: -1n }]);
  assert.deepEqual(partitionsOf(await behind.answer), [{ index: 0, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, baseOffset: -1n }]);
  assert.equal(p.logEndOffset, 3, 'nothing appended after the leadership was lost');
}));

test('acks=all: a retried duplicate batch waits for its original offsets to be committed', withSetup({}, async (s) => {
  const p = s.parts[0] as Partition;
  const first = produce(s, connection(), -1, [{ index: 0, records: records(2, 5n, 0) }], 1_000);
  s.clock.advance(1_000);
  assert.deepEqual(partitionsOf(await first.answer), [{ index: 0, errorCode: ErrorCode.REQUEST_TIMED_OUT, baseOffset: -1n }]);
  const retry = produce(s, connection(), -1, [{ index: 0, records: records(2, 5n, 0) }]);
  assert.equal(p.logEndOffset, 2, 'the retry wrote nothing');
  await flush();
  assert.equal(retry.settled(), false, 'the original offsets are not committed yet');
  followersAt(p, 2);
  assert.deepEqual(partitionsOf(await retry.answer), [{ index: 0, errorCode: ErrorCode.NONE, baseOffset: 0n }]);
}));

test('acks=1 answers at once after the leader append', withSetup({}, async (s) => {
  const r = produce(s, connection(), 1, [{ index: 0, records: records(1) }]);
  assert.equal(r.sync, true);
  assert.deepEqual(partitionsOf(await r.answer), [{ index: 0, errorCode: ErrorCode.NONE, baseOffset: 0n }]);
  assert.equal((s.parts[0] as Partition).highWatermark, 0, 'not committed, answered anyway');
  assert.equal(s.clock.pending, 0);
}));

test('a sole leader (single node) answers acks=all synchronously', withSetup({ sole: true, minIsr: 1 }, async (s) => {
  const r = produce(s, connection(), -1, [{ index: 0, records: records(1) }]);
  assert.equal(r.sync, true);
  assert.deepEqual(partitionsOf(await r.answer), [{ index: 0, errorCode: ErrorCode.NONE, baseOffset: 0n }]);
  assert.equal(s.clock.pending, 0);
}));

function rejectsWith(code: number): (e: unknown) => boolean {
  return (e) => e instanceof KafkaError && e.code === code;
}

test('coordinator writes on a replicated leader: committed settles at the high watermark or fails', withSetup({ partitions: 3, minIsr: 2 }, async (s) => {
  const [p0, p1, p2] = s.parts as [Partition, Partition, Partition];
  const writer = partitionWriter(s.replicas, { scheduler: s.clock, commitTimeoutMs: 5_000 });

  // Resolves once both followers have it.
  const a = writer.append('t', 0, records(2));
  assert.deepEqual([a.firstOffset, a.lastOffset], [0, 1]);
  assert.ok(a.committed instanceof Promise);
  let resolved = false;
  void a.committed.then(() => void (resolved = true));
  p0.recordFollowerFetch(2, 2);
  await flush();
  assert.equal(resolved, false);
  p0.recordFollowerFetch(3, 2);
  await a.committed;

  // Leadership lost first: NOT_LEADER_OR_FOLLOWER.
  const b = writer.append('t', 1, records(1));
  p1.becomeFollower(2, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  await assert.rejects(b.committed as Promise<void>, rejectsWith(ErrorCode.NOT_LEADER_OR_FOLLOWER));

  // The ISR below min.insync.replicas when the high watermark passes: NOT_ENOUGH_REPLICAS_AFTER_APPEND.
  const c = writer.append('t', 2, records(1));
  p2.isrChanged([1]);
  await assert.rejects(c.committed as Promise<void>, rejectsWith(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND));
  // ... and below it before the append: NOT_ENOUGH_REPLICAS, nothing written.
  assert.throws(() => writer.append('t', 2, records(1)), rejectsWith(ErrorCode.NOT_ENOUGH_REPLICAS));
  assert.equal(p2.logEndOffset, 1);

  // Nobody fetches: REQUEST_TIMED_OUT after the commit timeout.
  const d = writer.append('t', 0, records(1));
  s.clock.advance(4_999);
  await flush();
  s.clock.advance(1);
  await assert.rejects(d.committed as Promise<void>, rejectsWith(ErrorCode.REQUEST_TIMED_OUT));
}));

test('coordinator writes on a sole leader are committed on append (committed is null)', withSetup({ sole: true }, async (s) => {
  const writer = partitionWriter(s.replicas, { scheduler: s.clock });
  const a = writer.append('t', 0, records(1));
  assert.equal(a.committed, null);
  assert.equal((s.parts[0] as Partition).highWatermark, 1);
}));
