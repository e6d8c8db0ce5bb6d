/**
 * Issue 11 item 10: no stack traces on expected failures (broker down → "Cannot connect to ...",
 * `samsa consume ... | head -1` exits quietly on EPIPE); `samsa produce` to a missing topic follows
 * the broker's auto.create.topics.enable; `samsa consume` keeps going through a broker restart;
 * --isolation-level / --consumer-property / --producer-property; --include REGEX.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { CLI, removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { runProcess } from '../helpers/run-process.js';
import { assertOk, samsaCli, waitFor } from '../helpers/samsa-cli.js';

const { Kafka, logLevel } = kafkajs;
let broker: RunningBroker;
let noAuto: RunningBroker;
let kafka: InstanceType<typeof Kafka>;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'transaction.state.log.num.partitions': 2 } });
  noAuto = await startBroker({ port: 0, config: { 'auto.create.topics.enable': false } });
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'cli-robust', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: ['many', 'inc-a', 'inc-b', 'other', 'tx'].map((topic) => ({ topic, numPartitions: 1 })) });
  await admin.disconnect();
});

after(async () => {
  await broker?.stop();
  await noAuto?.stop();
});

const STACK = /^\s+at .+\(.*:\d+:\d+\)$|^\s+at file:/m;

test('a broker that is down: every command says "Cannot connect to ..." without a stack trace', async () => {
  for (const args of [['groups', '--list'], ['groups', '--describe', '--group', 'g'], ['topics', 'describe'], ['cluster'], ['transactions', 'list'], ['log-dirs']]) {
    const r = await samsaCli([...args, '--bootstrap-server', '127.0.0.1:1', '--timeout', '2000']);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /Cannot connect to the cluster at 127\.0\.0\.1:1/, args.join(' '));
    assert.doesNotMatch(r.stderr, STACK, `${args.join(' ')} printed a stack trace:\n${r.stderr}`);
  }
});

test('samsa consume ... | head -1 exits quietly when head closes the pipe', async () => {
  const lines = Array.from({ length: 20_000 }, (_, i) => `line-${i}-${'x'.repeat(50)}`).join('\n') + '\n';
  assertOk(await samsaCli(['produce', '--topic', 'many'], { bootstrap: broker.bootstrap, input: lines }), 'produce');
  const script = `"${process.execPath}" "${CLI}" consume --topic many --from-beginning --timeout-ms 5000 --bootstrap-server ${broker.bootstrap} | head -1; exit \${PIPESTATUS[0]}`;
  const r = await runProcess('bash', ['-c', script], { timeoutMs: 30_000 });
  assert.equal(r.timedOut, false);
  assert.equal(r.stdout.toString().trim(), `line-0-${'x'.repeat(50)}`);
  assert.doesNotMatch(r.stderr, /EPIPE|Error/, r.stderr);
  assert.doesNotMatch(r.stderr, STACK, r.stderr);
  assert.equal(r.code, 0, `samsa consume exited ${r.code}: ${r.stderr}`);
});

test('samsa produce to a missing topic follows auto.create.topics.enable', async () => {
  let r = await samsaCli(['produce', '--topic', 'auto-made'], { bootstrap: broker.bootstrap, input: 'hello\n' });
  assertOk(r, 'produce with auto-create on');
  r = await samsaCli(['consume', '--topic', 'auto-made', '--from-beginning', '--max-messages', '1'], { bootstrap: broker.bootstrap });
  assertOk(r, 'consume');
  assert.equal(r.stdout, 'hello\n');

  r = await samsaCli(['produce', '--topic', 'not-made'], { bootstrap: noAuto.bootstrap, input: 'hello\n' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not-made/);
  assert.match(r.stderr, /hint:/);
});

test('--include REGEX consumes several topics; --producer-property and --consumer-property', async () => {
  assertOk(await samsaCli(['produce', '--topic', 'inc-a', '--producer-property', 'acks=1', '--producer-property', 'compression.type=gzip'], { bootstrap: broker.bootstrap, input: 'a1\n' }), 'produce a');
  const r0 = await samsaCli(['produce', '--topic', 'inc-b', '--producer-property', 'buffer.memory=1'], { bootstrap: broker.bootstrap, input: 'b1\n' });
  assertOk(r0, 'produce b');
  assert.match(r0.stderr, /WARN: the producer property 'buffer.memory' is not used/);
  assertOk(await samsaCli(['produce', '--topic', 'other'], { bootstrap: broker.bootstrap, input: 'o1\n' }), 'produce other');
  const r = await samsaCli(['consume', '--include', 'inc-.*', '--consumer-property', 'auto.offset.reset=earliest', '--max-messages', '2', '--json'], { bootstrap: broker.bootstrap });
  assertOk(r, 'consume --include');
  const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { topic: string; value: string });
  assert.deepEqual(got.map((x) => `${x.topic}:${x.value}`).sort(), ['inc-a:a1', 'inc-b:b1']);
});

test('--isolation-level read_committed hides an open kafkajs transaction; read_uncommitted (the default) shows it', { timeout: 60_000 }, async () => {
  const producer = kafka.producer({ transactionalId: 'cli-iso', idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const tx = await producer.transaction();
    await tx.send({ topic: 'tx', messages: [{ value: 'uncommitted' }] });
    let r = await samsaCli(['consume', '--topic', 'tx', '--from-beginning', '--timeout-ms', '1500'], { bootstrap: broker.bootstrap });
    assertOk(r, 'read_uncommitted');
    assert.equal(r.stdout, 'uncommitted\n');
    r = await samsaCli(['consume', '--topic', 'tx', '--from-beginning', '--timeout-ms', '1500', '--isolation-level', 'read_committed'], { bootstrap: broker.bootstrap });
    assertOk(r, 'read_committed');
    assert.equal(r.stdout, '');
    r = await samsaCli(['consume', '--topic', 'tx', '--from-beginning', '--timeout-ms', '1500', '--consumer-property', 'isolation.level=read_committed'], { bootstrap: broker.bootstrap });
    assert.equal(r.stdout, '');
    await tx.commit();
    r = await samsaCli(['consume', '--topic', 'tx', '--from-beginning', '--max-messages', '1', '--isolation-level', 'read_committed'], { bootstrap: broker.bootstrap });
    assert.equal(r.stdout, 'uncommitted\n');
  } finally {
    await producer.disconnect();
  }
});

test('samsa consume keeps reading through a broker restart', { timeout: 90_000 }, async () => {
  let bp: BrokerProcess = await startBrokerProcess();
  const { dataDir, port } = bp;
  try {
    assertOk(await samsaCli(['topics', 'create', '--topic', 'restart'], { bootstrap: bp.bootstrap }), 'create');
    assertOk(await samsaCli(['produce', '--topic', 'restart'], { bootstrap: bp.bootstrap, input: 'before\n' }), 'produce before');
    const child = spawn(process.execPath, [CLI, 'consume', '--topic', 'restart', '--from-beginning', '--max-messages', '2', '--bootstrap-server', bp.bootstrap], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    try {
      await waitFor('the first record', async () => (out.includes('before\n') ? true : undefined));
      await bp.stop();
      await waitFor('the consumer to notice', async () => (err.includes('reconnecting') ? true : undefined));
      bp = await startBrokerProcess({ dataDir, port });
      assertOk(await samsaCli(['produce', '--topic', 'restart'], { bootstrap: bp.bootstrap, input: 'after\n' }), 'produce after');
      const code = await Promise.race([exited, new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), 30_000))]);
      assert.equal(code, 0, `consume exited ${code}\n${err}`);
      assert.equal(out, 'before\nafter\n');
      assert.doesNotMatch(err, STACK);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  } finally {
    await bp.kill();
    removeDir(dataDir);
  }
});
