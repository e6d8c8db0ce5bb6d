/**
 * Real admin clients read and change configs: kafkajs (describeConfigs / alterConfigs) and
 * confluent-kafka-python 1.7 (describe_configs / alter_configs; librdkafka 2.0.2 has no
 * incremental_alter_configs in this Python binding). The change shows in behaviour: lowering
 * retention.ms deletes the old segments at the next retention check (200 ms here).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { pythonJson } from '../helpers/compat.js';
import { runPython } from '../helpers/run-process.js';
import { waitFor, withClient } from '../helpers/wire.js';
import { encodeRecordBatch } from '../../src/protocol/records/record.js';

const { Kafka, logLevel, ConfigResourceTypes, ConfigSource } = kafkajs;
let broker: BrokerProcess;

before(async () => {
  broker = await startBrokerProcess({ overrides: { 'log.retention.check.interval.ms': 200, 'log.segment.delete.delay.ms': 0 } });
});

after(async () => {
  await broker?.kill();
  if (broker) removeDir(broker.dataDir);
});

function segments(topic: string): number {
  return readdirSync(join(broker.dataDir, `${topic}-0`)).filter((f) => f.endsWith('.log')).length;
}

/** Fills a topic (segment.bytes 2048) with hour-old records over many segments. */
async function fillOld(topic: string): Promise<void> {
  await withClient(broker.port, async (c) => {
    const ts = BigInt(Date.now() - 3_600_000);
    for (let i = 0; i < 30; i++) {
      const r = await c.produce(topic, 0, encodeRecordBatch({ records: Array.from({ length: 5 }, (_, j) => ({ key: `k${j}`, value: `v${i}-${'o'.repeat(60)}`, timestamp: ts })) }));
      assert.equal(r.errorCode, 0);
    }
  });
}

it('kafkajs admin: describeConfigs and alterConfigs on a topic and the broker; lower retention.ms deletes segments', async () => {
  const kafka = new Kafka({ clientId: 'cfg-kafkajs', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topic = 'kjs-configs';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '2048' }] }] });
    await fillOld(topic);
    const before = segments(topic);
    assert.ok(before > 3, `segments: ${before}`);
    let d = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms', 'segment.bytes'] }] });
    let entries = new Map(d.resources[0]!.configEntries.map((e) => [e.configName, e]));
    assert.equal(entries.get('retention.ms')!.configValue, '604800000');
    assert.equal(entries.get('retention.ms')!.configSource, ConfigSource.DEFAULT_CONFIG);
    assert.equal(entries.get('segment.bytes')!.configValue, '2048');
    assert.equal(entries.get('segment.bytes')!.configSource, ConfigSource.TOPIC_CONFIG);

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'segment.bytes', value: '2048' }, { name: 'retention.ms', value: '60000' }] }] });
    d = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }] });
    entries = new Map(d.resources[0]!.configEntries.map((e) => [e.configName, e]));
    assert.equal(entries.get('retention.ms')!.configValue, '60000');
    assert.equal(entries.get('retention.ms')!.configSource, ConfigSource.TOPIC_CONFIG);
    await waitFor(() => segments(topic) === 1, 5000, 'retention after alterConfigs');
    const offsets = await admin.fetchTopicOffsets(topic);
    assert.ok(Number(offsets[0]!.low) > 0 && offsets[0]!.high === '150', `old records deleted up to the active segment: ${JSON.stringify(offsets)}`);

    const b = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configNames: ['log.retention.check.interval.ms', 'log.cleanup.policy'] }] });
    const be = new Map(b.resources[0]!.configEntries.map((e) => [e.configName, e]));
    assert.equal(be.get('log.retention.check.interval.ms')!.configValue, '200');
    assert.equal(be.get('log.retention.check.interval.ms')!.readOnly, true);
    assert.equal(be.get('log.cleanup.policy')!.readOnly, false);
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'log.cleaner.backoff.ms', value: '500' }] }] });
    const b2 = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configNames: ['log.cleaner.backoff.ms'] }] });
    assert.equal(b2.resources[0]!.configEntries[0]!.configValue, '500');
    await assert.rejects(
      admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: 'never' }] }] }),
      (e: Error & { type?: string }) => e.type === 'INVALID_CONFIG' || /INVALID_CONFIG|Invalid value/i.test(e.message),
    );
  } finally {
    await admin.disconnect();
  }
});

const PY = String.raw`
import json, sys
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
job = json.load(sys.stdin)
admin = AdminClient({'bootstrap.servers': job['bootstrap']})
topic = job['topic']
def describe(res):
    out = {}
    for r, f in admin.describe_configs([res]).items():
        for name, e in f.result(timeout=20).items():
            out[name] = {'value': e.value, 'source': e.source, 'read_only': e.is_read_only}
    return out
if job['step'] == 'create':
    for t, f in admin.create_topics([NewTopic(topic, 1, 1, config={'segment.bytes': '2048'})]).items():
        f.result(timeout=20)
    print(json.dumps({'ok': True}))
elif job['step'] == 'alter':
    before = describe(ConfigResource('topic', topic))
    res = ConfigResource('topic', topic, set_config={'segment.bytes': '2048', 'retention.ms': '60000', 'cleanup.policy': 'compact,delete'})
    for r, f in admin.alter_configs([res]).items():
        f.result(timeout=20)
    after = describe(ConfigResource('topic', topic))
    bad = None
    try:
        for r, f in admin.alter_configs([ConfigResource('topic', topic, set_config={'retention.ms': 'soon'})]).items():
            f.result(timeout=20)
    except Exception as e:
        bad = str(e)
    brk = describe(ConfigResource('broker', '1'))
    print(json.dumps({'before': before, 'after': after, 'bad': bad, 'broker': {k: brk[k] for k in ['log.dirs', 'log.retention.ms', 'log.retention.check.interval.ms']}}))
`;

it('confluent-kafka-python: describe_configs and alter_configs; lower retention.ms deletes segments', async () => {
  const topic = 'ck-configs';
  const job = (step: string): string => JSON.stringify({ bootstrap: broker.bootstrap, topic, step });
  pythonJson(await runPython(PY, [], { input: job('create'), timeoutMs: 60_000 }), 'create');
  await fillOld(topic);
  const before = segments(topic);
  assert.ok(before > 3);
  const r = pythonJson(await runPython(PY, [], { input: job('alter'), timeoutMs: 60_000 }), 'alter');
  assert.equal(r.before['retention.ms'].value, '604800000');
  assert.equal(r.after['retention.ms'].value, '60000');
  assert.equal(r.after['retention.ms'].source, 1, 'DYNAMIC_TOPIC_CONFIG');
  assert.equal(r.after['cleanup.policy'].value, 'compact,delete');
  assert.equal(r.after['segment.bytes'].value, '2048');
  assert.match(String(r.bad), /INVALID_CONFIG|Invalid value/);
  assert.equal(r.broker['log.dirs'].read_only, true);
  assert.equal(r.broker['log.retention.check.interval.ms'].value, '200');
  await waitFor(() => segments(topic) === 1, 5000, 'retention after alter_configs');
});
