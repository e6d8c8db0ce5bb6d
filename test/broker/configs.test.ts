/**
 * Topic and dynamic broker configs over the wire (AlterConfigs v0-2, IncrementalAlterConfigs v0-1,
 * DescribeConfigs): Kafka's replace vs incremental semantics, validation errors, validateOnly,
 * sources and synonyms, live effect (retention, compaction key check, recompression) and
 * persistence across a restart.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CompressionType } from '../../src/protocol/records/batch-header.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/records/record.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { WireClient, waitFor } from '../helpers/wire.js';

const TOPIC = 2;
const BROKER = 4;
const OP = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
const E = { NONE: 0, INVALID_RECORD: 87, INVALID_CONFIG: 40, INVALID_REQUEST: 42, UNKNOWN_TOPIC_OR_PARTITION: 3 } as const;
const SRC = { DYNAMIC_TOPIC_CONFIG: 1, DYNAMIC_BROKER_CONFIG: 2, DYNAMIC_DEFAULT_BROKER_CONFIG: 3, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;

let broker: BrokerProcess;
let c: WireClient;

before(async () => {
  broker = await startBrokerProcess({ overrides: { 'log.retention.check.interval.ms': 200, 'log.segment.delete.delay.ms': 0 } });
  c = await WireClient.connect(broker.port);
});

after(async () => {
  c?.close();
  await broker?.kill();
  if (broker) removeDir(broker.dataDir);
});

async function incremental(type: number, name: string, configs: { name: string; op: number; value?: string | null }[], validateOnly = false, version = 1): Promise<{ errorCode: number; errorMessage: string | null }> {
  const res = await c.request(44, version, {
    resources: [{ resourceType: type, resourceName: name, configs: configs.map((x) => ({ name: x.name, configOperation: x.op, value: x.value ?? null })) }],
    validateOnly,
  });
  return res.responses[0];
}

async function alter(type: number, name: string, configs: Record<string, string | null>, validateOnly = false, version = 2): Promise<{ errorCode: number; errorMessage: string | null }> {
  const res = await c.request(33, version, {
    resources: [{ resourceType: type, resourceName: name, configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
    validateOnly,
  });
  return res.responses[0];
}

async function describeConfigs(type: number, name: string, keys: string[] | null = null): Promise<{ errorCode: number; configs: Map<string, any> }> {
  const res = await c.request(32, 4, { resources: [{ resourceType: type, resourceName: name, configurationKeys: keys }], includeSynonyms: true, includeDocumentation: false });
  const r = res.results[0];
  return { errorCode: r.errorCode, configs: new Map(r.configs.map((e: any) => [e.name, e])) };
}

function segmentCount(topic: string): number {
  return readdirSync(join(broker.dataDir, `${topic}-0`)).filter((f) => f.endsWith('.log')).length;
}

describe('topic configs', () => {
  it('IncrementalAlterConfigs SET/DELETE/APPEND/SUBTRACT, shown by DescribeConfigs with source and synonyms', async () => {
    assert.equal(await c.createTopic('cfg-inc', 1, { 'retention.ms': 3_600_000 }), 0);
    let r = await incremental(TOPIC, 'cfg-inc', [
      { name: 'retention.bytes', op: OP.SET, value: '123456' },
      { name: 'retention.ms', op: OP.DELETE },
      { name: 'cleanup.policy', op: OP.APPEND, value: 'compact' },
    ]);
    assert.equal(r.errorCode, E.NONE, r.errorMessage ?? '');
    let d = await describeConfigs(TOPIC, 'cfg-inc');
    assert.equal(d.configs.get('retention.bytes').value, '123456');
    assert.equal(d.configs.get('retention.bytes').configSource, SRC.DYNAMIC_TOPIC_CONFIG);
    assert.equal(d.configs.get('retention.ms').configSource, SRC.DEFAULT_CONFIG, 'deleted override falls back to the default');
    assert.equal(d.configs.get('cleanup.policy').value, 'delete,compact');
    const syn = d.configs.get('retention.bytes').synonyms.map((s: any) => [s.name, s.source]);
    assert.deepEqual(syn[0], ['retention.bytes', SRC.DYNAMIC_TOPIC_CONFIG]);
    assert.ok(syn.some((s: any) => s[0] === 'log.retention.bytes' && s[1] === SRC.DEFAULT_CONFIG));
    r = await incremental(TOPIC, 'cfg-inc', [{ name: 'cleanup.policy', op: OP.SUBTRACT, value: 'delete' }]);
    assert.equal(r.errorCode, E.NONE);
    d = await describeConfigs(TOPIC, 'cfg-inc', ['cleanup.policy', 'retention.bytes']);
    assert.equal(d.configs.size, 2);
    assert.equal(d.configs.get('cleanup.policy').value, 'compact');
    assert.equal(d.configs.get('retention.bytes').value, '123456', 'other overrides untouched by incremental ops');
  });

  it('AlterConfigs replaces the whole override set', async () => {
    assert.equal(await c.createTopic('cfg-alter', 1, { 'retention.ms': 1000, 'segment.bytes': 100000 }), 0);
    const r = await alter(TOPIC, 'cfg-alter', { 'max.message.bytes': '2048', 'retention.bytes': null });
    assert.equal(r.errorCode, E.NONE, r.errorMessage ?? '');
    const d = await describeConfigs(TOPIC, 'cfg-alter');
    assert.equal(d.configs.get('max.message.bytes').value, '2048');
    assert.equal(d.configs.get('retention.ms').configSource, SRC.DEFAULT_CONFIG, 'overrides not in the request are removed');
    assert.equal(d.configs.get('segment.bytes').configSource, SRC.DEFAULT_CONFIG);
    assert.equal(d.configs.get('retention.bytes').configSource, SRC.DEFAULT_CONFIG, 'null values are dropped');
    // v0 works too, and max.message.bytes applies to produce at once.
    assert.equal((await alter(TOPIC, 'cfg-alter', { 'max.message.bytes': '200' }, false, 0)).errorCode, E.NONE);
    const big = encodeRecordBatch({ records: [{ key: 'k', value: 'x'.repeat(500) }] });
    assert.equal((await c.produce('cfg-alter', 0, big)).errorCode, 10, 'MESSAGE_TOO_LARGE after lowering max.message.bytes');
  });

  it('rejects unknown names, bad values, duplicates and non-list APPEND; validateOnly changes nothing', async () => {
    assert.equal(await c.createTopic('cfg-bad', 1), 0);
    assert.equal((await incremental(TOPIC, 'cfg-bad', [{ name: 'no.such.config', op: OP.SET, value: '1' }])).errorCode, E.INVALID_CONFIG);
    assert.equal((await incremental(TOPIC, 'cfg-bad', [{ name: 'retention.ms', op: OP.SET, value: 'soon' }])).errorCode, E.INVALID_CONFIG);
    assert.equal((await incremental(TOPIC, 'cfg-bad', [{ name: 'cleanup.policy', op: OP.SET, value: 'shred' }])).errorCode, E.INVALID_CONFIG);
    assert.equal((await incremental(TOPIC, 'cfg-bad', [{ name: 'min.cleanable.dirty.ratio', op: OP.SET, value: '1.5' }])).errorCode, E.INVALID_CONFIG);
    assert.equal((await incremental(TOPIC, 'cfg-bad', [{ name: 'retention.ms', op: OP.APPEND, value: '5' }])).errorCode, E.INVALID_CONFIG);
    assert.equal((await incremental(TOPIC, 'cfg-bad', [{ name: 'retention.ms', op: OP.SET, value: null }])).errorCode, E.INVALID_REQUEST);
    assert.equal((await incremental(TOPIC, 'cfg-bad', [{ name: 'retention.ms', op: OP.SET, value: '1' }, { name: 'retention.ms', op: OP.DELETE }])).errorCode, E.INVALID_REQUEST);
    assert.equal((await incremental(TOPIC, 'cfg-bad', [{ name: 'min.compaction.lag.ms', op: OP.SET, value: '100' }, { name: 'max.compaction.lag.ms', op: OP.SET, value: '10' }])).errorCode, E.INVALID_CONFIG);
    assert.equal((await incremental(TOPIC, 'no-such-topic', [{ name: 'retention.ms', op: OP.SET, value: '1' }])).errorCode, E.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal((await incremental(TOPIC, 'cfg-bad', [{ name: 'retention.ms', op: OP.SET, value: '77' }], true)).errorCode, E.NONE);
    assert.equal((await alter(TOPIC, 'cfg-bad', { 'retention.ms': '77' }, true)).errorCode, E.NONE);
    assert.equal((await describeConfigs(TOPIC, 'cfg-bad')).configs.get('retention.ms').configSource, SRC.DEFAULT_CONFIG, 'validateOnly did not apply');
    const dup = await c.request(44, 1, {
      resources: [0, 1].map(() => ({ resourceType: TOPIC, resourceName: 'cfg-bad', configs: [{ name: 'retention.ms', configOperation: OP.SET, value: '5' }] })),
      validateOnly: false,
    });
    assert.deepEqual(dup.responses.map((x: any) => x.errorCode), [E.INVALID_REQUEST, E.INVALID_REQUEST]);
  });

  it('lowering retention.ms deletes old segments at the next retention check', async () => {
    assert.equal(await c.createTopic('cfg-ret', 1, { 'segment.bytes': 2048 }), 0);
    const old = BigInt(Date.now() - 3_600_000);
    for (let i = 0; i < 40; i++) {
      const res = await c.produce('cfg-ret', 0, encodeRecordBatch({ records: Array.from({ length: 5 }, (_, j) => ({ value: `v${i}-${j}-${'p'.repeat(60)}`, timestamp: old })) }));
      assert.equal(res.errorCode, 0);
    }
    const before = segmentCount('cfg-ret');
    assert.ok(before > 3);
    // A witness topic with the same hour-old data and retention.ms=60000: once a retention check
    // has emptied it, that check has also looked at cfg-ret (no fixed sleep).
    assert.equal(await c.createTopic('cfg-ret-witness', 1, { 'segment.bytes': 2048, 'retention.ms': 60000 }), 0);
    for (let i = 0; i < 10; i++) {
      const res = await c.produce('cfg-ret-witness', 0, encodeRecordBatch({ records: Array.from({ length: 5 }, (_, j) => ({ value: `w${i}-${j}-${'p'.repeat(60)}`, timestamp: old })) }));
      assert.equal(res.errorCode, 0);
    }
    await waitFor(() => segmentCount('cfg-ret-witness') === 1, 10_000, 'a retention check on the witness topic');
    assert.equal(segmentCount('cfg-ret'), before, 'default retention (7 days) keeps hour-old data');
    assert.equal((await incremental(TOPIC, 'cfg-ret', [{ name: 'retention.ms', op: OP.SET, value: '60000' }])).errorCode, E.NONE);
    await waitFor(() => segmentCount('cfg-ret') === 1, 10_000, 'retention after lowering retention.ms');
    assert.ok((await c.listOffset('cfg-ret', 0, -2n)).offset > 0n);
  });

  it('compacted topics reject records without a key; compression.type recompresses', async () => {
    assert.equal(await c.createTopic('cfg-compact', 1, { 'cleanup.policy': 'compact' }), 0);
    const keyless = await c.produce('cfg-compact', 0, encodeRecordBatch({ records: [{ key: 'a', value: '1' }, { key: null, value: '2' }], compression: CompressionType.gzip }));
    assert.equal(keyless.errorCode, E.INVALID_RECORD);
    assert.equal((await c.produce('cfg-compact', 0, encodeRecordBatch({ records: [{ key: 'a', value: '1' }] }))).errorCode, 0);
    assert.equal(await c.createTopic('cfg-zstd', 1, { 'compression.type': 'zstd' }), 0);
    assert.equal((await c.produce('cfg-zstd', 0, encodeRecordBatch({ records: [{ value: 'hello' }, { value: 'world' }], compression: CompressionType.gzip }))).errorCode, 0);
    let fetched = await c.fetchOnce('cfg-zstd', 0, 0n);
    let batches = decodeRecordBatches(fetched.records!, { verifyCrc: true });
    assert.equal(batches[0]!.compression, CompressionType.zstd);
    assert.deepEqual(batches[0]!.records.map((r) => r.value!.toString()), ['hello', 'world']);
    assert.equal((await incremental(TOPIC, 'cfg-zstd', [{ name: 'compression.type', op: OP.SET, value: 'uncompressed' }])).errorCode, E.NONE);
    assert.equal((await c.produce('cfg-zstd', 0, encodeRecordBatch({ records: [{ value: 'plain' }], compression: CompressionType.lz4 }))).errorCode, 0);
    fetched = await c.fetchOnce('cfg-zstd', 0, 2n);
    batches = decodeRecordBatches(fetched.records!, { verifyCrc: true });
    assert.equal(batches.at(-1)!.compression, CompressionType.none);
  });
});

describe('dynamic broker configs', () => {
  it('cluster default and per-broker values, sources, and their effect on topics without overrides', async () => {
    assert.equal(await c.createTopic('cfg-dyn', 1), 0);
    assert.equal((await incremental(BROKER, '', [{ name: 'log.retention.ms', op: OP.SET, value: '5000000' }])).errorCode, E.NONE);
    let t = await describeConfigs(TOPIC, 'cfg-dyn', ['retention.ms']);
    assert.equal(t.configs.get('retention.ms').value, '5000000');
    assert.equal(t.configs.get('retention.ms').configSource, SRC.DYNAMIC_DEFAULT_BROKER_CONFIG);
    assert.equal((await incremental(BROKER, '1', [{ name: 'log.retention.ms', op: OP.SET, value: '6000000' }])).errorCode, E.NONE);
    t = await describeConfigs(TOPIC, 'cfg-dyn', ['retention.ms']);
    assert.equal(t.configs.get('retention.ms').value, '6000000');
    assert.equal(t.configs.get('retention.ms').configSource, SRC.DYNAMIC_BROKER_CONFIG);
    assert.deepEqual(
      t.configs.get('retention.ms').synonyms.map((s: any) => [s.name, s.source]).slice(0, 2),
      [['log.retention.ms', SRC.DYNAMIC_BROKER_CONFIG], ['log.retention.ms', SRC.DYNAMIC_DEFAULT_BROKER_CONFIG]],
    );
    const b = await describeConfigs(BROKER, '1', ['log.retention.ms', 'log.dirs', 'log.cleanup.policy']);
    assert.equal(b.configs.get('log.retention.ms').value, '6000000');
    assert.equal(b.configs.get('log.retention.ms').readOnly, false);
    assert.equal(b.configs.get('log.dirs').readOnly, true);
    const def = await describeConfigs(BROKER, '');
    assert.deepEqual([...def.configs.keys()], ['log.retention.ms'], 'the cluster default resource lists only dynamic defaults');
    // Full replace through AlterConfigs on the broker resource removes the per-broker value.
    assert.equal((await alter(BROKER, '1', { 'log.cleanup.policy': 'compact,delete' })).errorCode, E.NONE);
    t = await describeConfigs(TOPIC, 'cfg-dyn', ['retention.ms', 'cleanup.policy']);
    assert.equal(t.configs.get('retention.ms').value, '5000000');
    assert.equal(t.configs.get('cleanup.policy').value, 'compact,delete');
    assert.equal((await alter(BROKER, '1', {})).errorCode, E.NONE);
  });

  it('rejects non-dynamic keys (INVALID_REQUEST), bad values (INVALID_CONFIG) and other broker ids', async () => {
    assert.equal((await incremental(BROKER, '1', [{ name: 'log.dirs', op: OP.SET, value: '/tmp/x' }])).errorCode, E.INVALID_REQUEST);
    assert.equal((await incremental(BROKER, '', [{ name: 'no.such.key', op: OP.SET, value: '1' }])).errorCode, E.INVALID_REQUEST);
    assert.equal((await incremental(BROKER, '1', [{ name: 'log.retention.ms', op: OP.SET, value: 'abc' }])).errorCode, E.INVALID_CONFIG);
    assert.equal((await incremental(BROKER, '7', [{ name: 'log.retention.ms', op: OP.SET, value: '1' }])).errorCode, E.INVALID_REQUEST);
    assert.equal((await alter(BROKER, '1', { 'log.segment.bytes': '5' })).errorCode, E.INVALID_CONFIG);
    assert.equal((await incremental(BROKER, '1', [{ name: 'message.max.bytes', op: OP.SET, value: '5000' }], true)).errorCode, E.NONE);
    assert.equal((await describeConfigs(BROKER, '1', ['message.max.bytes'])).configs.get('message.max.bytes').configSource, SRC.DEFAULT_CONFIG);
  });

  it('topic and broker configs persist across a restart', async () => {
    assert.equal(await c.createTopic('cfg-persist', 1), 0);
    assert.equal((await incremental(TOPIC, 'cfg-persist', [{ name: 'retention.ms', op: OP.SET, value: '4242000' }])).errorCode, E.NONE);
    assert.equal((await incremental(BROKER, '', [{ name: 'log.cleaner.backoff.ms', op: OP.SET, value: '1234' }])).errorCode, E.NONE);
    c.close();
    await broker.stop();
    broker = await startBrokerProcess({ dataDir: broker.dataDir, overrides: { 'log.retention.check.interval.ms': 200, 'log.segment.delete.delay.ms': 0 } });
    c = await WireClient.connect(broker.port);
    const t = await describeConfigs(TOPIC, 'cfg-persist', ['retention.ms']);
    assert.equal(t.configs.get('retention.ms').value, '4242000');
    const b = await describeConfigs(BROKER, '1', ['log.cleaner.backoff.ms']);
    assert.equal(b.configs.get('log.cleaner.backoff.ms').value, '1234');
    assert.equal(b.configs.get('log.cleaner.backoff.ms').configSource, SRC.DYNAMIC_DEFAULT_BROKER_CONFIG);
  });
});
