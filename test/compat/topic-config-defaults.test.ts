/**
 * DescribeConfigs of a topic without overrides matches Kafka 4's table of topic configs: every
 * value and its source (issue 11 item 5). segment.jitter.ms used to read back as null because its
 * first broker synonym (log.roll.jitter.ms) has no default; Kafka takes log.roll.jitter.hours.
 * Read with kafkajs (describeConfigs with synonyms) and confluent-kafka-python (describe_configs);
 * a broker with log.roll.jitter.hours set shows the converted value with a static source.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { pythonJson } from '../helpers/compat.js';
import { runPython } from '../helpers/run-process.js';
import { withClient } from '../helpers/wire.js';

const { Kafka, logLevel, ConfigResourceTypes, ConfigSource } = kafkajs;
const LONG_MAX = '9223372036854775807';

/** Kafka 4's topic configs and defaults with no broker settings (source DEFAULT_CONFIG). */
const KAFKA_TOPIC_DEFAULTS: Record<string, string> = {
  'cleanup.policy': 'delete',
  'compression.gzip.level': '-1',
  'compression.lz4.level': '9',
  'compression.type': 'producer',
  'compression.zstd.level': '3',
  'delete.retention.ms': '86400000',
  'file.delete.delay.ms': '60000',
  'flush.messages': LONG_MAX,
  'flush.ms': LONG_MAX,
  'follower.replication.throttled.replicas': '',
  'index.interval.bytes': '4096',
  'leader.replication.throttled.replicas': '',
  'local.retention.bytes': '-2',
  'local.retention.ms': '-2',
  'max.compaction.lag.ms': LONG_MAX,
  'max.message.bytes': '1048588',
  'message.timestamp.after.max.ms': '3600000',
  'message.timestamp.before.max.ms': LONG_MAX,
  'message.timestamp.type': 'CreateTime',
  'min.cleanable.dirty.ratio': '0.5',
  'min.compaction.lag.ms': '0',
  'min.insync.replicas': '1',
  'preallocate': 'false',
  'remote.log.copy.disable': 'false',
  'remote.log.delete.on.disable': 'false',
  'remote.storage.enable': 'false',
  'retention.bytes': '-1',
  'retention.ms': '604800000',
  'segment.bytes': '1073741824',
  'segment.index.bytes': '10485760',
  'segment.jitter.ms': '0',
  'segment.ms': '604800000',
  'unclean.leader.election.enable': 'false',
};

let broker: RunningBroker;
let jittery: RunningBroker;

before(async () => {
  broker = await startBroker({ port: 0 });
  jittery = await startBroker({ port: 0, config: { 'log.roll.jitter.hours': 2, 'log.flush.scheduler.interval.ms': 5000 } });
  for (const b of [broker, jittery]) await withClient(b.port, async (c) => assert.equal(await c.createTopic('cfg-defaults', 1), 0));
});

after(async () => {
  await broker?.stop();
  await jittery?.stop();
});

async function describeTopic(b: RunningBroker) {
  const admin = new Kafka({ clientId: 'cfg-defaults', brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const d = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cfg-defaults' }] });
    return new Map(d.resources[0]!.configEntries.map((e) => [e.configName, e]));
  } finally {
    await admin.disconnect();
  }
}

test('kafkajs describeConfigs: every topic config has Kafka 4 default value and DEFAULT_CONFIG source', async () => {
  const entries = await describeTopic(broker);
  const wrong: string[] = [];
  for (const [name, value] of Object.entries(KAFKA_TOPIC_DEFAULTS)) {
    const e = entries.get(name);
    if (!e) wrong.push(`${name}: missing`);
    else if (e.configValue !== value || e.configSource !== ConfigSource.DEFAULT_CONFIG) wrong.push(`${name}: ${e.configValue} (source ${e.configSource}), Kafka: ${value} (source ${ConfigSource.DEFAULT_CONFIG})`);
  }
  assert.deepEqual(wrong, []);
  const jitter = entries.get('segment.jitter.ms')!;
  assert.deepEqual(jitter.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource]), [['log.roll.jitter.hours', '0', ConfigSource.DEFAULT_CONFIG]]);
  const flush = entries.get('flush.ms')!;
  assert.deepEqual(flush.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource]), [['log.flush.scheduler.interval.ms', LONG_MAX, ConfigSource.DEFAULT_CONFIG]]);
});

test('kafkajs describeConfigs: broker settings of an hours synonym and a second synonym show converted, with a static source', async () => {
  const entries = await describeTopic(jittery);
  const jitter = entries.get('segment.jitter.ms')!;
  assert.equal(jitter.configValue, String(2 * 3_600_000));
  assert.equal(jitter.configSource, ConfigSource.STATIC_BROKER_CONFIG);
  assert.deepEqual(jitter.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource]), [['log.roll.jitter.hours', '2', ConfigSource.STATIC_BROKER_CONFIG], ['log.roll.jitter.hours', '0', ConfigSource.DEFAULT_CONFIG]]);
  const flush = entries.get('flush.ms')!;
  assert.deepEqual([flush.configValue, flush.configSource], ['5000', ConfigSource.STATIC_BROKER_CONFIG]);
});

test('confluent-kafka describe_configs: segment.jitter.ms is 0, not null', async () => {
  const script = String.raw`
import json, sys
from confluent_kafka.admin import AdminClient, ConfigResource
admin = AdminClient({'bootstrap.servers': sys.argv[1]})
res = ConfigResource(ConfigResource.Type.TOPIC, 'cfg-defaults')
configs = admin.describe_configs([res])[res].result(timeout=20)
print(json.dumps({k: [v.value, int(v.source)] for k, v in configs.items() if k in ('segment.jitter.ms', 'segment.ms', 'retention.ms', 'message.timestamp.after.max.ms')}))
`;
  const out = pythonJson<Record<string, [string | null, number]>>(await runPython(script, [broker.bootstrap], { timeoutMs: 60_000 }), 'confluent-kafka describe_configs');
  assert.deepEqual(out, {
    'segment.jitter.ms': ['0', ConfigSource.DEFAULT_CONFIG],
    'segment.ms': ['604800000', ConfigSource.DEFAULT_CONFIG],
    'retention.ms': ['604800000', ConfigSource.DEFAULT_CONFIG],
    'message.timestamp.after.max.ms': ['3600000', ConfigSource.DEFAULT_CONFIG],
  });
});
