/**
 * `samsa reassign` with a plan that puts a replica in another log dir of its broker, and
 * --replica-alter-log-dirs-throttle (kafka-reassign-partitions.sh): a single broker with two log
 * dirs. --execute sets replica.alter.log.dirs.io.max.bytes.per.second on the broker and starts
 * the move (AlterReplicaLogDirs; DescribeLogDirs lists the future replica meanwhile); the copy is paced to that rate (it takes at least half of
 * size/rate: a liveness-style bound, the figures are printed), the partition takes writes while it
 * is copied and keeps every record after the swap; --verify says in progress, then completed, and
 * removes the throttle; a move back without a throttle is done when --execute returns.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/index.js';
import type { DescribeLogDirsResponse } from '../../src/protocol/generated/messages/describe-log-dirs.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { WireClient, waitFor } from '../helpers/wire.js';
import { assertOk, samsaCli } from '../helpers/samsa-cli.js';

const RATE_KEY = 'replica.alter.log.dirs.io.max.bytes.per.second';
const tmp = mkdtempSync(join(tmpdir(), 'samsa-reassign-dirs-'));
const dirA = join(tmp, 'a');
const dirB = join(tmp, 'b');
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'log.dirs': `${dirA},${dirB}`, 'node.id': 1 } });
});
after(async () => {
  await broker?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const value = 'x'.repeat(100_000);
const batch = (i: number): Buffer => encodeRecordBatch({ baseTimestamp: 1_000n, records: [{ value: `${i}:${value}`, timestamp: 1_000n }] });

function dirSize(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

function plan(dir: string): string {
  const file = join(tmp, `plan-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify({ version: 1, partitions: [{ topic: 'moving', partition: 0, replicas: [1], log_dirs: [dir] }] }));
  return file;
}

test('reassign --replica-alter-log-dirs-throttle paces the move of a replica to another log dir; --verify follows it and clears the throttle', { timeout: 180_000 }, async () => {
  const c = await WireClient.connect(broker.port);
  try {
    assert.equal(await c.createTopic('moving', 1), 0);
    const logs = broker.broker.logs;
    const home = logs.logDirOf('moving', 0);
    assert.ok(home !== undefined);
    const [from, to] = home === dirA ? [dirA, dirB] : [dirB, dirA];
    for (let i = 0; i < 40; i++) assert.equal((await c.produce('moving', 0, batch(i))).errorCode, 0);
    const source = join(from, 'moving-0');
    const size = dirSize(source);
    const rate = Math.max(1024, Math.floor(size / 4)); // about 4 s of copying
    const file = plan(to);

    const started = performance.now();
    const r = await samsaCli(['reassign', '--execute', '--reassignment-json-file', file, '--replica-alter-log-dirs-throttle', String(rate)], { bootstrap: broker.bootstrap });
    assertOk(r, 'reassign --execute');
    assert.match(r.stdout, new RegExp(`The replica-alter-dir throttle limit was set to ${rate} B/s on brokers 1\\n`));
    assert.match(r.stdout, /Successfully started log directory moves for: moving-0-1\n/);
    assert.equal(broker.broker.config.int(RATE_KEY), rate);

    // While it is copied: the partition is still served from its dir and takes writes.
    const future = await waitFor(() => readdirSync(to).find((n) => n.startsWith('moving-0.') && n.endsWith('-future')), 20_000, 'the future replica', 20);
    assert.equal(logs.logDirOf('moving', 0), from);
    const described = await c.request<DescribeLogDirsResponse>(35, 4, { topics: [{ topic: 'moving', partitions: [0] }] });
    const entry = (dir: string) => described.results.find((d) => d.logDir === dir)?.topics.find((t) => t.name === 'moving')?.partitions[0];
    assert.equal(entry(from)?.isFutureKey, false, 'the current replica in its dir');
    assert.equal(entry(to)?.isFutureKey, true, 'DescribeLogDirs lists the future replica in the destination');
    for (let i = 40; i < 45; i++) assert.equal((await c.produce('moving', 0, batch(i))).errorCode, 0);
    const v = await samsaCli(['reassign', '--verify', '--reassignment-json-file', file], { bootstrap: broker.bootstrap });
    assertOk(v, 'reassign --verify (in progress)');
    assert.match(v.stdout, /Reassignment of replica moving-0-1 is still in progress/);
    assert.equal(broker.broker.config.int(RATE_KEY), rate, 'the throttle stays while the move is in progress');

    await waitFor(() => logs.logDirOf('moving', 0) === to || undefined, 120_000, 'the replica in its new log dir', 20);
    const tookMs = performance.now() - started;
    const floorMs = (size / rate) * 1000 * 0.5;
    console.log(`# throttled move: ${size} bytes at ${rate} B/s took ${Math.round(tookMs)} ms (size/rate ${Math.round((size / rate) * 1000)} ms; bound asserted ${Math.round(floorMs)} ms)`);
    assert.ok(tookMs >= floorMs, `a ${size}-byte move at ${rate} B/s took only ${Math.round(tookMs)} ms`);
    assert.ok(!existsSync(source), 'the old replica is removed');
    assert.ok(!existsSync(join(to, future)), 'the future replica became the replica');

    const { batches } = await c.fetchAll('moving', 0);
    const values = batches.flatMap((b) => b.records.map((rec) => rec.value?.toString().split(':')[0]));
    assert.deepEqual(values, Array.from({ length: 45 }, (_, i) => String(i)), 'every record, written before and during the move');

    const done = await samsaCli(['reassign', '--verify', '--reassignment-json-file', file], { bootstrap: broker.bootstrap });
    assertOk(done, 'reassign --verify (done)');
    assert.match(done.stdout, /Reassignment of replica moving-0-1 completed successfully\.\n/);
    assert.match(done.stdout, /Clearing broker-level throttles on brokers 1\n/);
    assert.ok(broker.broker.config.int(RATE_KEY) >= Number.MAX_SAFE_INTEGER, 'the throttle is removed');

    // Unthrottled, back again: done when --execute returns.
    const back = performance.now();
    const b = await samsaCli(['reassign', '--execute', '--reassignment-json-file', plan(from)], { bootstrap: broker.bootstrap });
    assertOk(b, 'reassign --execute back');
    assert.equal(logs.logDirOf('moving', 0), from);
    console.log(`# unthrottled move back: ${Math.round(performance.now() - back)} ms including the CLI process`);
    const again = await c.fetchAll('moving', 0);
    assert.equal(again.batches.flatMap((x) => x.records).length, 45);
  } finally {
    c.close();
  }
});

test('a throttled move that a stop interrupts leaves the replica where it was; a future replica left on disk is removed at the next start', { timeout: 120_000 }, async () => {
  const a = join(tmp, 'stop-a');
  const b = join(tmp, 'stop-b');
  const config = { 'log.dirs': `${a},${b}`, 'node.id': 1, [RATE_KEY]: 1024 };
  let first: RunningBroker | undefined = await startBroker({ port: 0, config });
  try {
    const c = await WireClient.connect(first.port);
    let home: string;
    try {
      assert.equal(await c.createTopic('interrupted', 1), 0);
      home = first.broker.logs.logDirOf('interrupted', 0) as string;
      for (let i = 0; i < 5; i++) assert.equal((await c.produce('interrupted', 0, batch(i))).errorCode, 0);
      const r = await samsaCli(['reassign', '--execute', '--reassignment-json-file', (() => {
        const file = join(tmp, 'plan-interrupted.json');
        writeFileSync(file, JSON.stringify({ version: 1, partitions: [{ topic: 'interrupted', partition: 0, replicas: [1], log_dirs: [home === a ? b : a] }] }));
        return file;
      })()], { bootstrap: first.bootstrap });
      assertOk(r, 'reassign --execute');
    } finally {
      c.close();
    }
    const other = home === a ? b : a;
    await waitFor(() => readdirSync(other).some((n) => n.endsWith('-future')) || undefined, 20_000, 'the future replica', 20);
    await first.stop();
    first = undefined;
    // As a kill -9 in the middle of the copy leaves it (a stop may already have removed its own).
    const leftover = join(other, `interrupted-0.${'0'.repeat(32)}-future`);
    mkdirSync(leftover, { recursive: true });
    writeFileSync(join(leftover, '00000000000000000000.log'), 'partial');
    const again = await startBroker({ port: 0, config });
    try {
      await waitFor(() => readdirSync(other).every((n) => !n.endsWith('-future')) || undefined, 20_000, 'the future replica removed', 20);
      assert.equal(again.broker.logs.logDirOf('interrupted', 0), home);
      const c2 = await WireClient.connect(again.port);
      try {
        const { batches } = await c2.fetchAll('interrupted', 0);
        assert.equal(batches.flatMap((x) => x.records).length, 5);
      } finally {
        c2.close();
      }
    } finally {
      await again.stop();
    }
  } finally {
    await first?.stop();
  }
});
