/**
 * Issue 11 item 9: `samsa groups` as kafka-consumer-groups.sh. A kafkajs consumer group commits
 * offsets; `--reset-offsets` (every spec, dry run by default, --execute) moves them and the
 * kafkajs group resumes from the new offsets; --describe --state/--members --verbose/--offsets,
 * --all-groups, --delete-offsets, --delete, `groups list`, `-b`, and an unknown group.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { assertOk, samsaCli, waitFor } from '../helpers/samsa-cli.js';
import { createTopicWithRecords } from '../helpers/kafkajs-setup.js';

const { Kafka, logLevel } = kafkajs;
let broker: RunningBroker;
let kafka: InstanceType<typeof Kafka>;
const TOPIC = 'reset-me';

before(async () => {
  broker = await startBroker({ port: 0, config: { 'offsets.topic.num.partitions': 3, 'group.initial.rebalance.delay.ms': 0 } });
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'cli-groups', logLevel: logLevel.NOTHING });
  await createTopicWithRecords(kafka, TOPIC, 2, Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `v${i}` })));
});

after(async () => {
  await broker?.stop();
});

/** Runs a kafkajs group member until it has read `count` records (committing them), then leaves. */
async function readWithGroup(group: string, count: number, whileRunning?: () => Promise<void>): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 6000, heartbeatInterval: 500 });
  const got: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ partition, message }) => void got.push(`${partition}:${message.offset}:${message.value?.toString()}`) });
    await waitFor(`${count} records for ${group}`, async () => (got.length >= count ? true : undefined));
    if (whileRunning) await whileRunning();
  } finally {
    await consumer.disconnect();
  }
  return got;
}

const b = (): string[] => ['-b', broker.bootstrap];

