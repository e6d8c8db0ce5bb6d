/**
 * The request gate (src/broker/gate/): the session every handler sees, an authorizer plugged into
 * a real broker (per-topic denials for Produce, Fetch, Metadata; whole-request denials for a group
 * and the cluster), the quota manager as the one source of throttleTimeMs, and the list of
 * responses without the field checked against the generated schemas.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type Action, type Authorizer, type QuotaManager, type RunningBroker, type Session } from '../../src/index.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { servedHandlers } from '../helpers/served-handlers.js';
import { RESPONSES_WITHOUT_THROTTLE } from '../../src/broker/gate/quota.js';
import { ResourceType } from '../../src/broker/gate/authorizer.js';
import { schemaMessages, schemaStructs } from '../../src/protocol/generated/schemas.js';
import type { ProduceResponse } from '../../src/protocol/generated/messages/produce.js';
import type { FetchResponse } from '../../src/protocol/generated/messages/fetch.js';
import type { MetadataResponse } from '../../src/protocol/generated/messages/metadata.js';
import { WireClient } from '../helpers/wire.js';

/** Denies every action on the resources named in `denied` ("2:topic", "3:group", "4:kafka-cluster"). */
class DenyListAuthorizer implements Authorizer {
  readonly allowsEverything = false;
  readonly denied = new Set<string>();
  readonly sessions: Session[] = [];
  authorize(session: Session, actions: readonly Action[]): readonly boolean[] {
    this.sessions.push(session);
    return actions.map((a) => !this.denied.has(`${a.resource.type}:${a.resource.name}`));
  }
}

const authorizer = new DenyListAuthorizer();
let throttle = 0;
const quotas: QuotaManager = { throttleTimeMs: () => throttle };
let broker: RunningBroker;
let c: WireClient;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'num.partitions': 1 }, gate: { authorizer, quotas } });
  c = await WireClient.connect(broker.port);
  assert.equal(await c.createTopic('open', 1), ErrorCode.NONE);
  assert.equal(await c.createTopic('secret', 1), ErrorCode.NONE);
});

after(async () => {
  c.close();
  await broker.stop();
});

const batch = (): Buffer => encodeRecordBatch({ baseOffset: 0n, records: [{ key: null, value: Buffer.from('v') }] });

function fetchBody(topics: string[]): unknown {
  return {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: topics.map((topic) => ({ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] })),
    forgottenTopicsData: [], rackId: '',
  };
}

