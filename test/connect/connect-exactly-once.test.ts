/**
 * Exactly-once source support (KIP-618): two `samsa connect` worker processes with
 * exactly.once.source.support=enabled run a FileStreamSource (transaction.boundary=interval, so a
 * transaction is nearly always open); the worker running its task is killed with SIGKILL mid-stream (offset.flush.interval.ms is a minute, so without transactions
 * the survivor would re-send everything); a read_committed consumer (kafkajs) then reads every
 * line exactly once, in order. Also: the connector settings KIP-618 validates
 * (exactly.once.support=required, transaction.boundary) are refused as Kafka refuses them.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { ConnectWorker } from '../../src/connect/worker.js';
import { connectSuite, expectStatus, http, startWorkerProcess, waitFor, type WorkerProcess } from './connect-helpers.js';

const suite = connectSuite('samsa-connect-eos-');

const N = Number(process.env['CONNECT_EOS_RECORDS'] ?? '50000');

/** Every value of a topic as a consumer of the given isolation reads it, until `done(values)` holds. */
async function readCommitted(kafka: Kafka, topic: string, done: (values: string[]) => boolean): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `eos-reader-${Math.random().toString(36).slice(2)}`, readUncommitted: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const values: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value?.toString() ?? '') });
    await waitFor(`${topic} read (read_committed)`, () => done(values), 180_000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}: ${values.length} values, the last ${values.at(-1) ?? 'none'}`);
    });
    return values;
  } finally {
    await consumer.disconnect();
  }
}

test('exactly-once source: kill -9 of the worker mid-stream, read_committed sees every line once', { timeout: 600_000 }, async (t) => {
  const props = join(suite.dir, 'worker.properties');
  writeFileSync(
    props,
    [
      'exactly.once.source.support=enabled',
      'config.storage.replication.factor=1',
      'offset.storage.replication.factor=1',
      'status.storage.replication.factor=1',
      'session.timeout.ms=6000',
      'heartbeat.interval.ms=1000',
      'offset.flush.interval.ms=60000',
      'key.converter=org.apache.kafka.connect.storage.StringConverter',
      'value.converter=org.apache.kafka.connect.storage.StringConverter',
    ].join('\n'),
  );
  const kafka = new Kafka({ brokers: [suite.broker.bootstrap], clientId: 'connect-eos-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'eos-lines', numPartitions: 1 }] });
  const file = join(suite.dir, 'lines.txt');
  const expected = Array.from({ length: N }, (_, i) => `line-${i}`);
  writeFileSync(file, expected.join('\n') + '\n');

  const workers: WorkerProcess[] = [];
  t.after(() => Promise.all(workers.map((w) => w.kill())));
  workers.push(...(await Promise.all([startWorkerProcess(suite.broker.bootstrap, 'connect-eos', props), startWorkerProcess(suite.broker.bootstrap, 'connect-eos', props)])));
  const created = await waitFor('the source created', async () => {
    const a = await http('POST', `${workers[0]?.url ?? ''}/connectors`, { name: 'eos-file', config: { 'connector.class': 'FileStreamSource', file, topic: 'eos-lines', 'batch.size': '50', 'exactly.once.support': 'required', 'transaction.boundary': 'interval', 'transaction.boundary.interval.ms': '300' } });
    return a.status === 409 && /rebalance|stale/.test(a.text) ? null : a;
  });
  expectStatus(created, 201, 'create source');

  const highWatermark = async (): Promise<number> => Number((await admin.fetchTopicOffsets('eos-lines'))[0]?.high ?? '0');
  type St = { tasks: { id: number; state: string; worker_id: string; trace?: string }[] };
  const statusVia = async (w: WorkerProcess): Promise<St> => (await http('GET', `${w.url}/connectors/eos-file/status`)).json as St;
  // Kill the task's worker once a part of the file is in the topic (well before all of it).
  const owner = await waitFor('the source task running', async () => {
    const task = (await statusVia(workers[0] as WorkerProcess)).tasks[0];
    if (task?.state === 'FAILED') assert.fail(`task FAILED: ${task.trace ?? ''}`);
    return task?.state === 'RUNNING' ? task.worker_id : null;
  }, 240_000);
  await waitFor('a part of the file produced', async () => (await highWatermark()) >= 2000, 240_000);
  const victim = workers.find((w) => w.id === owner);
  assert.ok(victim, `the task runs on ${owner}, one of ${workers.map((w) => w.id).join(', ')}`);
  const survivor = workers.find((w) => w !== victim) as WorkerProcess;
  await victim.kill();
  const atKill = await highWatermark();
  t.diagnostic(`killed ${victim.id} (SIGKILL) at high watermark ${atKill} of ${N} lines (plus transaction markers)`);
  assert.ok(atKill < N, `the kill came mid-stream (high watermark ${atKill} < ${N} lines)`);
  const movedAt = performance.now();
  await waitFor('the task RUNNING on the survivor', async () => {
    const task = (await statusVia(survivor)).tasks[0];
    if (task?.state === 'FAILED') assert.fail(`task FAILED: ${task.trace ?? ''}`);
    return task?.state === 'RUNNING' && task.worker_id === survivor.id;
  }, 120_000);
  t.diagnostic(`task moved to ${survivor.id} in ${Math.round(performance.now() - movedAt)} ms`);

  const last = `line-${N - 1}`;
  const committed = await readCommitted(kafka, 'eos-lines', (v) => v.includes(last));
  // One task, one partition, in order: everything before the last line is already in the list.
  assert.equal(committed.length, N, `read_committed saw ${committed.length} values for ${N} lines (${committed.length > N ? 'duplicates' : 'loss'})`);
  assert.deepEqual(committed, expected);
  // kcat (librdkafka) read_uncommitted to the end (run asynchronously: the broker is in this process).
  const uncommitted = (await promisify(execFile)('kcat', ['-C', '-b', suite.broker.bootstrap, '-t', 'eos-lines', '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_uncommitted', '-f', '%s\n'], { maxBuffer: 64 * 1024 * 1024 })).stdout.split('\n').filter((l) => l !== '');
  t.diagnostic(`read_uncommitted (kcat) saw ${uncommitted.length} values: ${uncommitted.length - N} from the transaction of the killed worker, aborted`);
  const offsets = (await http('GET', `${survivor.url}/connectors/eos-file/offsets`)).json as { offsets: { partition: unknown; offset: { position: number } }[] };
  assert.deepEqual(offsets.offsets.map((o) => o.offset.position), [expected.join('\n').length + 1]);
  await survivor.stop();
});

test('exactly-once settings: exactly.once.support=required and transaction.boundary are validated as Kafka does', { timeout: 120_000 }, async (t) => {
  const worker = await ConnectWorker.start({
    mode: 'distributed',
    bootstrap: [suite.broker.bootstrap],
    port: 0,
    workerConfig: { 'group.id': 'connect-eos-validate', 'exactly.once.source.support': 'enabled', 'config.storage.topic': 'eosv-configs', 'offset.storage.topic': 'eosv-offsets', 'status.storage.topic': 'eosv-status', 'config.storage.replication.factor': '1', 'offset.storage.replication.factor': '1', 'status.storage.replication.factor': '1', 'session.timeout.ms': '6000', 'heartbeat.interval.ms': '1000' },
    log: () => undefined,
  });
  t.after(() => worker.close());
  const post = (name: string, config: Record<string, string>): Promise<Awaited<ReturnType<typeof http>>> =>
    waitFor(`${name} answered`, async () => {
      const a = await http('POST', `${worker.url}/connectors`, { name, config });
      return a.status === 409 && /rebalance|stale/.test(a.text) ? null : a;
    });
  const base = { 'connector.class': 'FileStreamSource', file: join(suite.dir, 'none.txt'), topic: 'eosv' };
  const bad = await post('bad-boundary', { ...base, 'transaction.boundary': 'connector' });
  expectStatus(bad, 400, 'transaction.boundary=connector');
  assert.match(bad.text, /connector-defined transaction boundaries/);
  expectStatus(await post('bad-support', { ...base, 'exactly.once.support': 'sometimes' }), 400, 'exactly.once.support=sometimes');
  expectStatus(await post('good', { ...base, 'exactly.once.support': 'required', 'transaction.boundary': 'interval', 'transaction.boundary.interval.ms': '500' }), 201, 'a valid exactly-once source');
});

test('exactly-once source: a reconfigured connector fences its running task; one transaction per poll; every line once', { timeout: 300_000 }, async (t) => {
  const M = 3000;
  const file = join(suite.dir, 'reconf.txt');
  const expected = Array.from({ length: M }, (_, i) => `r-${i}`);
  writeFileSync(file, expected.join('\n') + '\n');
  const logs: string[] = [];
  const worker = await ConnectWorker.start({
    mode: 'distributed',
    bootstrap: [suite.broker.bootstrap],
    port: 0,
    workerConfig: { 'group.id': 'connect-eos-reconf', 'exactly.once.source.support': 'enabled', 'config.storage.topic': 'eosr-configs', 'offset.storage.topic': 'eosr-offsets', 'status.storage.topic': 'eosr-status', 'config.storage.replication.factor': '1', 'offset.storage.replication.factor': '1', 'status.storage.replication.factor': '1', 'session.timeout.ms': '6000', 'heartbeat.interval.ms': '1000', 'offset.flush.interval.ms': '60000', 'key.converter': 'org.apache.kafka.connect.storage.StringConverter', 'value.converter': 'org.apache.kafka.connect.storage.StringConverter' },
    log: (m) => logs.push(m),
  });
  t.after(() => worker.close());
  const kafka = new Kafka({ brokers: [suite.broker.bootstrap], clientId: 'connect-eos-reconf', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'eos-reconf', numPartitions: 1 }] });
  const config = (batch: string): Record<string, string> => ({ 'connector.class': 'FileStreamSource', file, topic: 'eos-reconf', 'batch.size': batch });
  const put = async (batch: string): Promise<void> => {
    const a = await waitFor('config written', async () => {
      const r = await http('PUT', `${worker.url}/connectors/reconf/config`, config(batch));
      return r.status === 409 ? null : r;
    });
    assert.ok(a.status === 200 || a.status === 201, `PUT config: ${a.status} ${a.text}`);
  };
  await put('5');
  await waitFor('a part of the file produced', async () => Number((await admin.fetchTopicOffsets('eos-reconf'))[0]?.high ?? '0') >= M / 10, 120_000);
  await put('7');
  const committed = await readCommitted(kafka, 'eos-reconf', (v) => v.includes(`r-${M - 1}`));
  assert.equal(committed.length, M, `read_committed saw ${committed.length} values for ${M} lines`);
  assert.deepEqual(committed, expected);
  const st = (await http('GET', `${worker.url}/connectors/reconf/status`)).json as { tasks: { state: string }[] };
  assert.deepEqual(st.tasks.map((x) => x.state), ['RUNNING']);
  t.diagnostic(logs.filter((l) => /fenced/.test(l)).join('; ') || 'the old task was stopped before the fence reached it');
});
