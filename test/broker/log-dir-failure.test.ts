/**
 * Issue 14 (log dirs): a failed log dir goes offline instead of failing the broker (Kafka's
 * LogDirFailureChannel, KIP-112), on a single broker. Its two log dirs are each on a real ext4
 * disk that is made to fail under it (FS_IOC_SHUTDOWN: every I/O then fails with EIO; see
 * test/helpers/failing-disk.ts). After the first dir's disk fails:
 * - produce, fetch and ListOffsets to its partitions answer KAFKA_STORAGE_ERROR (never
 *   UNKNOWN_SERVER_ERROR), and AlterReplicaLogDirs moves nothing out of it or into it,
 * - the other dir's partitions keep being written and read,
 * - DescribeLogDirs answers the failed dir with KAFKA_STORAGE_ERROR and no partitions,
 * - Metadata lists this broker in offline_replicas of those partitions (leader -1).
 * When the second dir fails too, the broker shuts down (Kafka's rule: every log dir failed).
 * A broker restarted with a dir whose disk failed while it was down starts with that dir offline;
 * the partitions it held are offline replicas, not made again empty in the other dir.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import type { DescribeLogDirsResponse } from '../../src/protocol/generated/messages/describe-log-dirs.js';
import type { MetadataResponse } from '../../src/protocol/generated/messages/metadata.js';
import type { AlterReplicaLogDirsResponse } from '../../src/protocol/generated/messages/alter-replica-log-dirs.js';
import { FailingDisk } from '../helpers/failing-disk.js';
import { waitFor, WireClient } from '../helpers/wire.js';

const TOPIC = 'ldf';
const PARTITIONS = 4;
let diskA: FailingDisk | undefined;
let diskB: FailingDisk | undefined;
let broker: RunningBroker | undefined;

before(() => {
  diskA = FailingDisk.create();
  diskB = FailingDisk.create();
});

after(async () => {
  await broker?.stop();
  diskA?.remove();
  diskB?.remove();
});

const batch = (v: string): Buffer => encodeRecordBatch({ records: [{ key: 'k', value: v }] });

it('takes a failed log dir offline (KAFKA_STORAGE_ERROR, DescribeLogDirs, offline_replicas), serves the other dir, and shuts down once every dir failed', { timeout: 120_000 }, async (t) => {
  const dirA = (diskA as FailingDisk).dir('logs');
  const dirB = (diskB as FailingDisk).dir('logs');
  broker = await startBroker({ port: 0, config: { 'log.dirs': `${dirA},${dirB}`, 'num.partitions': PARTITIONS } });
  const c = await WireClient.connect(broker.port);
  try {
    assert.equal(await c.createTopic(TOPIC, PARTITIONS), 0);
    const inA = [...Array(PARTITIONS).keys()].filter((p) => existsSync(join(dirA, `${TOPIC}-${p}`)));
    const inB = [...Array(PARTITIONS).keys()].filter((p) => existsSync(join(dirB, `${TOPIC}-${p}`)));
    assert.ok(inA.length > 0 && inB.length > 0, `partitions in both dirs: A ${inA}, B ${inB}`);
    for (let p = 0; p < PARTITIONS; p++) assert.equal((await c.produce(TOPIC, p, batch(`before-${p}`))).errorCode, 0);

    (diskB as FailingDisk).fail();
    const failedAt = performance.now();
    // The first write to the failed disk hits EIO: KAFKA_STORAGE_ERROR, and the dir goes offline.
    for (const p of inB) assert.equal((await c.produce(TOPIC, p, batch(`after-${p}`))).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    const logDirs = await waitFor(
      async () => {
        const r = await c.request<DescribeLogDirsResponse>(35, 4, { topics: null });
        return r.results.find((d) => d.logDir === dirB)?.errorCode === ErrorCode.KAFKA_STORAGE_ERROR ? r : null;
      },
      10_000,
      'DescribeLogDirs to report the failed dir',
    );
    const offlineMs = performance.now() - failedAt;
    const b = logDirs.results.find((d) => d.logDir === dirB);
    assert.deepEqual(b?.topics, []);
    const a = logDirs.results.find((d) => d.logDir === dirA);
    assert.equal(a?.errorCode, ErrorCode.NONE);
    assert.deepEqual(a?.topics.find((x) => x.name === TOPIC)?.partitions.map((p) => p.partitionIndex).sort(), inA);

    // The failed dir's partitions: KAFKA_STORAGE_ERROR for produce and fetch, offline in Metadata.
    for (const p of inB) {
      assert.equal((await c.produce(TOPIC, p, batch('again'))).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
      assert.equal((await c.fetchOnce(TOPIC, p, 0n)).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
      assert.equal((await c.listOffset(TOPIC, p, -1n)).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    }
    // AlterReplicaLogDirs: neither out of the failed dir nor into it.
    const moves = await c.request<AlterReplicaLogDirsResponse>(34, 2, {
      dirs: [
        { path: dirA, topics: [{ name: TOPIC, partitions: [inB[0]] }] },
        { path: dirB, topics: [{ name: TOPIC, partitions: [inA[0]] }] },
      ],
    });
    assert.deepEqual(moves.results.flatMap((r) => r.partitions.map((p) => p.errorCode)), [ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.KAFKA_STORAGE_ERROR]);
    const md = await waitFor(
      async () => {
        const r: MetadataResponse = await c.metadata([TOPIC]);
        const parts = r.topics[0]?.partitions ?? [];
        return inB.every((p) => parts.find((x) => x.partitionIndex === p)?.offlineReplicas.length === 1) ? parts : null;
      },
      10_000,
      'Metadata to show the offline replicas',
    );
    for (const p of md) {
      if (inB.includes(p.partitionIndex)) {
        assert.deepEqual(p.offlineReplicas, [1]);
        assert.equal(p.leaderId, -1);
        assert.equal(p.errorCode, ErrorCode.LEADER_NOT_AVAILABLE);
      } else {
        assert.deepEqual(p.offlineReplicas, []);
        assert.equal(p.leaderId, 1);
      }
    }
    // The other dir is untouched: writes and reads go on.
    for (const p of inA) {
      assert.equal((await c.produce(TOPIC, p, batch(`after-${p}`))).errorCode, 0);
      const values = (await c.fetchAll(TOPIC, p, 0n)).batches.flatMap((x) => x.records.map((r) => r.value?.toString()));
      assert.deepEqual(values, [`before-${p}`, `after-${p}`]);
    }
    assert.equal(await c.createTopic('ldf-new', 2), 0, 'a new topic goes to the dir still online');
    assert.ok(existsSync(join(dirA, 'ldf-new-0')) && existsSync(join(dirA, 'ldf-new-1')));
    assert.equal((await c.produce('ldf-new', 1, batch('x'))).errorCode, 0);

    // Every dir failed: the broker shuts down.
    (diskA as FailingDisk).fail();
    assert.equal((await c.produce(TOPIC, inA[0] as number, batch('last'))).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    await waitFor(async () => (await WireClient.connect(broker!.port).then((x) => (x.close(), false), () => true)) || null, 20_000, 'the broker to shut down');
    t.diagnostic(`dir offline (DescribeLogDirs) ${offlineMs.toFixed(0)} ms after the disk failed`);
  } finally {
    c.close();
  }
});

it('starts with a log dir whose disk failed while it was down: that dir is offline, its partitions are not made again elsewhere', { timeout: 120_000 }, async (t) => {
  const disk = FailingDisk.create();
  const dirA = mkdtempSync(join(tmpdir(), 'samsa-ldf-start-'));
  const dirB = disk.dir('logs');
  let b: RunningBroker | undefined;
  t.after(async () => {
    await b?.stop();
    disk.remove();
    rmSync(dirA, { recursive: true, force: true });
  });
  const config = { 'log.dirs': `${dirA},${dirB}` };
  b = await startBroker({ port: 0, config });
  let inA: number[];
  let inB: number[];
  {
    const c = await WireClient.connect(b.port);
    try {
      assert.equal(await c.createTopic(TOPIC, PARTITIONS), 0);
      inA = [...Array(PARTITIONS).keys()].filter((p) => existsSync(join(dirA, `${TOPIC}-${p}`)));
      inB = [...Array(PARTITIONS).keys()].filter((p) => existsSync(join(dirB, `${TOPIC}-${p}`)));
      assert.ok(inA.length > 0 && inB.length > 0);
      for (let p = 0; p < PARTITIONS; p++) assert.equal((await c.produce(TOPIC, p, batch(`before-${p}`))).errorCode, 0);
    } finally {
      c.close();
    }
  }
  await b.stop();
  b = undefined;
  disk.fail();
  b = await startBroker({ port: 0, config });
  const c = await WireClient.connect(b.port);
  try {
    const dirs = await c.request<DescribeLogDirsResponse>(35, 4, { topics: null });
    assert.equal(dirs.results.find((d) => d.logDir === dirB)?.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(dirs.results.find((d) => d.logDir === dirA)?.errorCode, ErrorCode.NONE);
    for (const p of inB) {
      assert.equal((await c.produce(TOPIC, p, batch('lost?'))).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
      assert.equal((await c.fetchOnce(TOPIC, p, 0n)).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
      assert.ok(!existsSync(join(dirA, `${TOPIC}-${p}`)), `no empty ${TOPIC}-${p} made in the online dir`);
    }
    const md: MetadataResponse = await c.metadata([TOPIC]);
    for (const p of md.topics[0]?.partitions ?? []) assert.deepEqual(p.offlineReplicas, inB.includes(p.partitionIndex) ? [1] : [], `offline replicas of ${TOPIC}-${p.partitionIndex}`);
    for (const p of inA) {
      assert.equal((await c.produce(TOPIC, p, batch(`after-${p}`))).errorCode, 0);
      const values = (await c.fetchAll(TOPIC, p, 0n)).batches.flatMap((x) => x.records.map((r) => r.value?.toString()));
      assert.deepEqual(values, [`before-${p}`, `after-${p}`]);
    }
  } finally {
    c.close();
  }
});
