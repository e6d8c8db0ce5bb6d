/**
 * DescribeClientQuotas / AlterClientQuotas against a broker over TCP: Kafka's validation (entry by
 * entry), filters (exact, default, any, strict), validate-only and removal, persistence in the local
 * metadata across a restart, `samsa quotas` (kafka-configs.sh flags), and enforcement for the
 * principal User:ANONYMOUS (user quotas) and for request_percentage.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { assertOk, samsaCli } from '../helpers/samsa-cli.js';
import { WireClient, withClient } from '../helpers/wire.js';

type Entity = { entityType: string; entityName: string | null }[];
type Op = { key: string; value: number; remove: boolean };
interface AlterRes {
  throttleTimeMs: number;
  entries: { errorCode: number; errorMessage: string | null; entity: Entity }[];
}
interface DescribeRes {
  errorCode: number;
  errorMessage: string | null;
  entries: { entity: Entity; values: { key: string; value: number }[] }[] | null;
}

const INVALID_REQUEST = 42;
let dataDir: string;
let broker: RunningBroker;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'samsa-quotas-'));
  broker = await startBroker({ port: 0, dataDir, config: { 'num.partitions': 1 } });
});

after(async () => {
  await broker?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const alter = (c: WireClient, entries: { entity: Entity; ops: Op[] }[], validateOnly = false, version = 1): Promise<AlterRes> => c.request<AlterRes>(49, version, { entries, validateOnly });
const describe = (c: WireClient, components: { entityType: string; matchType: number; match: string | null }[], strict = false, version = 1): Promise<DescribeRes> => c.request<DescribeRes>(48, version, { components, strict });
const set = (key: string, value: number): Op => ({ key, value, remove: false });
const user = (name: string | null): { entityType: string; entityName: string | null } => ({ entityType: 'user', entityName: name });
const client = (name: string | null): { entityType: string; entityName: string | null } => ({ entityType: 'client-id', entityName: name });

function summary(r: DescribeRes): string[] {
  return (r.entries ?? []).map((e) => `${e.entity.map((p) => `${p.entityType}=${p.entityName ?? '<default>'}`).join(',')}: ${e.values.map((v) => `${v.key}=${v.value}`).sort().join(',')}`).sort();
}

test('AlterClientQuotas validates each entry on its own, as Kafka does; DescribeClientQuotas filters', async () => {
  await withClient(broker.port, async (c) => {
    const r = await alter(c, [
      { entity: [client('app1')], ops: [set('producer_byte_rate', 1024), set('request_percentage', 12.5)] },
      { entity: [user('alice'), client('app1')], ops: [set('consumer_byte_rate', 2048)] },
      { entity: [user(null)], ops: [set('consumer_byte_rate', 4096)] },
      { entity: [client(null)], ops: [set('producer_byte_rate', 100)] },
      { entity: [client('bad')], ops: [set('no_such_quota', 1)] },
      { entity: [client('bad')], ops: [set('producer_byte_rate', 10.5)] },
      { entity: [client('bad')], ops: [set('producer_byte_rate', -1)] },
      { entity: [client('a'), client('b')], ops: [set('producer_byte_rate', 1)] },
      // ip entities take connection_creation_rate only, stand alone, and name an address (connection-quotas-ip.test.ts).
      { entity: [{ entityType: 'ip', entityName: '1.2.3.4' }], ops: [set('producer_byte_rate', 1)] },
      { entity: [], ops: [set('producer_byte_rate', 1)] },
    ]);
    assert.deepEqual(r.entries.map((e) => e.errorCode), [0, 0, 0, 0, INVALID_REQUEST, INVALID_REQUEST, INVALID_REQUEST, INVALID_REQUEST, INVALID_REQUEST, INVALID_REQUEST]);
    assert.deepEqual(r.entries[1]?.entity, [user('alice'), client('app1')], 'each answer names its entity');
    assert.match(r.entries[4]?.errorMessage ?? '', /no_such_quota/);

    const all = await describe(c, []);
    assert.equal(all.errorCode, 0);
    assert.deepEqual(summary(all), [
      'client-id=<default>: producer_byte_rate=100',
      'client-id=app1: producer_byte_rate=1024,request_percentage=12.5',
      'user=<default>: consumer_byte_rate=4096',
      'user=alice,client-id=app1: consumer_byte_rate=2048',
    ]);
    // EXACT client app1: both entities that name it; strict: only the client-only one.
    assert.deepEqual(summary(await describe(c, [{ entityType: 'client-id', matchType: 0, match: 'app1' }])), ['client-id=app1: producer_byte_rate=1024,request_percentage=12.5', 'user=alice,client-id=app1: consumer_byte_rate=2048']);
    assert.deepEqual(summary(await describe(c, [{ entityType: 'client-id', matchType: 0, match: 'app1' }], true)), ['client-id=app1: producer_byte_rate=1024,request_percentage=12.5']);
    // DEFAULT and ANY (specified names only).
    assert.deepEqual(summary(await describe(c, [{ entityType: 'user', matchType: 1, match: null }])), ['user=<default>: consumer_byte_rate=4096']);
    assert.deepEqual(summary(await describe(c, [{ entityType: 'user', matchType: 2, match: null }])), ['user=alice,client-id=app1: consumer_byte_rate=2048']);
    // A bad filter: INVALID_REQUEST, no entries.
    const bad = await describe(c, [{ entityType: 'user', matchType: 2, match: null }, { entityType: 'user', matchType: 1, match: null }]);
    assert.equal(bad.errorCode, INVALID_REQUEST);
    assert.equal(bad.entries, null);
    assert.equal((await describe(c, [{ entityType: 'user', matchType: 7, match: null }])).errorCode, INVALID_REQUEST);

    // validateOnly changes nothing; removing the last key deletes the entity; v0 works too.
    assert.equal((await alter(c, [{ entity: [client('app2')], ops: [set('producer_byte_rate', 1)] }], true)).entries[0]?.errorCode, 0);
    assert.deepEqual(summary(await describe(c, [{ entityType: 'client-id', matchType: 0, match: 'app2' }], false, 0)), []);
    const removed = await alter(c, [{ entity: [client(null)], ops: [{ key: 'producer_byte_rate', value: 0, remove: true }] }], false, 0);
    assert.equal(removed.entries[0]?.errorCode, 0);
    assert.deepEqual(summary(await describe(c, [{ entityType: 'client-id', matchType: 1, match: null }])), []);
  });
});

test('quotas persist in the local metadata across a restart', async () => {
  await broker.stop();
  broker = await startBroker({ port: 0, dataDir, config: { 'num.partitions': 1 } });
  await withClient(broker.port, async (c) => {
    assert.deepEqual(summary(await describe(c, [])), [
      'client-id=app1: producer_byte_rate=1024,request_percentage=12.5',
      'user=<default>: consumer_byte_rate=4096',
      'user=alice,client-id=app1: consumer_byte_rate=2048',
    ]);
  });
});

test('samsa quotas alters and describes with kafka-configs.sh flags', { timeout: 60_000 }, async () => {
  const bs = broker.bootstrap;
  assertOk(await samsaCli(['quotas', '--alter', '--entity-type', 'clients', '--entity-name', 'cli-app', '--add-config', 'producer_byte_rate=1024,consumer_byte_rate=2048'], { bootstrap: bs }), 'alter clients');
  assertOk(await samsaCli(['quotas', '--alter', '--user', 'bob', '--client-defaults', '--add-config', 'request_percentage=50'], { bootstrap: bs }), 'alter user+client default');
  const d = await samsaCli(['quotas', '--describe', '--entity-type', 'clients', '--entity-name', 'cli-app'], { bootstrap: bs });
  assertOk(d, 'describe');
  assert.equal(d.stdout, "Quota configs for client-id 'cli-app' are consumer_byte_rate=2048, producer_byte_rate=1024\n");
  const pair = await samsaCli(['quotas', '--describe', '--entity-type', 'users', '--entity-name', 'bob', '--entity-type', 'clients', '--json'], { bootstrap: bs });
  assertOk(pair, 'describe pair');
  assert.deepEqual(JSON.parse(pair.stdout), { entries: [] }, 'a client name filter is ANY specified name: the default does not match');
  const def = await samsaCli(['quotas', '--describe', '--user', 'bob', '--client-defaults'], { bootstrap: bs });
  assert.equal(def.stdout, "Quota configs for user-principal 'bob', client-id <default> are request_percentage=50\n");
  assertOk(await samsaCli(['quotas', '--alter', '--entity-type', 'clients', '--entity-name', 'cli-app', '--delete-config', 'producer_byte_rate'], { bootstrap: bs }), 'delete');
  const after1 = await samsaCli(['quotas', '--describe', '--entity-type', 'clients', '--entity-name', 'cli-app'], { bootstrap: bs });
  assert.equal(after1.stdout, "Quota configs for client-id 'cli-app' are consumer_byte_rate=2048\n");
  const bad = await samsaCli(['quotas', '--alter', '--entity-type', 'clients', '--entity-name', 'x', '--add-config', 'producer_byte_rate=1.5'], { bootstrap: bs });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /INVALID_REQUEST/);
});

test("a consumer's Fetch asks for at most its quota's window of bytes (Kafka's cap), and is throttled", async () => {
  const topic = 'q-fetch-cap';
  await withClient(broker.port, async (c) => {
    const created = await c.request<{ topics: { errorCode: number }[] }>(19, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
    assert.equal(created.topics[0]?.errorCode, 0);
    // Ten batches of 10000 bytes.
    for (let i = 0; i < 10; i++) {
      const r = await c.produce(topic, 0, encodeRecordBatch({ baseTimestamp: 1n, records: [{ value: 'v'.repeat(10_000), timestamp: 1n }] }));
      assert.equal(r.errorCode, 0);
    }
    const fetchAll = (): Promise<{ throttleTimeMs: number; responses: { partitions: { records: Buffer | null }[] }[] }> =>
      c.request(1, 12, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 10 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 10 << 20 }] }],
        forgottenTopicsData: [], rackId: '',
      });
    const before = await fetchAll();
    assert.ok((before.responses[0]?.partitions[0]?.records?.length ?? 0) > 20_000, `no quota: several batches in one answer (${before.responses[0]?.partitions[0]?.records?.length} bytes)`);
    assert.equal(before.throttleTimeMs, 0);
    // 1100 B/s for (User:ANONYMOUS, this client id): 1100 × 10 windows of 1 s = 11000 bytes a fetch, so one batch.
    const altered = await c.request<{ entries: { errorCode: number }[] }>(49, 1, { entries: [{ entity: [user('ANONYMOUS'), client('samsa-test')], ops: [set('consumer_byte_rate', 1100)] }], validateOnly: false });
    assert.equal(altered.entries[0]?.errorCode, 0);
    const capped = await fetchAll();
    const bytes = capped.responses[0]?.partitions[0]?.records?.length ?? 0;
    assert.ok(bytes > 10_000 && bytes < 20_000, `one batch only (KIP-74: the first batch even over the cap), got ${bytes} bytes`);
    assert.equal(capped.throttleTimeMs, 0, 'within the quota');
    // The next one is over the quota: throttled, and (as Kafka answers a throttled Fetch) without records.
    const over = await fetchAll();
    assert.ok(over.throttleTimeMs > 0, 'the answer is throttled');
    assert.deepEqual(over.responses, [], 'a throttled Fetch carries no records');
    const removed = await c.request<{ entries: { errorCode: number }[] }>(49, 1, { entries: [{ entity: [user('ANONYMOUS'), client('samsa-test')], ops: [{ key: 'consumer_byte_rate', value: 0, remove: true }] }], validateOnly: false });
    assert.equal(removed.entries[0]?.errorCode, 0);
  });
});

test('a user quota applies to User:ANONYMOUS; request_percentage throttles any request; others are unaffected', async () => {
  await withClient(broker.port, async (c) => {
    assert.equal((await alter(c, [{ entity: [user('ANONYMOUS')], ops: [set('producer_byte_rate', 1)] }, { entity: [client('slow-meta')], ops: [set('request_percentage', 0.001)] }])).entries.every((e) => e.errorCode === 0), true);
    const created = await c.request<{ topics: { errorCode: number }[] }>(19, 7, { topics: [{ name: 'q-user', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
    assert.equal(created.topics[0]?.errorCode, 0);
  });
  // The produce is over 1 B/s at once: its answer carries the throttle (and later requests wait for it).
  const p = await WireClient.connect(broker.port);
  try {
    const res = await p.request<{ throttleTimeMs: number; responses: { partitionResponses: { errorCode: number }[] }[] }>(0, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topicData: [{ name: 'q-user', partitionData: [{ index: 0, records: encodeRecordBatch({ baseTimestamp: 1n, records: [{ value: 'x'.repeat(100), timestamp: 1n }] }) }] }],
    });
    assert.equal(res.responses[0]?.partitionResponses[0]?.errorCode, 0);
    assert.ok(res.throttleTimeMs > 0, `throttleTimeMs ${res.throttleTimeMs}`);
  } finally {
    p.close();
  }
  // Request time: a client id with a tiny request_percentage is throttled on a Metadata request.
  const meta = async (clientId: string): Promise<number> => {
    const w = await WireClient.connect(broker.port);
    try {
      const frame = WireClient.encodeRequest(3, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, 7, clientId);
      w.writeRaw(frame);
      const answer = await w.nextUnsolicited(10_000);
      assert.ok(answer !== null);
      // Response header v1 (correlation id, empty tagged fields), then throttle_time_ms.
      assert.equal(answer.readInt32BE(0), 7);
      return answer.readInt32BE(5);
    } finally {
      w.close();
    }
  };
  let throttled = 0;
  for (let i = 0; i < 5 && throttled === 0; i++) throttled = await meta('slow-meta');
  assert.ok(throttled > 0, 'request_percentage throttles Metadata');
  assert.equal(await meta('another-client'), 0, 'another client id is not throttled');
});
