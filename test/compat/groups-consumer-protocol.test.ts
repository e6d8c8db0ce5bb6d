/**
 * KIP-848 consumer groups with librdkafka 2.12 (`group.protocol=consumer`; Debian's
 * python3-confluent-kafka loaded against the librdkafka scripts/build-librdkafka.mjs builds),
 * consumers in child processes, the broker a child process too (killed with SIGKILL):
 * - three members on a 12-partition topic get 4 partitions each (the server's uniform assignor);
 * - a fourth joins: exactly 3 partitions move to it, nothing else is revoked, and records keep
 *   flowing on the 9 untouched partitions while it joins; it leaves: only its 3 move back;
 * - no partition is ever owned by two members at once, and every record was consumed by its
 *   owner of the moment; no produced record is skipped;
 * - the broker is killed and restarted on the same data directory: the members carry on (the
 *   group is reloaded from `__consumer_offsets`), and once all records are consumed the
 *   committed offsets equal the log end offsets.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { CLI, removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { runProcess } from '../helpers/run-process.js';
import { modernLibrdkafkaEnv } from '../helpers/modern-librdkafka.js';
import { GroupConsumer, verifyGroup, waitForAssignment, waitUntil } from '../group/group-harness.js';

const TOPIC = 'kip848-topic';
const GROUP = 'kip848-group';
const PARTITIONS = 12;
const OVERRIDES = {
  'group.consumer.heartbeat.interval.ms': 500,
  'group.consumer.session.timeout.ms': 15000,
  'offsets.topic.num.partitions': 4,
};

let broker: BrokerProcess | null = null;
const consumers: GroupConsumer[] = [];

after(async () => {
  for (const c of consumers) await c.kill();
  await broker?.kill();
  if (broker) removeDir(broker.dataDir);
});

/** Produces one record per partition every 50 ms until stopped; returns the values sent. */
function startProducing(bootstrap: string, prefix: string): { stop(): Promise<string[]> } {
  const kafka = new Kafka({ clientId: 'kip848-producer', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer: Producer = kafka.producer();
  const sent: string[] = [];
  let running = true;
  const loop = (async () => {
    await producer.connect();
    for (let n = 0; running; n++) {
      const values = Array.from({ length: PARTITIONS }, (_, p) => `${prefix}-${n}-${p}`);
      await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value, partition) => ({ partition, value })) });
      sent.push(...values);
      await new Promise((r) => setTimeout(r, 50));
    }
    await producer.disconnect();
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return sent;
    },
  };
}

/** Each consumer's ownership intervals per partition, from its assign/revoke events (open ones end at `end`). */
function ownership(c: GroupConsumer, end: number): Map<number, [number, number][]> {
  const out = new Map<number, [number, number][]>();
  const since = new Map<number, number>();
  for (const e of c.events) {
    if (e.ev === 'assign') for (const p of e.parts ?? []) since.set(p, e.t);
    if (e.ev === 'revoke') {
      for (const p of e.parts ?? []) {
        const from = since.get(p);
        if (from === undefined) continue;
        since.delete(p);
        out.set(p, [...(out.get(p) ?? []), [from, e.t]]);
      }
    }
  }
  const last = c.alive ? end : (c.events[c.events.length - 1]?.t ?? end);
  for (const [p, from] of since) out.set(p, [...(out.get(p) ?? []), [from, last]]);
  return out;
}

function owners(cs: readonly GroupConsumer[]): Map<number, string> {
  const m = new Map<number, string>();
  for (const c of cs) if (c.alive) for (const p of c.assignment) m.set(p, c.id);
  return m;
}

function revokedBetween(c: GroupConsumer, from: number, to: number): number[] {
  return c.events.filter((e) => e.ev === 'revoke' && e.t >= from && e.t <= to).flatMap((e) => e.parts ?? []);
}

