/**
 * Producer state of a partition without a network: sequence and epoch checks, duplicates over the
 * last 5 batches, transactions and the last stable offset, aborted transactions, and surviving a
 * reopen (snapshot + log tail replay, txn indexes, full rebuild without snapshots).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../src/common/error-codes.js';
import { KafkaError } from '../../src/common/kafka-error.js';
import { Partition } from '../../src/broker/partition.js';
import { encodeControlBatch } from '../../src/protocol/records/control-record.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { defaultLogConfig } from '../../src/storage/log-config.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { decodeSnapshot, encodeSnapshot, readTxnIndexFile } from '../../src/storage/producer-state-files.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'samsa-pstate-'));
}

function open(dir: string, config = defaultLogConfig): Partition {
  const log = PartitionLog.open(join(dir, 't-0'), 't', 0, config);
  return new Partition('t', 0, 'id', log, 0, { maxMessageBytes: 1 << 20, minInsyncReplicas: 1 });
}

function batch(pid: bigint, epoch: number, seq: number, count = 1, transactional = false): Buffer {
  return encodeRecordBatch({
    producerId: pid,
    producerEpoch: epoch,
    baseSequence: seq,
    isTransactional: transactional,
    baseTimestamp: 1_000n,
    records: Array.from({ length: count }, (_, i) => ({ value: `v${seq + i}`, timestamp: 1_000n })),
  });
}

function marker(pid: bigint, epoch: number, commit: boolean, coordinatorEpoch = 0): Buffer {
  return encodeControlBatch({ producerId: pid, producerEpoch: epoch, timestamp: 2_000n, type: commit ? 'COMMIT' : 'ABORT', coordinatorEpoch });
}

function client(p: Partition, buf: Buffer, verifyTxn: () => boolean = () => true) {
  return p.appendAsLeader(buf, { origin: 'client', verifyTxn });
}

function code(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof KafkaError) return e.code;
    throw e;
  }
  return ErrorCode.NONE;
}

test('sequences: in order accepted, gaps and old epochs rejected, unknown producers start anywhere', () => {
  const dir = tmp();
  try {
    const p = open(dir);
    assert.equal(client(p, batch(1n, 0, 0, 3)).firstOffset, 0);
    assert.equal(client(p, batch(1n, 0, 3, 2)).firstOffset, 3);
    assert.equal(code(() => client(p, batch(1n, 0, 6))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'gap');
    assert.equal(code(() => client(p, batch(1n, 0, 4))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'overlapping, not a duplicate');
    // A new epoch must start at 0; an older epoch is fenced.
    assert.equal(code(() => client(p, batch(1n, 1, 5))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal(client(p, batch(1n, 1, 0)).firstOffset, 5);
    assert.equal(code(() => client(p, batch(1n, 0, 5))), ErrorCode.INVALID_PRODUCER_EPOCH);
    // A producer the partition has never seen may start at any sequence (Kafka 2.5+).
    assert.equal(client(p, batch(2n, 3, 42)).firstOffset, 6);
    assert.equal(p.logEndOffset, 7);
    const e = p.producers.entry(1n);
    assert.equal(e?.producerEpoch, 1);
    assert.equal(e?.batches.at(-1)?.lastSeq, 0);
    // Sequence wrap-around: Integer.MAX_VALUE is followed by 0.
    assert.equal(client(p, batch(3n, 0, 0x7fffffff)).firstOffset, 7);
    assert.equal(client(p, batch(3n, 0, 0)).firstOffset, 8);
    p.log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('duplicates of the last 5 batches return the original offsets and write nothing; older ones are out of order', () => {
  const dir = tmp();
  try {
    const p = open(dir);
    const sent: Buffer[] = [];
    for (let i = 0; i < 7; i++) {
      const b = batch(9n, 0, i * 2, 2);
      sent.push(Buffer.from(b));
      client(p, b);
    }
    const end = p.logEndOffset;
    for (let i = 2; i < 7; i++) {
      const r = client(p, Buffer.from(sent[i] as Buffer));
      assert.equal(r.duplicate, true);
      assert.equal(r.firstOffset, i * 2);
      assert.equal(r.lastOffset, i * 2 + 1);
    }
    assert.equal(p.logEndOffset, end);
    assert.equal(code(() => client(p, Buffer.from(sent[1] as Buffer))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    // Same sequence range with another epoch is not a duplicate.
    assert.equal(code(() => client(p, batch(9n, 1, 12, 2))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    p.log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('transactions: last stable offset, markers, aborted index, fencing checks', () => {
  const dir = tmp();
  try {
    const p = open(dir);
    client(p, batch(100n, 0, 0)); // plain idempotent: offset 0
    assert.equal(p.lastStableOffset, 1);
    // A transactional batch needs the coordinator's word when no transaction is open here.
    assert.equal(code(() => client(p, batch(5n, 0, 0, 2, true), () => false)), ErrorCode.INVALID_TXN_STATE);
    client(p, batch(5n, 0, 0, 2, true)); // 1-2
    client(p, batch(6n, 0, 0, 1, true)); // 3
    client(p, batch(5n, 0, 2, 1, true), () => false); // 4: the transaction is open, no verification needed
    assert.equal(p.lastStableOffset, 1);
    assert.equal(p.highWatermark, 5);
    assert.equal(code(() => client(p, batch(5n, 0, 3, 1, false))), ErrorCode.INVALID_TXN_STATE, 'plain batch inside an open transaction');
    // Markers from an older epoch or coordinator epoch are rejected.
    p.appendAsLeader(marker(6n, 0, true, 3)); // 5: commits producer 6
    assert.equal(p.lastStableOffset, 1, 'producer 5 still open');
    assert.equal(code(() => p.appendAsLeader(marker(6n, 0, true, 2))), ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    p.appendAsLeader(marker(5n, 1, false)); // 6: aborts producer 5 with a bumped epoch
    assert.equal(p.lastStableOffset, 7);
    assert.deepEqual(p.producers.collectAbortedTxns(0, 7), [{ producerId: 5n, firstOffset: 1, lastOffset: 6, lastStableOffset: 7 }]);
    assert.deepEqual(p.producers.collectAbortedTxns(5, 7).length, 1);
    assert.deepEqual(p.producers.collectAbortedTxns(7, 9), []);
    assert.deepEqual(p.producers.collectAbortedTxns(0, 1), []);
    assert.equal(code(() => client(p, batch(5n, 0, 3))), ErrorCode.INVALID_PRODUCER_EPOCH, 'fenced by the abort marker');
    const files = readdirSync(p.log.dir).filter((f) => f.endsWith('.txnindex'));
    assert.equal(files.length, 1);
    assert.deepEqual(readTxnIndexFile(join(p.log.dir, files[0] as string)), [{ producerId: 5n, firstOffset: 1, lastOffset: 6, lastStableOffset: 7 }]);
    p.log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('state survives reopening: from a snapshot plus the log tail, and fully rebuilt without snapshots', () => {
  const dir = tmp();
  try {
    let p = open(dir);
    client(p, batch(1n, 0, 0, 2)); // 0-1
    client(p, batch(2n, 0, 0, 1, true)); // 2
    p.appendAsLeader(marker(2n, 0, false)); // 3 abort
    p.producers.takeSnapshot();
    client(p, batch(1n, 0, 2, 1)); // 4
    client(p, batch(3n, 0, 0, 1, true)); // 5, left open
    client(p, batch(2n, 0, 1, 1, true)); // 6
    p.appendAsLeader(marker(2n, 0, false)); // 7 abort
    const expectAborted = [
      { producerId: 2n, firstOffset: 2, lastOffset: 3, lastStableOffset: 4 },
      { producerId: 2n, firstOffset: 6, lastOffset: 7, lastStableOffset: 5 },
    ];
    assert.deepEqual(p.producers.allAbortedTxns(), expectAborted);
    assert.equal(p.lastStableOffset, 5);
    p.log.close();

    const check = (q: Partition): void => {
      assert.equal(q.lastStableOffset, 5);
      assert.deepEqual(q.producers.allAbortedTxns(), expectAborted);
      assert.equal(q.producers.entry(1n)?.batches.at(-1)?.lastSeq, 2);
      // Retrying the last batch of producer 1 is still a duplicate; the next sequence is 3.
      const dup = client(q, batch(1n, 0, 2, 1));
      assert.equal(dup.duplicate, true);
      assert.equal(dup.firstOffset, 4);
      assert.equal(code(() => client(q, batch(1n, 0, 4))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      assert.ok(q.producers.hasOngoingTxn(3n));
    };
    p = open(dir); // snapshot at 4 + replay of 4..8
    check(p);
    p.log.close();

    for (const f of readdirSync(p.log.dir)) if (f.endsWith('.snapshot') || f.endsWith('.txnindex')) unlinkSync(join(p.log.dir, f));
    p = open(dir); // full rebuild
    check(p);
    // Committing the open transaction unblocks the LSO.
    p.appendAsLeader(marker(3n, 0, true));
    assert.equal(p.lastStableOffset, p.logEndOffset);
    p.log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('snapshot format round trip and CRC check; a corrupt snapshot falls back to the log', () => {
  const entries = [
    { producerId: 7n, producerEpoch: 3, lastSequence: 41, lastOffset: 1000, offsetDelta: 4, timestamp: 123456789, coordinatorEpoch: 2, currentTxnFirstOffset: -1 },
    { producerId: 8n, producerEpoch: 0, lastSequence: 0, lastOffset: 5, offsetDelta: 0, timestamp: 1, coordinatorEpoch: -1, currentTxnFirstOffset: 5 },
  ];
  const buf = encodeSnapshot(entries);
  assert.equal(buf.length, 10 + 46 * 2);
  assert.deepEqual(decodeSnapshot(buf), entries);
  buf[20] = (buf[20] as number) ^ 1;
  assert.throws(() => decodeSnapshot(buf), /CRC/);

  const dir = tmp();
  try {
    let p = open(dir);
    client(p, batch(1n, 0, 0, 2));
    p.producers.takeSnapshot();
    p.log.close();
    const snap = readdirSync(p.log.dir).find((f) => f.endsWith('.snapshot')) as string;
    writeFileSync(join(p.log.dir, snap), Buffer.from('garbage'));
    p = open(dir);
    assert.equal(p.producers.entry(1n)?.batches.at(-1)?.lastSeq, 1);
    p.log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
