/**
 * File-system work per partition when a broker restarts (start-up time with many partitions, issue
 * 22 target 3): each partition directory is listed once (the listing serves the cleaner's swap
 * recovery, the segments and the producer state snapshots), its partition.metadata is read once,
 * and no mkdir is made for a directory that was just listed; after an unclean shutdown too (the
 * recovered logs keep their listing for the producer state). The restarted broker still serves
 * every partition with its records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { rmSync } from 'node:fs';
import { CLEAN_SHUTDOWN_FILE } from '../../src/storage/file-names.js';
import { startBroker } from '../../src/index.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { withClient } from '../helpers/wire.js';

const PARTITIONS = 40;
const TOPIC = 'listed';

/** Counts readdirSync / readFileSync / mkdirSync calls on paths of the topic's partition directories while `fn` runs. */
async function counting<T>(fn: () => Promise<T>): Promise<{ result: T; listings: Map<string, number>; metadataReads: Map<string, number>; mkdirs: number }> {
  const listings = new Map<string, number>();
  const metadataReads = new Map<string, number>();
  let mkdirs = 0;
  const isPartitionDir = (p: unknown): p is string => typeof p === 'string' && basename(p).startsWith(`${TOPIC}-`);
  const { readdirSync, readFileSync, mkdirSync } = fs;
  const patched = fs as unknown as Record<string, unknown>;
  patched['readdirSync'] = (...args: Parameters<typeof readdirSync>) => {
    if (isPartitionDir(args[0])) listings.set(args[0], (listings.get(args[0]) ?? 0) + 1);
    return Reflect.apply(readdirSync, fs, args) as unknown;
  };
  patched['readFileSync'] = (...args: Parameters<typeof readFileSync>) => {
    const p = args[0];
    if (typeof p === 'string' && basename(p) === 'partition.metadata' && isPartitionDir(dirname(p))) metadataReads.set(p, (metadataReads.get(p) ?? 0) + 1);
    return Reflect.apply(readFileSync, fs, args) as unknown;
  };
  patched['mkdirSync'] = (...args: Parameters<typeof mkdirSync>) => {
    if (isPartitionDir(args[0])) mkdirs++;
    return Reflect.apply(mkdirSync, fs, args) as unknown;
  };
  syncBuiltinESMExports();
  try {
    return { result: await fn(), listings, metadataReads, mkdirs };
  } finally {
    patched['readdirSync'] = readdirSync;
    patched['readFileSync'] = readFileSync;
    patched['mkdirSync'] = mkdirSync;
    syncBuiltinESMExports();
  }
}

/**
 * Writes to the partitions, stops the broker and restarts it on the same data dir while counting;
 * `unclean`: the clean-shutdown marker is removed first, so every log is recovered (as after kill -9).
 */
async function restartCounted(unclean: boolean): Promise<void> {
  const dataDir = tempDir('samsa-listings-');
  try {
    const first = await startBroker({ port: 0, dataDir, logger: { level: 'warn' } });
    try {
      await withClient(first.port, async (c) => {
        await c.createTopic(TOPIC, PARTITIONS);
        for (let p = 0; p < PARTITIONS; p += 7) assert.equal((await c.produce(TOPIC, p, encodeRecordBatch({ records: [{ value: `v${p}` }] }))).errorCode, 0);
      });
    } finally {
      await first.stop();
    }
    if (unclean) rmSync(join(dataDir, CLEAN_SHUTDOWN_FILE));

    const { result: second, listings, metadataReads, mkdirs } = await counting(() => startBroker({ port: 0, dataDir, logger: { level: 'warn' } }));
    try {
      assert.equal(listings.size, PARTITIONS, 'every partition directory was listed');
      assert.deepEqual([...new Set(listings.values())], [1], 'once each');
      assert.equal(metadataReads.size, PARTITIONS);
      assert.deepEqual([...new Set(metadataReads.values())], [1], 'partition.metadata read once each');
      assert.equal(mkdirs, 0, 'no mkdir for a listed directory');
      await withClient(second.port, async (c) => {
        for (let p = 0; p < PARTITIONS; p += 7) {
          const got = await c.fetchAll(TOPIC, p);
          assert.deepEqual(got.batches.flatMap((b) => b.records.map((r) => r.value?.toString())), [`v${p}`], `partition ${p}`);
        }
        const md = await c.metadata([TOPIC]);
        assert.equal(md.topics[0]?.partitions.length, PARTITIONS);
      });
    } finally {
      await second.stop();
    }
  } finally {
    removeDir(dataDir);
  }
}

test(`a restart lists each of ${PARTITIONS} partition directories once and reads its partition.metadata once`, { timeout: 120_000 }, () => restartCounted(false));

test(`a restart after an unclean shutdown (every log recovered) still lists each partition directory once`, { timeout: 120_000 }, () => restartCounted(true));
