/**
 * The broker fuzz test's seed corpus:
 * - real client frames: kafkajs (admin, producers with acks 0/1/all and gzip, a transactional
 *   producer with offsets, a consumer group) and @platformatic/kafka (producers with snappy and lz4
 *   (its zstd needs a newer Node), fetch, admin) run through a recording proxy against the broker
 *   under test;
 * - an encoded sample request for every API key the broker serves at every version it decodes
 *   (test/protocol/generated/sample.ts), so no API or version is missed;
 * - read-only requests naming the known data set (Metadata, Fetch by name and by topic id,
 *   ListOffsets, OffsetForLeaderEpoch, DescribeConfigs), so mutations reach it too.
 */
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import kafkajs from 'kafkajs';

const { CompressionTypes, ConfigResourceTypes, Kafka, logLevel } = kafkajs;
import { servedHandlers } from '../../helpers/served-handlers.js';
import { schemaMessages } from '../../../src/protocol/generated/schemas.js';
import { ZERO_UUID } from '../../../src/protocol/primitives/uuid.js';
import { WireClient, waitFor } from '../../helpers/wire.js';
import { SampleBuilder, inRange } from '../../protocol/generated/sample.js';

export const CORPUS_TOPICS = ['fz-a', 'fz-b'] as const;

/** Runs real client sessions through the proxy at `bootstrap` (the broker advertises the proxy). */
export async function runClientSessions(bootstrap: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'fuzz-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'fz-tmp', numPartitions: 2 }] });
    await admin.fetchTopicMetadata({ topics: [...CORPUS_TOPICS] });
    await admin.describeCluster();
    await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'fz-a' }], includeSynonyms: true });
    await admin.alterConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'fz-tmp', configEntries: [{ name: 'retention.ms', value: '3600000' }] }], validateOnly: false });
    await admin.createPartitions({ topicPartitions: [{ topic: 'fz-tmp', count: 3 }] });
    await admin.fetchTopicOffsets('fz-a');
    await admin.fetchTopicOffsetsByTimestamp('fz-a', Date.now() - 60_000);

    for (const acks of [0, 1, -1]) {
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
        await producer.send({
          topic: CORPUS_TOPICS[acks === 1 ? 1 : 0],
          acks,
          compression,
          messages: Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `value-${acks}-${i}-${'x'.repeat(i * 20)}`, headers: { h: `v${i}` } })),
        });
      }
      await producer.disconnect();
    }

    const txp = kafka.producer({ transactionalId: 'fuzz-txn', idempotent: true, maxInFlightRequests: 1 });
    await txp.connect();
    for (const commit of [true, false]) {
      const txn = await txp.transaction();
      await txn.send({ topic: 'fz-b', messages: [{ key: 'tk', value: `txn-${commit}` }] });
      await txn.sendOffsets({ consumerGroupId: 'fuzz-txn-group', topics: [{ topic: 'fz-a', partitions: [{ partition: 0, offset: '1' }] }] });
      if (commit) await txn.commit();
      else await txn.abort();
    }
    await txp.disconnect();

    const consumer = kafka.consumer({ groupId: 'fuzz-group', sessionTimeout: 10_000, heartbeatInterval: 300 });
    await consumer.connect();
    await consumer.subscribe({ topics: [...CORPUS_TOPICS], fromBeginning: true });
    let consumed = 0;
    await consumer.run({ eachMessage: async () => void consumed++ });
    await waitFor(() => consumed >= 10, 20_000, 'the kafkajs consumer to read');
    await consumer.disconnect();

    await admin.listGroups();
    await admin.describeGroups(['fuzz-group']);
    await admin.fetchOffsets({ groupId: 'fuzz-group', topics: [...CORPUS_TOPICS] });
    // The frames are what matters here; an error answer is recorded as well as a success.
    await tolerate(admin.resetOffsets({ groupId: 'fuzz-group', topic: 'fz-a', earliest: true }));
    await tolerate(admin.deleteTopicRecords({ topic: 'fz-a', partitions: [{ partition: 1, offset: '1' }] }));
    await admin.deleteGroups(['fuzz-group']);
    await admin.deleteTopics({ topics: ['fz-tmp'] });
  } finally {
    await admin.disconnect();
  }

  for (const compression of ['snappy', 'lz4'] as const) {
    const producer = new Producer({ clientId: 'fuzz-plt', bootstrapBrokers: [bootstrap], serializers: stringSerializers, acks: -1, compression });
    try {
      await producer.send({ messages: Array.from({ length: 4 }, (_, i) => ({ topic: 'fz-a', key: `p${i}`, value: `${compression}-${i}-${'y'.repeat(40)}`, headers: new Map([['h', 'v']]) })) });
    } finally {
      await producer.close();
    }
  }
  const padmin = new Admin({ clientId: 'fuzz-plt-admin', bootstrapBrokers: [bootstrap] });
  try {
    await padmin.createTopics({ topics: ['fz-plt'], partitions: 1, replicas: 1 });
    const md = await padmin.metadata({ topics: ['fz-a', 'fz-plt'] });
    await padmin.listGroups();
    await padmin.describeConfigs({ resources: [{ resourceType: 2, resourceName: 'fz-a', configurationKeys: [] }], includeSynonyms: false, includeDocumentation: false });
    const topicId = md.topics.get('fz-a')?.id;
    const consumer = new Consumer({ clientId: 'fuzz-plt-consumer', groupId: 'fuzz-plt-group', bootstrapBrokers: [bootstrap] });
    try {
      if (topicId !== undefined) {
        await consumer.fetch({ node: 1, maxWaitTime: 10, topics: [{ topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 16 }] }] });
      }
    } finally {
      await consumer.close(true);
    }
    await padmin.deleteTopics({ topics: ['fz-plt'] });
  } finally {
    await padmin.close();
  }
}

