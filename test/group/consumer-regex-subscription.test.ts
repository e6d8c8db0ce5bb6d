/**
 * KIP-848 regular expression subscriptions (ConsumerGroupHeartbeat v1 SubscribedTopicRegex) as
 * Kafka evaluates them: RE2/J syntax matched against whole topic names, invalid patterns refused
 * with INVALID_REGULAR_EXPRESSION, and a pattern that would backtrack catastrophically in a
 * backtracking engine answered promptly without stalling other connections (the broker runs as a
 * child process, so a stalled broker cannot stall the test's own timers).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { MAX_TOPIC_REGEX_LENGTH, TopicRegexes } from '../../src/group/consumer/topic-regex.js';
import { KafkaError } from '../../src/common/kafka-error.js';
import { WireClient, waitFor } from '../helpers/wire.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { modernLibrdkafkaEnv } from '../helpers/modern-librdkafka.js';
import { GroupConsumer, waitUntil } from './group-harness.js';

let broker: RunningBroker;
let wire: WireClient;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'offsets.topic.num.partitions': 1 } });
  wire = await WireClient.connect(broker.port);
  for (const t of ['rx-alpha', 'rx-beta', 'rx-9', 'other']) assert.equal(await wire.createTopic(t, 1), ErrorCode.NONE);
});

after(async () => {
  wire?.close();
  await broker?.stop();
});

interface Answer {
  errorCode: number;
  errorMessage: string | null;
  memberEpoch: number;
  assignment: { topicPartitions: { topicId: string; partitions: number[] }[] } | null;
}

function join(w: WireClient, groupId: string, regex: string, timeoutMs = 15_000): Promise<Answer> {
  return w.request<Answer>(
    68,
    1,
    {
      groupId,
      memberId: `m-${groupId}`,
      memberEpoch: 0,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: 5000,
      subscribedTopicNames: null,
      subscribedTopicRegex: regex,
      serverAssignor: null,
      topicPartitions: [],
    },
    timeoutMs,
  );
}

async function assignedNames(w: WireClient, a: Answer): Promise<string[]> {
  const md = await w.metadata(null);
  const byId = new Map<string, string>((md.topics as { topicId: string; name: string }[]).map((t) => [t.topicId, t.name]));
  return (a.assignment?.topicPartitions ?? []).map((t) => byId.get(t.topicId) ?? t.topicId).sort();
}

test('regex subscriptions use RE2/J syntax: inline flags, POSIX classes and \\Q..\\E quoting match whole topic names', async () => {
  const flags = await join(wire, 'rx-g1', '(?i)RX-[[:alpha:]]+');
  assert.equal(flags.errorCode, ErrorCode.NONE, `RE2 inline flags and POSIX classes are accepted: ${flags.errorMessage ?? ''}`);
  assert.deepEqual(await assignedNames(wire, flags), ['rx-alpha', 'rx-beta']);

  const quoted = await join(wire, 'rx-g2', '\\Qrx-9\\E');
  assert.equal(quoted.errorCode, ErrorCode.NONE, `RE2 \\Q..\\E quoting is accepted: ${quoted.errorMessage ?? ''}`);
  assert.deepEqual(await assignedNames(wire, quoted), ['rx-9']);

  const partial = await join(wire, 'rx-g3', 'rx');
  assert.equal(partial.errorCode, ErrorCode.NONE);
  assert.deepEqual(await assignedNames(wire, partial), [], 'a pattern matches the whole name, not a part of it');
});

test('patterns RE2 refuses (lookbehind, backreferences, too long) are INVALID_REGULAR_EXPRESSION', async () => {
  for (const bad of ['(?<=rx)-alpha', '(rx)-\\1', 'rx-(', 'x'.repeat(MAX_TOPIC_REGEX_LENGTH + 1)]) {
    const a = await join(wire, 'rx-bad', bad);
    assert.equal(a.errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION, `${bad.slice(0, 20)} is refused`);
    assert.match(a.errorMessage ?? '', /SubscribedTopicRegex .*is not a valid regular expression/);
  }
  const d = await wire.request<{ groups: { errorCode: number }[] }>(69, 0, { groupIds: ['rx-bad'], includeAuthorizedOperations: false });
  assert.equal(d.groups[0]?.errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'no member was admitted');
});

test('the compiled patterns are a bounded LRU per coordinator; internal topics never match', () => {
  const r = new TopicRegexes(2);
  r.validate('a.*');
  r.validate('b.*');
  r.validate('a.*');
  r.validate('c.*');
  assert.equal(r.size, 2);
  assert.deepEqual([...r.matching('a.*', ['ab', 'ba', '__a'])], ['ab'], 'internal topics never match');
  assert.throws(() => r.validate('(?<!a)b'), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INVALID_REGULAR_EXPRESSION);
});

test('a catastrophic-backtracking pattern over many long topic names answers promptly and does not stall other connections', { timeout: 180_000 }, async () => {
  let proc: BrokerProcess | undefined;
  const clients: WireClient[] = [];
  try {
    proc = await startBrokerProcess({ overrides: { 'offsets.topic.num.partitions': 1 } });
    const admin = await WireClient.connect(proc.port);
    clients.push(admin);
    // Names of 200+ 'a's then a non-'a': `(a+)+$` backtracks exponentially on each in a backtracking engine.
    const names = Array.from({ length: 40 }, (_, i) => `${'a'.repeat(200 + i)}-x`);
    const created = await admin.request<{ topics: { errorCode: number }[] }>(19, 7, {
      topics: names.map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })),
      timeoutMs: 30_000,
      validateOnly: false,
    }, 60_000);
    assert.ok(created.topics.every((t) => t.errorCode === ErrorCode.NONE));
    const member = await WireClient.connect(proc.port);
    const other = await WireClient.connect(proc.port);
    clients.push(member, other);
    const started = performance.now();
    const heartbeat = join(member, 'rx-evil', '(a+)+$', 30_000).then((a) => ({ a, ms: performance.now() - started }));
    // Meanwhile another connection keeps being answered.
    const pings: number[] = [];
    const pinging = (async () => {
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await other.apiVersions();
        pings.push(performance.now() - t);
      }
    })();
    const [{ a, ms }] = await Promise.all([heartbeat, pinging]);
    assert.equal(a.errorCode, ErrorCode.NONE);
    assert.deepEqual(a.assignment?.topicPartitions ?? [], [], 'no name matches (a trailing -x)');
    const worstPing = Math.max(...pings);
    console.log(`catastrophic pattern over ${names.length} topics: heartbeat answered in ${ms.toFixed(0)} ms; ApiVersions on another connection meanwhile: worst ${worstPing.toFixed(0)} ms`);
    // Liveness bounds only (the backtracking engine never answers).
    assert.ok(ms < 20_000, `heartbeat answered in ${ms.toFixed(0)} ms`);
    assert.ok(worstPing < 10_000, `other connection answered within ${worstPing.toFixed(0)} ms`);
  } finally {
    for (const c of clients) c.close();
    if (proc !== undefined) {
      await proc.kill();
      removeDir(proc.dataDir);
    }
  }
});

test('librdkafka 2.12 (group.protocol=consumer) subscribing with an RE2 pattern gets the matching topics', { timeout: 600_000 }, async () => {
  const env = await modernLibrdkafkaEnv();
  // POSIX classes are RE2 (and librdkafka's own regex) syntax; JavaScript's RegExp refuses `[[:alpha:]]`.
  const consumer = GroupConsumer.start('confluent', { bootstrap: broker.bootstrap, group: 'rx-librdkafka', topic: '^rx-[[:alpha:]]+', id: 'rx-c', session: 15000, protocol: 'consumer' }, env);
  try {
    type Described = { groups: { errorCode: number; members: { subscribedTopicRegex: string | null; assignment: { topicPartitions: { topicName: string }[] } }[] }[] };
    let last: Described | undefined;
    const assigned = (): string[] => (last?.groups[0]?.members[0]?.assignment.topicPartitions ?? []).map((t) => t.topicName).sort();
    await waitFor(async () => {
      last = await wire.request<Described>(69, 0, { groupIds: ['rx-librdkafka'], includeAuthorizedOperations: false });
      return assigned().length === 2 || undefined;
    }, 60_000, 'the librdkafka member assigned the two rx-<letters> topics', 200).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}: ${JSON.stringify(last)}\n${consumer.describe()}`);
    });
    console.log(`librdkafka sent SubscribedTopicRegex ${JSON.stringify(last?.groups[0]?.members[0]?.subscribedTopicRegex)}`);
    assert.deepEqual(assigned(), ['rx-alpha', 'rx-beta']);
    await waitUntil(() => consumer.events.some((e) => e.ev === 'assign'), 30_000, () => `the consumer saw its assignment\n${consumer.describe()}`);
  } finally {
    await consumer.stop();
  }
});
