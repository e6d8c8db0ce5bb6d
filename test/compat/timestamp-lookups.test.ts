/**
 * ListOffsets by timestamp answers per record, not per batch (issue 11 item 2). One batch whose
 * records carry T+100, T+400, T+250 (out of order, as CreateTime allows): targets T+50, T+150,
 * T+300, T+400 give offsets 0, 1, 1, 1 and MAX_TIMESTAMP gives offset 1 with T+400. Asked by
 * kafkajs (fetchTopicOffsetsByTimestamp), @platformatic/kafka (listOffsets, incl. -3), kcat
 * (-Q), kafka-python (offsets_for_times) and on the wire at every ListOffsets version that has
 * timestamps; partition 0 is uncompressed, partition 1 gzip.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { Admin } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { CompressionType } from '../../src/protocol/records/batch-header.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';
import type { ListOffsetsResponse } from '../../src/protocol/generated/messages/list-offsets.js';
import { kcat, pythonJson } from '../helpers/compat.js';
import { runPython } from '../helpers/run-process.js';
import { withClient } from '../helpers/wire.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'ts-per-record';
const T = 1_700_000_000_000;
const TARGETS = [50, 150, 300, 400];
const EXPECTED = [0, 1, 1, 1];

let broker: RunningBroker;
let bootstrap: string;

before(async () => {
  broker = await startBroker({ port: 0 });
  bootstrap = `127.0.0.1:${broker.port}`;
  await withClient(broker.port, async (c) => {
    assert.equal(await c.createTopic(TOPIC, 2), 0);
    for (const [partition, compression] of [[0, CompressionType.none], [1, CompressionType.gzip]] as const) {
      const records = [100, 400, 250].map((d, i) => ({ key: `k${i}`, value: `v${i}`, timestamp: BigInt(T + d) }));
      const r = await c.produce(TOPIC, partition, encodeRecordBatch({ records, compression }));
      assert.equal(r.errorCode, 0);
    }
  });
});

after(async () => {
  await broker?.stop();
});

test('kafkajs admin.fetchTopicOffsetsByTimestamp: the first record at or after the target', async () => {
  const admin = new Kafka({ clientId: 'ts-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    for (let i = 0; i < TARGETS.length; i++) {
      const got = await admin.fetchTopicOffsetsByTimestamp(TOPIC, T + TARGETS[i]!);
      const byPartition = new Map(got.map((p) => [p.partition, p.offset]));
      assert.equal(byPartition.get(0), String(EXPECTED[i]), `partition 0, target T+${TARGETS[i]}`);
      assert.equal(byPartition.get(1), String(EXPECTED[i]), `partition 1 (gzip), target T+${TARGETS[i]}`);
    }
  } finally {
    await admin.disconnect();
  }
});

test('@platformatic/kafka admin.listOffsets: per-record timestamps and MAX_TIMESTAMP (-3)', async () => {
  const admin = new Admin({ clientId: 'ts-platformatic', bootstrapBrokers: [bootstrap] });
  try {
    const ask = async (timestamp: bigint) => {
      const res = await admin.listOffsets({ topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp }, { partitionIndex: 1, timestamp }] }] });
      return res[0]!.partitions.sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => [p.offset, p.timestamp]);
    };
    for (let i = 0; i < TARGETS.length; i++) {
      const want = EXPECTED[i] === 0 ? [0n, BigInt(T + 100)] : [1n, BigInt(T + 400)];
      assert.deepEqual(await ask(BigInt(T + TARGETS[i]!)), [want, want], `target T+${TARGETS[i]}`);
    }
    assert.deepEqual(await ask(-3n), [[1n, BigInt(T + 400)], [1n, BigInt(T + 400)]], 'max timestamp: the record carrying it');
  } finally {
    await admin.close();
  }
});

test('kcat -Q: offsets for timestamps', async () => {
  for (let i = 0; i < TARGETS.length; i++) {
    const out = (await kcat(['-Q', '-b', bootstrap, '-t', `${TOPIC}:0:${T + TARGETS[i]!}`, '-t', `${TOPIC}:1:${T + TARGETS[i]!}`], { timeoutMs: 20_000 })).stdout.toString('utf8');
    for (const p of [0, 1]) {
      assert.match(out, new RegExp(`${TOPIC} \\[${p}\\] offset ${EXPECTED[i]}\\b`), `partition ${p}, target T+${TARGETS[i]}: ${out}`);
    }
  }
});

test('kafka-python offsets_for_times: offset and the record timestamp', async () => {
  const script = String.raw`
import json, sys
from kafka import KafkaConsumer, TopicPartition
job = json.loads(sys.argv[1])
c = KafkaConsumer(bootstrap_servers=job['bootstrap'], api_version_auto_timeout_ms=10000)
out = []
for t in job['targets']:
    res = c.offsets_for_times({TopicPartition(job['topic'], 0): t, TopicPartition(job['topic'], 1): t})
    out.append([[res[TopicPartition(job['topic'], p)].offset, res[TopicPartition(job['topic'], p)].timestamp] for p in (0, 1)])
c.close()
print(json.dumps(out))
`;
  const targets = TARGETS.map((d) => T + d);
  const out = pythonJson<number[][][]>(await runPython(script, [JSON.stringify({ bootstrap, topic: TOPIC, targets })], { timeoutMs: 60_000 }), 'kafka-python offsets_for_times');
  out.forEach((perPartition, i) => {
    const want = EXPECTED[i] === 0 ? [0, T + 100] : [1, T + 400];
    assert.deepEqual(perPartition, [want, want], `target T+${TARGETS[i]}`);
  });
});

test('wire ListOffsets v1-v10: by timestamp per record; v7+ MAX_TIMESTAMP', async () => {
  await withClient(broker.port, async (c) => {
    for (let v = 1; v <= 10; v++) {
      const ask = async (timestamp: bigint) => {
        const r = await c.request<ListOffsetsResponse>(2, v, { replicaId: -1, isolationLevel: 0, timeoutMs: 5000, topics: [{ name: TOPIC, partitions: [0, 1].map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) }] });
        return r.topics[0]!.partitions.map((p) => [p.errorCode, p.offset, p.timestamp]);
      };
      for (let i = 0; i < TARGETS.length; i++) {
        const want = EXPECTED[i] === 0 ? [0, 0n, BigInt(T + 100)] : [0, 1n, BigInt(T + 400)];
        assert.deepEqual(await ask(BigInt(T + TARGETS[i]!)), [want, want], `v${v} target T+${TARGETS[i]}`);
      }
      if (v >= 7) assert.deepEqual(await ask(-3n), [[0, 1n, BigInt(T + 400)], [0, 1n, BigInt(T + 400)]], `v${v} max timestamp`);
    }
  });
});