async function tolerate(p: Promise<unknown>): Promise<void> {
  await p.catch(() => undefined);
}

/** Keeps at most `perKey` frames of each API key (Fetch and Heartbeat would dominate otherwise). */
export function capPerApiKey(frames: readonly Buffer[], perKey: number): Buffer[] {
  const counts = new Map<number, number>();
  const out: Buffer[] = [];
  for (const f of frames) {
    if (f.length < 12) continue;
    const key = f.readInt16BE(4);
    const n = counts.get(key) ?? 0;
    if (n >= perKey) continue;
    counts.set(key, n + 1);
    out.push(f);
  }
  return out;
}

/** An encoded sample request (two variants: values, nulls) for every served API key and version. */
export function sampleFrames(): Buffer[] {
  const out: Buffer[] = [];
  let correlation = 1000;
  for (const h of servedHandlers()) {
    const msg = schemaMessages.find((m) => m.kind === 'request' && m.apiKey === h.apiKey);
    if (!msg) throw new Error(`no request schema for API key ${h.apiKey}`);
    for (let v = h.oldestDecodable ?? 0; v <= h.maxVersion; v++) {
      for (const nulls of [false, true]) {
        const [input] = new SampleBuilder(v, inRange(msg.flexibleVersions, v), { nulls, recordChunks: false }, 11 + v).struct(msg.name);
        out.push(WireClient.encodeRequest(h.apiKey, v, input, correlation++, nulls ? null : 'fuzz-sample'));
      }
    }
  }
  return out;
}

/** The API keys and version ranges the broker serves (for header mutations). */
export function servedApis(): { apiKey: number; oldestDecodable: number; maxVersion: number }[] {
  return servedHandlers().map((h) => ({ apiKey: h.apiKey, oldestDecodable: h.oldestDecodable ?? 0, maxVersion: h.maxVersion }));
}

/** Read-only requests naming the data set, so the fuzzer can reach it (by name and by id). */
export function datasetFrames(topic: string, topicId: string, partitions: number): Buffer[] {
  const parts = Array.from({ length: partitions }, (_, p) => p);
  let c = 5000;
  const fetchPartitions = parts.map((partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 16 }));
  const fetchBody = (byId: boolean) => ({
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 16, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: byId ? '' : topic, topicId, partitions: fetchPartitions }], forgottenTopicsData: [], rackId: '',
  });
  return [
    WireClient.encodeRequest(3, 12, { topics: [{ name: topic, topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true }, c++),
    WireClient.encodeRequest(3, 1, { topics: [{ name: topic }] }, c++),
    WireClient.encodeRequest(1, 12, fetchBody(false), c++),
    WireClient.encodeRequest(1, 4, fetchBody(false), c++),
    WireClient.encodeRequest(1, 13, fetchBody(true), c++),
    WireClient.encodeRequest(2, 7, { replicaId: -1, isolationLevel: 1, topics: [{ name: topic, partitions: parts.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -2n })) }] }, c++),
    WireClient.encodeRequest(23, 4, { replicaId: -1, topics: [{ topic, partitions: parts.map((p) => ({ partition: p, currentLeaderEpoch: -1, leaderEpoch: 0 })) }] }, c++),
    WireClient.encodeRequest(32, 4, { resources: [{ resourceType: 2, resourceName: topic, configurationKeys: null }], includeSynonyms: true, includeDocumentation: true }, c++),
  ];
}