test('an authorizer denying one topic: Produce, Fetch and Metadata answer TOPIC_AUTHORIZATION_FAILED for it and serve the other', async () => {
  authorizer.denied.add(`${ResourceType.TOPIC}:secret`);
  authorizer.denied.add(`${ResourceType.TOPIC}:secret-new`);
  try {
    const produced = await c.request<ProduceResponse>(0, 9, {
      transactionalId: null, acks: -1, timeoutMs: 5000,
      topicData: ['secret', 'open'].map((name) => ({ name, partitionData: [{ index: 0, records: batch() }] })),
    });
    const byName = new Map(produced.responses.map((t) => [t.name, t.partitionResponses[0]]));
    assert.equal(byName.get('secret')?.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    assert.equal(byName.get('open')?.errorCode, ErrorCode.NONE);

    const fetched = await c.request<FetchResponse>(1, 12, fetchBody(['secret', 'open']));
    const fetchedBy = new Map(fetched.responses.map((t) => [t.topic, t.partitions[0]]));
    assert.equal(fetchedBy.get('secret')?.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    assert.equal(fetchedBy.get('open')?.errorCode, ErrorCode.NONE);
    assert.ok((fetchedBy.get('open')?.records?.length ?? 0) > 0, 'the allowed topic is read');

    const named = await c.request<MetadataResponse>(3, 12, { topics: [{ name: 'secret' }, { name: 'open' }, { name: 'secret-new' }], allowAutoTopicCreation: true });
    const namedBy = new Map(named.topics.map((t) => [t.name, t]));
    assert.equal(namedBy.get('secret')?.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    assert.deepEqual(namedBy.get('secret')?.partitions, []);
    assert.equal(namedBy.get('secret-new')?.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    assert.equal(namedBy.get('open')?.errorCode, ErrorCode.NONE);
    assert.equal(broker.broker.metadata.image().topic('secret-new'), undefined, 'a denied topic is not auto-created');

    const all = await c.request<MetadataResponse>(3, 12, { topics: null, allowAutoTopicCreation: false });
    const names = all.topics.map((t) => t.name);
    assert.ok(names.includes('open') && !names.includes('secret'), `all topics without the denied one: ${names.join(',')}`);

    // A real client: kafkajs's producer fails with the authorization error, not a retry loop.
    const kafka = new Kafka({ clientId: 'gate-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const producer = kafka.producer();
    await producer.connect();
    try {
      await assert.rejects(producer.send({ topic: 'secret', messages: [{ value: 'x' }] }), (e: { type?: string; name?: string }) => {
        assert.match(`${e.type ?? ''} ${e.name ?? ''} ${String(e)}`, /TOPIC_AUTHORIZATION_FAILED|authoriz/i);
        return true;
      });
    } finally {
      await producer.disconnect();
    }
  } finally {
    authorizer.denied.clear();
  }
  // Nothing reached the denied topic's log.
  const p = await c.fetchOnce('secret', 0, 0n);
  assert.equal(p.errorCode, ErrorCode.NONE);
  assert.equal(p.highWatermark, 0n);
});

test('whole-request denials: a denied group answers GROUP_AUTHORIZATION_FAILED, a denied cluster CLUSTER_AUTHORIZATION_FAILED', async () => {
  authorizer.denied.add(`${ResourceType.GROUP}:g1`);
  authorizer.denied.add(`${ResourceType.CLUSTER}:kafka-cluster`);
  try {
    const hb = await c.request<{ errorCode: number }>(12, 4, { groupId: 'g1', generationId: 1, memberId: 'm', groupInstanceId: null });
    assert.equal(hb.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const dc = await c.request<{ errorCode: number }>(60, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    assert.equal(dc.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  } finally {
    authorizer.denied.clear();
  }
  const hb = await c.request<{ errorCode: number }>(12, 4, { groupId: 'g1', generationId: 1, memberId: 'm', groupInstanceId: null });
  assert.notEqual(hb.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
});

test('the session a request carries: User:ANONYMOUS over PLAINTEXT on its listener, with its connection id and address', async () => {
  authorizer.sessions.length = 0;
  await c.metadata(['open']);
  const s = authorizer.sessions.at(-1);
  assert.ok(s);
  assert.deepEqual({ ...s.principal }, { principalType: 'User', name: 'ANONYMOUS' });
  assert.equal(s.securityProtocol, 'PLAINTEXT');
  assert.equal(s.listenerName, 'PLAINTEXT');
  assert.match(s.clientAddress, /127\.0\.0\.1$/);
  assert.equal(typeof s.connectionId, 'number');
  // One session per connection: a second connection gets its own id.
  const c2 = await WireClient.connect(broker.port);
  try {
    await c2.metadata(['open']);
  } finally {
    c2.close();
  }
  const s2 = authorizer.sessions.at(-1);
  assert.ok(s2 && s2.connectionId !== s.connectionId);
});

test('throttleTimeMs in every response comes from the quota manager', async () => {
  // Each throttled request on its own connection: a throttled answer mutes its connection for the
  // throttle time (test/broker/quota-mute.test.ts), which would make every later request wait.
  const fresh = async <T>(f: (w: WireClient) => Promise<T>): Promise<T> => {
    const w = await WireClient.connect(broker.port);
    try {
      return await f(w);
    } finally {
      w.close();
    }
  };
  throttle = 250;
  try {
    const produced = await fresh((w) => w.request<ProduceResponse>(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'open', partitionData: [{ index: 0, records: batch() }] }] }));
    assert.equal(produced.throttleTimeMs, 250);
    assert.equal((await fresh((w) => w.request<FetchResponse>(1, 12, fetchBody(['open'])))).throttleTimeMs, 250);
    assert.equal((await fresh((w) => w.metadata(['open']))).throttleTimeMs, 250);
    assert.equal((await fresh((w) => w.apiVersions(3))).throttleTimeMs, 250);
    // An error answer too (unknown member of an unknown group).
    const hb = await fresh((w) => w.request<{ throttleTimeMs: number; errorCode: number }>(12, 4, { groupId: 'nope', generationId: 1, memberId: 'm', groupInstanceId: null }));
    assert.notEqual(hb.errorCode, ErrorCode.NONE);
    assert.equal(hb.throttleTimeMs, 250);
    const created = await fresh((w) => w.request<{ throttleTimeMs: number }>(19, 7, { topics: [], timeoutMs: 1000, validateOnly: false }));
    assert.equal(created.throttleTimeMs, 250);
  } finally {
    throttle = 0;
  }
  assert.equal((await c.metadata(['open'])).throttleTimeMs, 0);
});

test('RESPONSES_WITHOUT_THROTTLE lists exactly the served APIs whose response has no ThrottleTimeMs field', () => {
  for (const h of servedHandlers()) {
    const msg = schemaMessages.find((m) => m.kind === 'response' && m.apiKey === h.apiKey);
    assert.ok(msg, `schema of ${h.name}`);
    const hasField = (schemaStructs[msg.name] ?? []).some((f) => f[0] === 'throttleTimeMs');
    assert.equal(!RESPONSES_WITHOUT_THROTTLE.has(h.apiKey), hasField, `${h.name} (key ${h.apiKey})`);
  }
});
