/**
 * ShareUpdate records (issue 18, KIP-932's incremental share state): between two snapshots the
 * share coordinator writes only what an acknowledgement changed, and replays snapshot + updates on
 * load. Scenario: one record held by a consumer keeps the share-partition's start offset at 0
 * while another consumer acknowledges the following records one at a time (accept the even ones,
 * reject the odd ones), so the in-flight state grows record by record; then the broker is killed
 * (-9) and restarted. The state must be exactly right after the restart (only the held record is
 * delivered again, with its delivery count raised; nothing acknowledged comes back), and the
 * `__share_group_state` log must have grown less than with snapshots only
 * (`share.coordinator.snapshot.update.records.per.snapshot=0`, the same scenario). The consumers
 * are the project's own ShareConsumer (no independent client speaks share groups); records are
 * produced with kafkajs, one batch each (a share fetch acquires whole batches).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { AcknowledgeType, ShareConsumer, type ShareRecord } from '../../src/client/share-consumer.js';

const RECORDS = 120;
const OVERRIDES = {
  'group.coordinator.rebalance.protocols': 'classic,consumer,share',
  'offsets.topic.num.partitions': 1,
  'share.coordinator.state.topic.num.partitions': 1,
  'group.share.auto.offset.reset': 'earliest',
  'group.share.record.lock.duration.ms': 600_000,
};
const brokers: BrokerProcess[] = [];
const dirs: string[] = [];

after(async () => {
  for (const b of brokers) await b.kill();
  for (const d of dirs) removeDir(d);
});

/** Bytes of the `__share_group_state` segment files in `dataDir`. */
function stateBytes(dataDir: string): number {
  let total = 0;
  for (const d of readdirSync(dataDir)) {
    if (!d.startsWith('__share_group_state-')) continue;
    for (const f of readdirSync(join(dataDir, d))) if (f.endsWith('.log')) total += statSync(join(dataDir, d, f)).size;
  }
  return total;
}

async function pollOne(c: ShareConsumer, what: string): Promise<ShareRecord> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const got = await c.poll();
    if (got.length > 0) {
      assert.equal(got.length, 1, `one record per fetch (${what})`);
      return got[0] as ShareRecord;
    }
    assert.ok(Date.now() < deadline, `no record for ${what}`);
  }
}

/** Runs the scenario with `updatesPerSnapshot`; returns the state log's bytes before the kill. */
async function scenario(updatesPerSnapshot: number): Promise<number> {
  const overrides = { ...OVERRIDES, 'share.coordinator.snapshot.update.records.per.snapshot': updatesPerSnapshot };
  let broker = await startBrokerProcess({ overrides });
  brokers.push(broker);
  dirs.push(broker.dataDir);
  const dataDir = broker.dataDir;
  const topic = 'share-upd';
  const group = 'share-upd-g';
  const kafka = new Kafka({ clientId: 'share-updates', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < RECORDS; i++) await producer.send({ topic, acks: -1, messages: [{ value: `v${i}` }] });
  await producer.disconnect();

  // The holder acquires offset 0 and keeps it: the start offset stays at 0.
  const holder = await ShareConsumer.connect({ broker: broker.bootstrap, groupId: group, topics: [topic], maxBytes: 1 });
  const held = await pollOne(holder, 'the held record');
  assert.equal(held.offset, 0n);
  const worker = await ShareConsumer.connect({ broker: broker.bootstrap, groupId: group, topics: [topic], maxBytes: 1 });
  for (let i = 1; i < RECORDS; i++) {
    const r = await pollOne(worker, `offset ${i}`);
    assert.equal(r.offset, BigInt(i));
    worker.ack(r, i % 2 === 0 ? AcknowledgeType.Accept : AcknowledgeType.Reject);
    assert.deepEqual(await worker.commit(), [0]);
  }
  const bytes = stateBytes(dataDir);
  holder.kill();
  worker.kill();
  await broker.kill();

  broker = await startBrokerProcess({ overrides, dataDir });
  brokers.push(broker);
  const after = await ShareConsumer.connect({ broker: broker.bootstrap, groupId: group, topics: [topic] });
  try {
    const r = await pollOne(after, 'the redelivery after the restart');
    assert.equal(r.offset, 0n, 'only the held record is available again');
    assert.equal(r.deliveryCount, 2, 'its interrupted delivery was counted');
    after.ack(r);
    assert.deepEqual(await after.commit(), [0]);
    assert.deepEqual(await after.poll(), [], 'nothing acknowledged before the crash comes back');
  } finally {
    await after.close();
  }
  await broker.kill();
  return bytes;
}

test('ShareUpdate records between snapshots: after many acknowledgements and a kill -9 the share state is exact, and the state log grew less than with snapshots only', { timeout: 300_000 }, async () => {
  const withUpdates = await scenario(500);
  const snapshotsOnly = await scenario(0);
  const line = `__share_group_state bytes after ${RECORDS} acquisitions and ${RECORDS - 1} acknowledgements: ${withUpdates} with ShareUpdate records, ${snapshotsOnly} with snapshots only (${(snapshotsOnly / withUpdates).toFixed(1)}x)`;
  process.stdout.write(`# ${line}\n`);
  assert.ok(withUpdates * 2 < snapshotsOnly, line);
});
