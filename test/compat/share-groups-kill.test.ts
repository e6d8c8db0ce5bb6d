/**
 * Share-partition state survives a broker `kill -9` (issue 18, must-show 3): a share consumer
 * (the project's own ShareConsumer: no independent client speaks share groups) accepts and
 * rejects part of a topic, then holds one more fetch without acknowledging it; the broker is
 * killed with SIGKILL and restarted on the same data directory; a new share consumer of the group
 * gets exactly the records not yet accepted or rejected (the held ones included), none of the
 * others. The state is read back from `__share_group_state` (ShareSnapshot records).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { CLI, removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { runProcess } from '../helpers/run-process.js';
import { createTopicWithRecords } from '../helpers/kafkajs-setup.js';
import { AcknowledgeType, ShareConsumer } from '../../src/client/share-consumer.js';

const TOPIC = 'share-kill';
const GROUP = 'share-kill-g';
const N = 1000;
const OVERRIDES = {
  'group.coordinator.rebalance.protocols': 'classic,consumer,share',
  'offsets.topic.num.partitions': 1,
  'share.coordinator.state.topic.num.partitions': 3,
  'group.share.auto.offset.reset': 'earliest',
  // Long locks: records held at the crash come back because the restart forgets acquisitions, not because a lock expired.
  'group.share.record.lock.duration.ms': 600_000,
};
let broker: BrokerProcess | null = null;
let dataDir: string | null = null;

after(async () => {
  await broker?.kill();
  if (dataDir) removeDir(dataDir);
});

test('share-partition state survives a broker kill -9: accepted and rejected records stay settled, held ones are redelivered', { timeout: 120_000 }, async () => {
  broker = await startBrokerProcess({ overrides: OVERRIDES });
  dataDir = broker.dataDir;
  const kafka = new Kafka({ clientId: 'share-kill', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  await createTopicWithRecords(kafka, TOPIC, 1, Array.from({ length: N }, (_, i) => ({ value: `v${i}` })));

  const settled = new Set<bigint>();
  const a = await ShareConsumer.connect({ broker: broker.bootstrap, groupId: GROUP, topics: [TOPIC], maxBytes: 4096 });
  const deadline = Date.now() + 60_000;
  while (settled.size < N / 2) {
    assert.ok(Date.now() < deadline, `consumer A settled only ${settled.size} records`);
    const records = await a.poll();
    for (const r of records) {
      a.ack(r, r.offset % 50n === 3n ? AcknowledgeType.Reject : AcknowledgeType.Accept);
      settled.add(r.offset);
    }
    const codes = await a.commit();
    assert.ok(codes.every((c) => c === 0), `acknowledgements answered ${codes.join(',')}`);
  }
  let held: bigint[] = [];
  while (held.length === 0) {
    assert.ok(Date.now() < deadline, 'consumer A got a batch to hold');
    held = (await a.poll()).map((r) => r.offset);
  }
  a.kill();
  await broker.kill();

  broker = await startBrokerProcess({ dataDir, overrides: OVERRIDES });
  const b = await ShareConsumer.connect({ broker: broker.bootstrap, groupId: GROUP, topics: [TOPIC] });
  const got = new Map<bigint, number>();
  try {
    const until = Date.now() + 60_000;
    while (got.size < N - settled.size) {
      assert.ok(Date.now() < until, `consumer B got ${got.size} of ${N - settled.size} records`);
      for (const r of await b.poll()) {
        assert.ok(!got.has(r.offset), `offset ${r.offset} delivered twice after the restart`);
        got.set(r.offset, r.deliveryCount);
        b.ack(r, AcknowledgeType.Accept);
      }
      await b.commit();
    }
    for (const o of got.keys()) assert.ok(!settled.has(o), `settled offset ${o} delivered again after the restart`);
    for (const o of held) assert.ok(got.has(o), `held offset ${o} redelivered after the restart`);
    assert.deepEqual(await b.poll(), [], 'nothing left to deliver');
    console.log(`share kill -9: ${settled.size} settled before the crash, ${held.length} held at the crash, ${got.size} delivered after the restart`);
    // `samsa groups` lists the share group after the restart (known from its persisted state).
    const r = await runProcess(process.execPath, [CLI, 'groups', '--bootstrap-server', broker.bootstrap, '--list'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr.toString());
    assert.match(r.stdout.toString(), new RegExp(GROUP));
  } finally {
    await b.close();
  }
});
