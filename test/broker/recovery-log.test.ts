/**
 * Issue 10 item 11: when recovery truncates a torn or corrupt tail, the broker says so: one WARN
 * line per partition with the partition, the offsets cut and the bytes. A broker is killed with
 * SIGKILL, a torn batch (the first 40 bytes of a 5-record batch claiming offsets 10..14) is
 * appended to the active segment of one partition and garbage to another's, and the restarted
 * broker logs both truncations and serves the records up to the truncation point.
 */
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { logged } from '../helpers/log-lines.js';
import { withClient } from '../helpers/wire.js';

const dataDir = tempDir('samsa-recovery-log-');
let broker: BrokerProcess | undefined;
after(async () => {
  await broker?.kill();
  removeDir(dataDir);
});

function activeSegment(partitionDir: string): string {
  const logs = readdirSync(partitionDir).filter((f) => f.endsWith('.log')).sort();
  return join(partitionDir, logs[logs.length - 1] as string);
}

it('logs partition, offsets and bytes of a torn tail cut by recovery', { timeout: 60_000 }, async () => {
  broker = await startBrokerProcess({ dataDir });
  await withClient(broker.port, async (c) => {
    assert.equal(await c.createTopic('torn', 2), 0);
    for (const p of [0, 1]) {
      for (let i = 0; i < 10; i++) assert.equal((await c.produce('torn', p, encodeRecordBatch({ records: [{ key: 'k', value: `v${i}` }] }), -1)).errorCode, 0);
    }
  });
  await broker.kill();

  // Partition 0: a torn batch (its header names offsets 10..14). Partition 1: 100 bytes of garbage.
  const torn = encodeRecordBatch({ records: Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: `lost${i}` })) });
  torn.writeBigInt64BE(10n, 0);
  const seg0 = activeSegment(join(dataDir, 'torn-0'));
  const size0 = statSync(seg0).size;
  appendFileSync(seg0, torn.subarray(0, 40));
  appendFileSync(activeSegment(join(dataDir, 'torn-1')), Buffer.alloc(100, 0xab));

  broker = await startBrokerProcess({ dataDir });
  const out = broker.output();
  assert.equal(logged(out, 'warn', /^Recovery truncated partition torn-0: removed offsets 10 to 14, 40 bytes \(40 at position \d+ of 0+\.log\); log end offset is now 10/).length, 1, out);
  assert.equal(logged(out, 'warn', /^Recovery truncated partition torn-1: removed from offset 10 \(the cut data had no readable offsets\), 100 bytes/).length, 1, out);
  assert.equal((out.match(/Recovery truncated partition torn-0/g) ?? []).length, 1, 'one line per partition');
  assert.equal(statSync(seg0).size, size0);
  await withClient(broker.port, async (c) => {
    for (const p of [0, 1]) {
      const { batches, highWatermark } = await c.fetchAll('torn', p, 0n);
      assert.equal(highWatermark, 10n);
      assert.deepEqual(batches.flatMap((b) => b.records.map((r) => r.value!.toString())), Array.from({ length: 10 }, (_, i) => `v${i}`));
    }
  });
});