test('KIP-848 with librdkafka 2.12: balanced, incremental moves, exclusive ownership, offsets across a broker kill -9', { timeout: 240_000 }, async () => {
  const env = await modernLibrdkafkaEnv();
  broker = await startBrokerProcess({ overrides: OVERRIDES });
  const bootstrap = broker.bootstrap;
  const kafka = new Kafka({ clientId: 'kip848-admin', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  await admin.disconnect();

  const start = (id: string): GroupConsumer => {
    const c = GroupConsumer.start('confluent', { bootstrap, group: GROUP, topic: TOPIC, id, session: 15000, protocol: 'consumer' }, env);
    consumers.push(c);
    return c;
  };
  let producing = startProducing(bootstrap, 'a');
  const [a, b, c] = [start('a'), start('b'), start('c')];
  await waitForAssignment([a, b, c], PARTITIONS, [4, 4, 4], 60_000);

  // A fourth member joins: only the partitions it gets move.
  const before = owners([a, b, c]);
  const joinAt = Date.now();
  const d = start('d');
  await waitForAssignment([a, b, c, d], PARTITIONS, [3, 3, 3, 3], 60_000);
  const joinedAt = Date.now();
  const after4 = owners([a, b, c, d]);
  const moved = [...after4].filter(([p, o]) => before.get(p) !== o).map(([p]) => p);
  assert.deepEqual(moved.sort((x, y) => x - y), [...d.assignment].sort((x, y) => x - y), 'only the partitions the new member got moved');
  const untouched = [...Array(PARTITIONS).keys()].filter((p) => !moved.includes(p));
  for (const m of [a, b, c]) {
    const revoked = revokedBetween(m, joinAt, joinedAt);
    assert.ok(revoked.every((p) => moved.includes(p)), `${m.id} revoked only partitions that moved: ${revoked.join(',')}`);
  }
  // Records kept flowing on the untouched partitions while the fourth member joined.
  await waitUntil(() => Date.now() > joinedAt + 300, 5_000, () => 'a moment');
  const flowing = [a, b, c].flatMap((m) => m.records().filter((r) => r.t >= joinAt && r.t <= joinedAt + 300 && untouched.includes(r.p as number)));
  assert.ok(flowing.length > 0, `records consumed on untouched partitions during the join (join took ${joinedAt - joinAt} ms)`);

  // It leaves: its partitions go back, nothing else moves.
  const leaveAt = Date.now();
  await d.stop();
  await waitForAssignment([a, b, c], PARTITIONS, [4, 4, 4], 60_000);
  const leftAt = Date.now();
  for (const m of [a, b, c]) assert.deepEqual(revokedBetween(m, leaveAt, leftAt), [], `${m.id} revoked nothing when d left`);
  const after3 = owners([a, b, c]);
  for (const p of untouched) assert.equal(after3.get(p), after4.get(p), `partition ${p} stayed with its owner`);

  // `samsa groups` shows the group's type, and its members with their assignments (ConsumerGroupDescribe).
  const listed = await runProcess(process.execPath, [CLI, 'groups', '--list', '--json', '--bootstrap-server', bootstrap], { timeoutMs: 30_000 });
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual((JSON.parse(listed.stdout.toString('utf8')) as { group: string; type: string }[]).find((g) => g.group === GROUP)?.type, 'consumer');
  const members = await runProcess(process.execPath, [CLI, 'groups', '--describe', '--group', GROUP, '--members', '--json', '--bootstrap-server', bootstrap], { timeoutMs: 30_000 });
  assert.equal(members.code, 0, members.stderr);
  const described = JSON.parse(members.stdout.toString('utf8')) as { type: string; state: string; members: { clientId: string; assignment: { topic: string; partitions: number[] }[] }[] };
  assert.equal(described.type, 'consumer');
  assert.deepEqual(described.members.map((m) => m.clientId).sort(), ['a', 'b', 'c']);
  assert.deepEqual(described.members.flatMap((m) => m.assignment.flatMap((t) => t.partitions)).sort((x, y) => x - y), [...Array(PARTITIONS).keys()]);

  // The broker is killed and restarted on the same data directory and port.
  const sentBeforeKill = await producing.stop();
  await broker.kill();
  broker = await startBrokerProcess({ dataDir: broker.dataDir, port: broker.port, overrides: OVERRIDES });
  producing = startProducing(bootstrap, 'b');
  await waitUntil(() => [a, b, c].some((m) => m.records().some((r) => (r.v as string).startsWith('b-'))), 60_000, () => `records after the restart; ${[a, b, c].map((m) => m.describe()).join('\n')}`);
  const sentAfter = await producing.stop();
  const sent = [...sentBeforeKill, ...sentAfter];
  await waitUntil(
    () => {
      const got = new Set([a, b, c, d].flatMap((m) => m.records().map((r) => r.v as string)));
      return sent.every((v) => got.has(v));
    },
    60_000,
    () => `all ${sent.length} records consumed; ${[a, b, c].map((m) => m.describe()).join('\n')}`,
  );

  // Nothing skipped; no partition owned by two members at once; records read by their owner.
  const all = [a, b, c, d];
  const end = Date.now();
  const intervals = all.map((m) => ({ m, own: ownership(m, end) }));
  for (let p = 0; p < PARTITIONS; p++) {
    const spans = intervals.flatMap(({ m, own }) => (own.get(p) ?? []).map(([s, e]) => ({ id: m.id, s, e }))).sort((x, y) => x.s - y.s);
    for (let i = 1; i < spans.length; i++) {
      const prev = spans[i - 1] as { id: string; s: number; e: number };
      const cur = spans[i] as { id: string; s: number; e: number };
      if (prev.id !== cur.id) assert.ok(cur.s >= prev.e, `partition ${p} owned by ${prev.id} until ${prev.e} and by ${cur.id} from ${cur.s}`);
    }
  }
  for (const { m, own } of intervals) {
    for (const r of m.records()) {
      const spans = own.get(r.p as number) ?? [];
      assert.ok(spans.some(([s, e]) => r.t >= s && r.t <= e), `${m.id} read partition ${r.p} offset ${r.o} at ${r.t} while owning it`);
    }
  }
  const verdict = verifyGroup(all);
  if (verdict.violations.length > 0) {
    const p = Number(/partition (\d+)/.exec(verdict.violations[0] as string)?.[1] ?? 0);
    const trace = all.flatMap((m) => m.events.filter((e) => e.ev !== 'rec' || e.p === p).filter((e) => e.ev !== 'commit' || String(p) in (e.offs ?? {})).map((e) => `${e.t.toFixed(1)} ${m.id} ${e.ev} ${JSON.stringify(e.parts ?? e.offs?.[String(p)] ?? e.o ?? '')}`));
    console.log(`partition ${p} timeline:\n${trace.sort().slice(0, 200).join('\n')}`);
  }
  assert.deepEqual(verdict.violations, [], 'no committed record delivered again');

  // Once the members commit their last records, the committed offsets are the log end offsets.
  const admin2 = new Kafka({ clientId: 'kip848-admin2', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin2.connect();
  try {
    const ends = new Map((await admin2.fetchTopicOffsets(TOPIC)).map((o) => [o.partition, o.offset]));
    let committed = new Map<number, string>();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const offs = await admin2.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
      committed = new Map((offs[0]?.partitions ?? []).map((o) => [o.partition, o.offset]));
      if ([...ends].every(([p, o]) => committed.get(p) === o) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(Object.fromEntries(committed), Object.fromEntries(ends), 'committed offsets equal the log end offsets');
    const groups = await admin2.listGroups();
    assert.deepEqual(groups.groups.filter((g) => g.groupId === GROUP), [{ groupId: GROUP, protocolType: 'consumer' }]);
  } finally {
    await admin2.disconnect();
  }
  for (const m of [a, b, c]) await m.stop();
  console.log(
    `KIP-848 (librdkafka 2.12): join of a 4th member took ${joinedAt - joinAt} ms (${flowing.length} records consumed meanwhile on the 9 untouched partitions), ` +
      `leave ${leftAt - leaveAt} ms; ${sent.length} records produced, ${verdict.consumed.size} consumed, ${verdict.duplicates} redelivered (after the broker kill)`,
  );
});
