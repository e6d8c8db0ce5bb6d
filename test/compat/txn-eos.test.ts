/**
 * Exactly-once consume-transform-produce with kafkajs (sendOffsets inside the transaction): a
 * worker process is killed with SIGKILL at random points and restarted 8 times, then runs to the
 * end. The output topic, read with read_committed, holds every input record transformed exactly
 * once, and the group's committed offsets are the input's end offsets.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { prng } from '../helpers/compat.js';
import { WireClient } from '../helpers/wire.js';
import { latestOffset, readPartition, sleep, TxnWire, visibleRecords, waitFor } from '../txn/helpers.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), '../txn/eos-worker.js');
const IN = 'eos-in';
const OUT = 'eos-out';
const GROUP = 'eos-group';
const IN_PARTITIONS = 3;
const OUT_PARTITIONS = 2;
const N = 600;
const ROUNDS = 8;

let broker: BrokerProcess;
const children = new Set<ChildProcess>();

before(async () => {
  broker = await startBrokerProcess({
    overrides: {
      'transaction.state.log.num.partitions': 4,
      'offsets.topic.num.partitions': 4,
      'group.initial.rebalance.delay.ms': 0,
      'group.min.session.timeout.ms': 500,
      'transaction.abort.timed.out.transaction.cleanup.interval.ms': 500,
    },
  });
  const w = await TxnWire.connect(broker.port);
  await w.createTopic(IN, IN_PARTITIONS);
  await w.createTopic(OUT, OUT_PARTITIONS);
  w.close();
  const kafka = new Kafka({ clientId: 'eos-feeder', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  // Small input batches, so that each fetch (and transaction) covers a few records.
  for (let i = 0; i < N; i += 5) {
    await producer.send({ topic: IN, messages: Array.from({ length: 5 }, (_, j) => ({ partition: (i / 5) % IN_PARTITIONS, key: `k${i + j}`, value: `in-${i + j}` })) });
  }
  await producer.disconnect();
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await broker?.kill();
  if (broker) removeDir(broker.dataDir);
});

function startWorker(): { child: ChildProcess; ready: Promise<void>; working: Promise<void>; exited: Promise<void>; output: () => string } {
  const child = spawn(process.execPath, [WORKER, broker.bootstrap, IN, OUT, GROUP, 'eos-txn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((res) => child.once('exit', () => {
    children.delete(child);
    res();
  }));
  const ready = new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`worker not ready in 20 s:\n${out}`)), 20_000);
    child.stdout?.on('data', () => {
      if (out.includes('ready')) {
        clearTimeout(t);
        res();
      }
    });
    void exited.then(() => {
      clearTimeout(t);
      rej(new Error(`worker exited before it was ready:\n${out}`));
    });
  });
  // The first transaction started: the worker has joined the group and is consuming.
  const working = new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`worker did not start a transaction in 30 s:\n${out}`)), 30_000);
    child.stdout?.on('data', () => {
      if (out.includes('txn')) {
        clearTimeout(t);
        res();
      }
    });
    void exited.then(() => {
      clearTimeout(t);
      rej(new Error(`worker exited before its first transaction:\n${out}`));
    });
  });
  ready.catch(() => undefined);
  working.catch(() => undefined);
  return { child, ready, working, exited, output: () => out };
}

async function committedOffsets(): Promise<bigint[]> {
  const c = await WireClient.connect(broker.port);
  try {
    const res = await c.request<{ errorCode: number; topics: { partitions: { partitionIndex: number; committedOffset: bigint; errorCode: number }[] }[] }>(9, 7, {
      groupId: GROUP,
      topics: [{ name: IN, partitionIndexes: [...Array(IN_PARTITIONS).keys()] }],
      requireStable: false,
    });
    const parts = res.topics[0]?.partitions ?? [];
    return [...Array(IN_PARTITIONS).keys()].map((p) => parts.find((x) => x.partitionIndex === p)?.committedOffset ?? -1n);
  } finally {
    c.close();
  }
}

async function outputValues(): Promise<string[]> {
  const values: string[] = [];
  for (let p = 0; p < OUT_PARTITIONS; p++) {
    for (const r of visibleRecords(await readPartition(broker.port, OUT, p, 1), true)) values.push(r.value ?? '');
  }
  return values;
}

test(`kafkajs consume-transform-produce survives ${ROUNDS} kill -9 restarts with exactly-once output and matching committed offsets`, { timeout: 110_000 }, async () => {
  const rnd = prng(20251122);
  for (let round = 0; round < ROUNDS; round++) {
    const w = startWorker();
    await w.working;
    await sleep(Math.floor(rnd() * 1000));
    w.child.kill('SIGKILL');
    await w.exited;
  }
  const progress = (await committedOffsets()).reduce((a, b) => a + (b > 0n ? b : 0n), 0n);
  const before = (await outputValues()).length;
  const ends = await Promise.all([...Array(IN_PARTITIONS).keys()].map((p) => latestOffset(broker.port, IN, p, 0)));
  const final = startWorker();
  try {
    await final.ready;
    await waitFor(async () => (await committedOffsets()).every((o, p) => o === ends[p]), 60_000, 'the worker to commit every input offset');
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\nworker output:\n${final.output()}`);
  } finally {
    final.child.kill('SIGKILL');
    await final.exited;
  }
  assert.ok(progress > 0n && progress < BigInt(N), `the killed workers committed part of the work (${progress} of ${N} input offsets)`);
  assert.equal(before, Number(progress), 'output records committed by the killed workers match their committed offsets');

  const values = await outputValues();
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const duplicates = [...counts].filter(([, n]) => n > 1);
  assert.deepEqual(duplicates, [], 'no input record was transformed twice');
  const expected = Array.from({ length: N }, (_, i) => `out-in-${i}`).sort();
  assert.deepEqual([...values].sort(), expected, 'every input record was transformed once');
  assert.deepEqual(await committedOffsets(), ends);
  // Aborted attempts left records behind that read_committed readers skip.
  let uncommitted = 0;
  for (let p = 0; p < OUT_PARTITIONS; p++) uncommitted += visibleRecords(await readPartition(broker.port, OUT, p, 0), false).length;
  assert.ok(uncommitted >= N);
});
