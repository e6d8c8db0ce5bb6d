/**
 * The native codec addons (snappy, lz4-napi, zstd-napi) are loaded on first use (start-up time,
 * issue 22 target 3): a broker process that has started and taken uncompressed records has none of
 * them mapped; a snappy batch from kcat loads snappy only, then lz4 and zstd batches load theirs;
 * every batch reads back intact. Linux only (reads /proc/<pid>/maps).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/compat.js';

const ADDONS = { snappy: /snappy[^/\n]*\.node$/m, lz4: /lz4[^/\n]*\.node$/m, zstd: /zstd-napi\/[^\n]*\.node$/m } as const;

function loadedAddons(pid: number): string[] {
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  return Object.entries(ADDONS)
    .filter(([, re]) => re.test(maps))
    .map(([name]) => name);
}

async function produce(bootstrap: string, topic: string, codec: string, values: string[]): Promise<void> {
  await kcat(['-P', '-b', bootstrap, '-t', topic, '-p', '0', '-z', codec, '-X', 'linger.ms=20'], { input: values.join('\n') + '\n', timeoutMs: 30_000 });
}

async function consume(bootstrap: string, topic: string): Promise<string[]> {
  const r = await kcat(['-C', '-b', bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q'], { timeoutMs: 30_000 });
  return r.stdout.toString('utf8').split('\n').filter((l) => l !== '');
}

test('snappy, lz4 and zstd are loaded by the broker on first use, not at start', { skip: !existsSync('/proc/self/maps'), timeout: 120_000 }, async () => {
  let broker: BrokerProcess | undefined;
  try {
    broker = await startBrokerProcess({ overrides: { 'num.partitions': 1 }, startTimeoutMs: 60_000 });
    const pid = broker.child.pid as number;
    const plain = ['a', 'b', 'c'];
    await produce(broker.bootstrap, 'plain', 'none', plain);
    assert.deepEqual(await consume(broker.bootstrap, 'plain'), plain);
    assert.deepEqual(loadedAddons(pid), [], 'after start-up and an uncompressed produce and fetch');

    const loaded: string[] = [];
    for (const codec of ['snappy', 'lz4', 'zstd'] as const) {
      const values = Array.from({ length: 200 }, (_, i) => `${codec} ${i} ${'xyz'.repeat(1 + (i % 7))}`);
      await produce(broker.bootstrap, `z-${codec}`, codec, values);
      assert.deepEqual(await consume(broker.bootstrap, `z-${codec}`), values, `${codec} records read back`);
      loaded.push(codec);
      assert.deepEqual(loadedAddons(pid), loaded, `after the first ${codec} batch`);
    }
  } finally {
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  }
});
