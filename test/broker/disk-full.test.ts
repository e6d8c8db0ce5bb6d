/**
 * Issue 10 item 10: a full disk. A broker process runs with its data dir on an 8 MiB tmpfs
 * (mounted here; the tests run as root); produces fill it until appends fail. Then:
 * - the failing produces answer KAFKA_STORAGE_ERROR (not UNKNOWN_SERVER_ERROR);
 * - the broker logs a bounded number of lines about it (no stack per request);
 * - reads keep being served: every acknowledged record is there;
 * - after space is freed (a filler file removed), writes succeed again and one "resumed" line is logged;
 * - killed with SIGKILL on a full disk, the broker starts again and serves every acknowledged record;
 *   so it does after a clean stop on the full disk.
 * If tmpfs cannot be mounted the test fails (it is not skipped).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { waitFor, WireClient } from '../helpers/wire.js';

const KAFKA_STORAGE_ERROR = 56;
const TOPIC = 'full';
const mnt = tempDir('samsa-disk-full-');
let mounted = false;
let broker: BrokerProcess | undefined;

before(() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt], { stdio: 'pipe' });
    mounted = true;
  } catch (e) {
    throw new Error(`disk-full test needs to mount a tmpfs (run as root with mount permitted): ${(e as Error).message}`);
  }
});

after(async () => {
  await broker?.kill();
  if (mounted) execFileSync('umount', [mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

const value = (i: number): string => `rec-${i}-${'x'.repeat(2000)}`;

it('answers KAFKA_STORAGE_ERROR on a full disk, logs it a bounded number of times, serves reads, resumes, and restarts on a full disk', { timeout: 90_000 }, async (t) => {
  const dataDir = join(mnt, 'data');
  mkdirSync(dataDir);
  broker = await startBrokerProcess({ dataDir });
  const c = await WireClient.connect(broker.port);
  assert.equal(await c.createTopic(TOPIC, 1), 0);
  // Space to give back later.
  writeFileSync(join(mnt, 'filler'), Buffer.alloc(1024 * 1024, 1));

  const acked: string[] = [];
  let next = 0;
  /** Produces 10-record batches until one fails; returns its error code. */
  const fill = async (): Promise<number> => {
    for (;;) {
      const records = Array.from({ length: 10 }, () => ({ key: 'k', value: value(next++) }));
      const res = await c.produce(TOPIC, 0, encodeRecordBatch({ records }), -1);
      if (res.errorCode !== 0) return res.errorCode;
      acked.push(...records.map((r) => r.value));
      if (acked.length > 100_000) throw new Error('the disk never filled');
    }
  };
  assert.equal(await fill(), KAFKA_STORAGE_ERROR);
  const fullAt = acked.length;
  // Keep writing into the full disk: every request fails, the log stays quiet.
  for (let i = 0; i < 300; i++) {
    const records = Array.from({ length: 10 }, () => ({ key: 'k', value: value(next++) }));
    assert.equal((await c.produce(TOPIC, 0, encodeRecordBatch({ records }), -1)).errorCode, KAFKA_STORAGE_ERROR);
  }
  const out = broker.output();
  const storageLines = out.split('\n').filter((l) => /storage|ENOSPC|no space/i.test(l));
  assert.ok(storageLines.length >= 1 && storageLines.length <= 3, `lines about the full disk:\n${storageLines.join('\n')}`);
  assert.ok(!/UNKNOWN_SERVER_ERROR|\n\s+at |\\n\s+at |"stack":/.test(out), `no stack traces:\n${out.slice(0, 2000)}`);

  // Reads are still served.
  const read = async (cl: WireClient): Promise<string[]> => (await cl.fetchAll(TOPIC, 0, 0n)).batches.flatMap((b) => b.records.map((r) => r.value!.toString()));
  assert.deepEqual(await read(c), acked);

  // Space comes back: writes resume.
  unlinkSync(join(mnt, 'filler'));
  const records = [{ key: 'k', value: value(next++) }];
  assert.equal((await c.produce(TOPIC, 0, encodeRecordBatch({ records }), -1)).errorCode, 0);
  acked.push(records[0]!.value);
  await waitFor(() => /Storage writes resumed/.test(broker!.output()), 5000, 'the resumed line');
  assert.equal(await fill(), KAFKA_STORAGE_ERROR);
  c.close();
  const free = statfsSync(mnt).bavail * statfsSync(mnt).bsize;

  // Killed on a full disk: it starts again and serves everything acknowledged.
  await broker.kill();
  broker = await startBrokerProcess({ dataDir });
  const c2 = await WireClient.connect(broker.port);
  try {
    assert.deepEqual(await read(c2), acked);
  } finally {
    c2.close();
  }
  // And after a clean stop on the full disk (its checkpoints cannot be written).
  await broker.stop();
  broker = await startBrokerProcess({ dataDir });
  const c3 = await WireClient.connect(broker.port);
  try {
    assert.deepEqual(await read(c3), acked);
  } finally {
    c3.close();
  }
  t.diagnostic(`disk full after ${fullAt} records; ${acked.length} acknowledged in all; ${free} bytes free at the restart; ${storageLines.length} log lines for 300+ failed produces`);
});
