/**
 * Issue 11 item 11: commands for APIs the broker already serves — `samsa cluster`,
 * `samsa delete-records` (kafka-delete-records.sh's JSON file), `samsa log-dirs` and
 * `samsa transactions list|describe|describe-producers|abort` against a kafkajs transactional
 * producer left with an open transaction — and `samsa --version`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';
import { assertOk, samsaCli } from '../helpers/samsa-cli.js';

const { Kafka, logLevel } = kafkajs;
let broker: RunningBroker;
let kafka: InstanceType<typeof Kafka>;
let dataDir: string;

before(async () => {
  dataDir = tempDir('samsa-cli11-');
  broker = await startBroker({ port: 0, dataDir, config: { 'transaction.state.log.num.partitions': 2, 'offsets.topic.num.partitions': 2 } });
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'cli-cluster', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'dr', numPartitions: 2 }, { topic: 'txn', numPartitions: 1 }] });
  await admin.disconnect();
});

after(async () => {
  await broker?.stop();
  removeDir(dataDir);
});

const b = (): string[] => ['--bootstrap-server', broker.bootstrap];

test('samsa --version prints the package version', async () => {
  const r = await samsaCli(['--version']);
  assertOk(r, '--version');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  assert.equal(r.stdout.trim(), pkg.version);
});

test('samsa cluster: cluster id, controller and brokers', async () => {
  let r = await samsaCli(['cluster', ...b()]);
  assertOk(r, 'cluster');
  assert.match(r.stdout, /^Cluster ID: \S+\nController: 1\n/);
  assert.match(r.stdout, new RegExp(`BROKER\\s+HOST\\s+PORT\\s+RACK\\s+CONTROLLER\\s+STATUS\\n\\s*1\\s+127\\.0\\.0\\.1\\s+${broker.port}\\s+-\\s+yes\\s+alive`));
  assert.match(r.stdout, /\nUnder-replicated partitions: none\n\nOffline partitions: none\n/);
  r = await samsaCli(['cluster', '--json', ...b()]);
  const j = JSON.parse(r.stdout) as { clusterId: string; controllerId: number; brokers: { id: number; port: number }[]; features: unknown[] };
  assert.equal(j.controllerId, 1);
  assert.deepEqual(j.brokers.map((x) => [x.id, x.port]), [[1, broker.port]]);
  assert.ok(Array.isArray(j.features));
});

test('samsa delete-records with a kafka-delete-records.sh JSON file, and samsa log-dirs', async () => {
  const p = kafka.producer();
  await p.connect();
  await p.send({ topic: 'dr', messages: Array.from({ length: 6 }, (_, i) => ({ partition: i % 2, value: `d${i}` })) });
  await p.disconnect();
  const file = join(dataDir, 'offsets.json');
  writeFileSync(file, JSON.stringify({ partitions: [{ topic: 'dr', partition: 0, offset: 2 }, { topic: 'dr', partition: 1, offset: -1 }], version: 1 }));
  let r = await samsaCli(['delete-records', '--offset-json-file', file, ...b()]);
  assertOk(r, 'delete-records');
  assert.match(r.stdout, /Records delete operation completed:\npartition: dr-0\tlow_watermark: 2\npartition: dr-1\tlow_watermark: 3\n/);
  const admin = kafka.admin();
  await admin.connect();
  const offs = await admin.fetchTopicOffsets('dr');
  await admin.disconnect();
  assert.deepEqual(offs.sort((x, y) => x.partition - y.partition).map((o) => o.low), ['2', '3'], 'kafkajs sees the new log start offsets');

  writeFileSync(file, JSON.stringify({ partitions: [{ topic: 'dr', partition: 0, offset: 99 }], version: 1 }));
  r = await samsaCli(['delete-records', '--offset-json-file', file, ...b()]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /partition: dr-0\terror: OFFSET_OUT_OF_RANGE/);

  r = await samsaCli(['log-dirs', '--describe', '--topic-list', 'dr', ...b()]);
  assertOk(r, 'log-dirs');
  const doc = JSON.parse(r.stdout) as { version: number; brokers: { broker: number; logDirs: { logDir: string; error: null; partitions: { partition: string; size: number }[] }[] }[] };
  assert.equal(doc.version, 1);
  assert.equal(doc.brokers[0]?.broker, 1);
  assert.equal(doc.brokers[0]?.logDirs[0]?.logDir, dataDir);
  assert.deepEqual(doc.brokers[0]?.logDirs[0]?.partitions.map((x) => x.partition).sort(), ['dr-0', 'dr-1']);
  assert.ok((doc.brokers[0]?.logDirs[0]?.partitions[0]?.size ?? 0) > 0);
});

test('samsa transactions: list, describe, describe-producers and abort a hanging kafkajs transaction', { timeout: 60_000 }, async () => {
  const producer = kafka.producer({ transactionalId: 'cli-tx', idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const tx = await producer.transaction();
    await tx.send({ topic: 'txn', messages: [{ value: 'open-1' }, { value: 'open-2' }] });

    let r = await samsaCli(['transactions', 'list', ...b()]);
    assertOk(r, 'transactions list');
    assert.match(r.stdout, /TransactionalId\s+Coordinator\s+ProducerId\s+TransactionState\ncli-tx\s+1\s+\d+\s+Ongoing/);

    r = await samsaCli(['transactions', 'describe', '--transactional-id', 'cli-tx', '--json', ...b()]);
    assertOk(r, 'transactions describe');
    const d = JSON.parse(r.stdout) as { transactionState: string; topicPartitions: string[]; producerId: number };
    assert.equal(d.transactionState, 'Ongoing');
    assert.deepEqual(d.topicPartitions, ['txn-0']);

    r = await samsaCli(['transactions', 'describe-producers', '--topic', 'txn', '--partition', '0', '--json', ...b()]);
    assertOk(r, 'describe-producers');
    const producers = JSON.parse(r.stdout) as { producerId: number; currentTransactionStartOffset: number | null }[];
    assert.deepEqual(producers.map((x) => [x.producerId, x.currentTransactionStartOffset]), [[d.producerId, 0]]);

    const highWatermark = async (): Promise<string> => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        return (await admin.fetchTopicOffsets('txn'))[0]?.offset ?? '';
      } finally {
        await admin.disconnect();
      }
    };
    r = await samsaCli(['transactions', 'abort', '--topic', 'txn', '--partition', '0', '--start-offset', '0', ...b()]);
    assertOk(r, 'transactions abort');
    assert.match(r.stdout, new RegExp(`Aborted the transaction of producer ${d.producerId} \\(epoch \\d+\\) on txn-0`));
    r = await samsaCli(['transactions', 'describe-producers', '--topic', 'txn', '--partition', '0', '--json', ...b()]);
    assert.deepEqual((JSON.parse(r.stdout) as { currentTransactionStartOffset: number | null }[]).map((x) => x.currentTransactionStartOffset), [null]);
    assert.equal(await highWatermark(), '3', 'the two records and the abort marker');

    r = await samsaCli(['transactions', 'abort', '--topic', 'txn', '--partition', '0', '--start-offset', '0', ...b()]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Could not find any open transactions starting at offset 0/);
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
});
