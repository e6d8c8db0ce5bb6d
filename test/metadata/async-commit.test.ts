/**
 * The broker on a MetadataStore whose commit resolves later (a LocalMetadataStore behind a
 * deferred commit, as an etcd store answers after a round trip): CreateTopics, DeleteTopics,
 * CreatePartitions, AlterConfigs, auto-creation (Metadata, Produce), the internal topics
 * (FindCoordinator) and producer ids (InitProducerId) all answer as with the local store; two
 * creations of one name racing get one success and one TOPIC_ALREADY_EXISTS, because the
 * controller checks and commits one operation at a time.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { LocalMetadataStore } from '../../src/cluster/metadata-store.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { KafkaError } from '../../src/common/kafka-error.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import { DeferredStore } from '../helpers/deferred-store.js';
import { WireClient } from '../helpers/wire.js';

const brokers: RunningBroker[] = [];
const clients: WireClient[] = [];
after(async () => {
  for (const c of clients) c.close();
  for (const b of brokers) await b.stop();
});

async function start(config: Record<string, string> = {}): Promise<{ broker: RunningBroker; store: DeferredStore; connect: () => Promise<WireClient> }> {
  let store: DeferredStore | undefined;
  const broker = await startBroker({
    port: 0,
    config: { 'offsets.topic.num.partitions': '2', 'transaction.state.log.num.partitions': '2', ...config },
    openMetadata: (dir, newClusterId) => (store = new DeferredStore(LocalMetadataStore.open(dir, newClusterId))),
  });
  brokers.push(broker);
  const connect = async (): Promise<WireClient> => {
    const c = await WireClient.connect(broker.port);
    clients.push(c);
    return c;
  };
  return { broker, store: store as DeferredStore, connect };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

type CreateTopicsOut = { topics: { name: string; errorCode: number; numPartitions: number; topicId: string }[] };

function createTopics(c: WireClient, names: string[], numPartitions = 2): Promise<CreateTopicsOut> {
  return c.request<CreateTopicsOut>(19, 7, {
    topics: names.map((name) => ({ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] })),
    timeoutMs: 10_000,
    validateOnly: false,
  });
}

test('CreateTopics, CreatePartitions, AlterConfigs and DeleteTopics answer correctly when commits resolve later', async () => {
  const { broker, store, connect } = await start();
  const c = await connect();
  const before = store.commits;
  const created = await createTopics(c, ['a1', 'a2']);
  assert.deepEqual(created.topics.map((t) => [t.name, t.errorCode, t.numPartitions]), [['a1', ErrorCode.NONE, 2], ['a2', ErrorCode.NONE, 2]]);
  assert.equal(store.commits, before + 1, 'one commit for the request');
  assert.equal(created.topics[0]?.topicId, broker.broker.metadata.image().topic('a1')?.topicId, 'the answer carries the committed id');
  assert.ok(broker.broker.replicas.partition('a1', 1), 'the applier opened the partitions');
  const again = await createTopics(c, ['a1']);
  assert.equal(again.topics[0]?.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);

  const grown = await c.request<{ results: { name: string; errorCode: number }[] }>(37, 3, {
    topics: [{ name: 'a1', count: 4, assignments: null }, { name: 'a2', count: 1, assignments: null }, { name: 'nope', count: 3, assignments: null }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  assert.deepEqual(grown.results.map((r) => [r.name, r.errorCode]), [['a1', ErrorCode.NONE], ['a2', ErrorCode.INVALID_PARTITIONS], ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
  assert.equal(broker.broker.metadata.image().topic('a1')?.partitions.length, 4);
  assert.ok(broker.broker.replicas.partition('a1', 3));

  const altered = await c.request<{ responses: { errorCode: number }[] }>(44, 1, {
    resources: [{ resourceType: 2, resourceName: 'a1', configs: [{ name: 'retention.ms', configOperation: 0, value: '60000' }] }],
    validateOnly: false,
  });
  assert.equal(altered.responses[0]?.errorCode, ErrorCode.NONE);
  assert.equal(broker.broker.metadata.image().topic('a1')?.configs['retention.ms'], '60000');

  const deleted = await c.request<{ responses: { name: string; errorCode: number }[] }>(20, 5, { topics: [], topicNames: ['a1', 'a2', 'nope'], timeoutMs: 10_000 });
  assert.deepEqual(deleted.responses.map((r) => [r.name, r.errorCode]), [['a1', ErrorCode.NONE], ['a2', ErrorCode.NONE], ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
  assert.equal(broker.broker.metadata.image().topic('a1'), undefined);
  assert.equal(broker.broker.replicas.partitions('a2'), undefined);
});

test('two creations of one name racing on a store that has not committed yet: one is created, the other gets TOPIC_ALREADY_EXISTS', async () => {
  const { broker, store, connect } = await start();
  const topics = broker.broker.topics;
  store.hold = true;
  const spec = { name: 'race', numPartitions: 1, replicationFactor: -1, assignments: [], configs: {} };
  const first = topics.create(spec);
  const second = topics.create(spec);
  const third = topics.createEach([{ name: 'race', numPartitions: 1, configs: {} }]);
  await until(() => store.heldCount === 1, 'the first creation to reach its commit');
  // The others wait for the first to finish: they have not checked the image yet.
  await new Promise((r) => setImmediate(r));
  assert.equal(store.heldCount, 1, 'only one commit is under way');
  store.release();
  assert.equal((await first).name, 'race');
  await assert.rejects(second, (e) => e instanceof KafkaError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS);
  const [r] = await third;
  assert.ok(r instanceof KafkaError && r.code === ErrorCode.TOPIC_ALREADY_EXISTS);

  // Over the wire, from several connections at once: exactly one NONE.
  const conns = await Promise.all([connect(), connect(), connect(), connect()]);
  const answers = await Promise.all(conns.map((c) => createTopics(c, ['wire-race'])));
  const codes = answers.map((a) => a.topics[0]?.errorCode).sort();
  assert.deepEqual(codes, [ErrorCode.NONE, ErrorCode.TOPIC_ALREADY_EXISTS, ErrorCode.TOPIC_ALREADY_EXISTS, ErrorCode.TOPIC_ALREADY_EXISTS]);
  // Deleting one topic from two connections at once: one NONE, one UNKNOWN_TOPIC_OR_PARTITION.
  const dels = await Promise.all(conns.slice(0, 2).map((c) => c.request<{ responses: { errorCode: number }[] }>(20, 5, { topics: [], topicNames: ['wire-race'], timeoutMs: 10_000 })));
  assert.deepEqual(dels.map((d) => d.responses[0]?.errorCode).sort(), [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
});

test('auto-creation (Metadata, Produce), FindCoordinator and InitProducerId wait for the commit and answer as before', async () => {
  const { broker, connect } = await start({ 'auto.create.topics.enable': 'true', 'num.partitions': '3' });
  const c = await connect();
  const md = await c.request<{ topics: { errorCode: number; partitions: unknown[] }[] }>(3, 12, { topics: [{ name: 'auto-md' }, { name: 'auto-md' }], allowAutoTopicCreation: true });
  assert.equal(md.topics.length, 1);
  assert.equal(md.topics[0]?.errorCode, ErrorCode.NONE);
  assert.equal(md.topics[0]?.partitions.length, 3, 'the response that created the topic describes it');

  const produced = await c.produce('auto-produce', 2, encodeRecordBatch({ records: [{ value: Buffer.from('x') }] }));
  assert.equal(produced.errorCode, ErrorCode.NONE);
  assert.equal(broker.broker.metadata.image().topic('auto-produce')?.partitions.length, 3);

  for (const keyType of [0, 1]) {
    const found = await c.request<{ coordinators: { errorCode: number; nodeId: number }[] }>(10, 4, { keyType, coordinatorKeys: ['k'] });
    assert.deepEqual(found.coordinators.map((x) => [x.errorCode, x.nodeId]), [[ErrorCode.NONE, broker.broker.nodeId]], `key type ${keyType}`);
  }
  assert.equal(broker.broker.metadata.image().topic('__consumer_offsets')?.partitions.length, 2);
  assert.equal(broker.broker.metadata.image().topic('__transaction_state')?.partitions.length, 2);

  const idempotent = await c.request<{ errorCode: number; producerId: bigint }>(22, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  assert.equal(idempotent.errorCode, ErrorCode.NONE);
  const txn = await c.request<{ errorCode: number; producerId: bigint }>(22, 4, { transactionalId: 't1', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  assert.equal(txn.errorCode, ErrorCode.NONE);
  assert.ok(txn.producerId > idempotent.producerId);
  assert.ok(broker.broker.metadata.image().nextProducerId > txn.producerId, 'the ids come from a committed block');
});