test('reset-offsets: dry run by default, --execute commits, the kafkajs group resumes from the new offsets', { timeout: 90_000 }, async () => {
  await readWithGroup('g-reset', 10, async () => {
    // A live group cannot be reset (Kafka: the group must be inactive).
    const live = await samsaCli(['groups', '--reset-offsets', '--group', 'g-reset', '--topic', TOPIC, '--to-earliest', '--execute', ...b()]);
    assert.equal(live.code, 1, live.stderr);
    assert.match(live.stderr, /can only be reset if the group 'g-reset' is inactive, but the current state is Stable/);
    const members = await samsaCli(['groups', 'describe', '--group', 'g-reset', '--members', '--verbose', ...b()]);
    assertOk(members, 'describe --members --verbose');
    assert.match(members.stdout, /GROUP\s+CONSUMER-ID\s+GROUP-INSTANCE-ID\s+HOST\s+CLIENT-ID\s+#PARTITIONS\s+ASSIGNMENT/);
    assert.match(members.stdout, /g-reset\s+cli-groups-\S+\s+-\s+\S+\s+cli-groups\s+2\s+reset-me\(0,1\)/);
    const state = await samsaCli(['groups', '--describe', '--group', 'g-reset', '--state', ...b()]);
    assertOk(state, 'describe --state');
    assert.match(state.stdout, /g-reset\s+127\.0\.0\.1:\d+ \(1\)\s+\S+\s+Stable\s+1/);
  });
  let r = await samsaCli(['groups', '--describe', '--group', 'g-reset', '--offsets', '--json', ...b()]);
  assertOk(r, 'describe --offsets');
  const d = JSON.parse(r.stdout) as { partitions: { partition: number; committedOffset: number; lag: number }[] };
  assert.deepEqual(d.partitions.map((p) => [p.partition, p.committedOffset, p.lag]), [[0, 5, 0], [1, 5, 0]]);

  const plan = async (...spec: string[]): Promise<[number, number][]> => {
    const out = await samsaCli(['groups', '--reset-offsets', '--group', 'g-reset', ...spec, '--json', ...b()]);
    assertOk(out, `reset ${spec.join(' ')}`);
    return (JSON.parse(out.stdout) as { partition: number; offset: number }[]).map((p) => [p.partition, p.offset]);
  };
  assert.deepEqual(await plan('--topic', TOPIC, '--to-earliest'), [[0, 0], [1, 0]]);
  assert.deepEqual(await plan('--topic', TOPIC, '--to-latest', '--dry-run'), [[0, 5], [1, 5]]);
  assert.deepEqual(await plan('--topic', `${TOPIC}:1`, '--to-offset', '3'), [[1, 3]]);
  assert.deepEqual(await plan('--topic', TOPIC, '--to-offset', '99'), [[0, 5], [1, 5]]);
  assert.deepEqual(await plan('--all-topics', '--shift-by', '-2'), [[0, 3], [1, 3]]);
  assert.deepEqual(await plan('--all-topics', '--to-current'), [[0, 5], [1, 5]]);
  assert.deepEqual(await plan('--topic', TOPIC, '--by-duration', 'PT1H'), [[0, 0], [1, 0]]);
  assert.deepEqual(await plan('--topic', TOPIC, '--to-datetime', new Date(Date.now() + 3_600_000).toISOString()), [[0, 5], [1, 5]]);
  assert.deepEqual(await plan('--topic', TOPIC, '--to-datetime', '2000-01-01T00:00:00.000'), [[0, 0], [1, 0]]);

  r = await samsaCli(['groups', '--reset-offsets', '--group', 'g-reset', '--topic', TOPIC, '--to-earliest', ...b()]);
  assertOk(r, 'dry run');
  assert.match(r.stderr, /No action will be performed as the --execute option is missing/);
  assert.match(r.stdout, /GROUP\s+TOPIC\s+PARTITION\s+NEW-OFFSET\n\s*g-reset\s+reset-me\s+0\s+0/);
  r = await samsaCli(['groups', '--describe', '--group', 'g-reset', '--json', ...b()]);
  assert.deepEqual((JSON.parse(r.stdout) as { partitions: { committedOffset: number }[] }).partitions.map((p) => p.committedOffset), [5, 5], 'dry run committed nothing');

  r = await samsaCli(['groups', '--reset-offsets', '--group', 'g-reset', '--topic', `${TOPIC}:0`, '--to-offset', '3', '--execute', ...b()]);
  assertOk(r, 'execute');
  // The group resumes from offset 3 on partition 0: records 3 and 4 there are read again.
  const again = await readWithGroup('g-reset', 2);
  assert.deepEqual(again.sort(), ['0:3:v6', '0:4:v8']);
});

test('groups list, --all-groups, --delete-offsets, --delete and an unknown group', { timeout: 90_000 }, async () => {
  await readWithGroup('g-del', 10);
  let r = await samsaCli(['groups', 'list', ...b()]);
  assertOk(r, 'groups list');
  assert.match(r.stdout, /^GROUP\s+TYPE\s+STATE\s+PROTOCOL-TYPE\n/);
  assert.match(r.stdout, /\ng-del\s+classic\s+Empty\s+consumer/);

  r = await samsaCli(['groups', '--describe', '--all-groups', '--json', ...b()]);
  assertOk(r, 'describe --all-groups');
  assert.ok((JSON.parse(r.stdout) as { group: string }[]).some((g) => g.group === 'g-del'));

  r = await samsaCli(['groups', '--delete-offsets', '--group', 'g-del', '--topic', `${TOPIC}:1`, ...b()]);
  assertOk(r, 'delete-offsets');
  assert.match(r.stdout, /reset-me\s+1\s+Successful/);
  r = await samsaCli(['groups', '--describe', '--group', 'g-del', '--json', ...b()]);
  assert.deepEqual((JSON.parse(r.stdout) as { partitions: { partition: number }[] }).partitions.map((p) => p.partition), [0]);

  r = await samsaCli(['groups', '--describe', '--group', 'no-such-group', ...b()]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Consumer group 'no-such-group' does not exist/);
  assert.doesNotMatch(r.stdout + r.stderr, /Dead/);

  r = await samsaCli(['groups', '--delete', '--group', 'g-del', ...b()]);
  assertOk(r, 'delete');
  assert.match(r.stdout, /Deletion of requested consumer groups \('g-del'\) was successful/);
  r = await samsaCli(['groups', '--list', '--json', ...b()]);
  assert.equal((JSON.parse(r.stdout) as { group: string }[]).some((g) => g.group === 'g-del'), false);
  r = await samsaCli(['groups', '--delete', '--group', 'g-del', ...b()]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Group 'g-del' could not be deleted: it does not exist/);
});
