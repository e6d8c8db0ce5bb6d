/**
 * Converters and single message transforms by Kafka's class names and settings: StringConverter,
 * JsonConverter with and without the schemas.enable envelope, ByteArrayConverter; InsertField,
 * ReplaceField, MaskField, ValueToKey, ExtractField, TimestampRouter, RegexRouter, Filter with
 * TopicNameMatches / HasHeaderKey / RecordIsTombstone predicates (and negate); error settings.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectRecord } from '../../src/connect/api.js';
import { createConverter } from '../../src/connect/converters.js';
import { errorSettings, execute, Stage, ToleranceExceededError, type FailureContext } from '../../src/connect/errors.js';
import { RetriableError } from '../../src/connect/api.js';
import { applyTransforms, buildTransforms } from '../../src/connect/transforms.js';

const rec = (over: Partial<ConnectRecord> = {}): ConnectRecord => ({ topic: 'orders', kafkaPartition: 2, kafkaOffset: 41n, key: null, value: { id: 7, name: 'ann', card: '4111', qty: 3 }, timestamp: Date.UTC(2024, 4, 17, 10, 0, 0), headers: [], ...over });

test('converters: String, Json with and without the schema envelope, ByteArray', async () => {
  const s = createConverter({ 'value.converter': 'org.apache.kafka.connect.storage.StringConverter' }, 'value.converter');
  assert.deepEqual(await s.fromConnectData('t', null, 'héllo'), Buffer.from('héllo'));
  assert.equal((await s.toConnectData('t', Buffer.from('x'))).value, 'x');
  assert.equal(await s.fromConnectData('t', null, null), null);

  const env = createConverter({ 'value.converter': 'org.apache.kafka.connect.json.JsonConverter' }, 'value.converter');
  const bytes = await env.fromConnectData('t', null, { id: 1, name: 'a' });
  assert.deepEqual(JSON.parse(bytes?.toString() ?? ''), { schema: { type: 'struct', optional: true, fields: [{ type: 'int64', optional: true, field: 'id' }, { type: 'string', optional: true, field: 'name' }] }, payload: { id: 1, name: 'a' } });
  assert.deepEqual((await env.toConnectData('t', bytes)).value, { id: 1, name: 'a' });
  assert.throws(() => env.toConnectData('t', Buffer.from('{"id":1}')), /schemas.enable/);

  const plain = createConverter({ 'key.converter': 'JsonConverter', 'key.converter.schemas.enable': 'false' }, 'key.converter');
  assert.equal((await plain.fromConnectData('t', null, { id: 1 }))?.toString(), '{"id":1}');
  assert.deepEqual((await plain.toConnectData('t', Buffer.from('[1,2]'))).value, [1, 2]);
  assert.throws(() => plain.toConnectData('t', Buffer.from('{"id":')), (e: Error) => e.name === 'DataException');

  const b = createConverter({ 'value.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter' }, 'value.converter');
  assert.deepEqual(await b.fromConnectData('t', null, Buffer.from([1, 2])), Buffer.from([1, 2]));
  assert.throws(() => b.fromConnectData('t', null, 'str'), /ByteArrayConverter/);
  assert.throws(() => createConverter({ 'value.converter': 'com.example.Nope' }, 'value.converter'), /could not be found/);
});

test('SMTs by class name: InsertField, ReplaceField, MaskField, ValueToKey, ExtractField, routers', () => {
  const chain = buildTransforms({
    transforms: 'insert,replace,mask,key,route',
    'transforms.insert.type': 'org.apache.kafka.connect.transforms.InsertField$Value',
    'transforms.insert.topic.field': 'src_topic',
    'transforms.insert.offset.field': 'src_offset',
    'transforms.insert.static.field': 'dc',
    'transforms.insert.static.value': 'eu-1',
    'transforms.replace.type': 'org.apache.kafka.connect.transforms.ReplaceField$Value',
    'transforms.replace.exclude': 'qty',
    'transforms.replace.renames': 'name:customer',
    'transforms.mask.type': 'org.apache.kafka.connect.transforms.MaskField$Value',
    'transforms.mask.fields': 'card',
    'transforms.mask.replacement': '****',
    'transforms.key.type': 'org.apache.kafka.connect.transforms.ValueToKey',
    'transforms.key.fields': 'id',
    'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter',
    'transforms.route.regex': '(.*)rders',
    'transforms.route.replacement': '$1rders-copy',
  });
  const out = applyTransforms(chain, rec());
  assert.deepEqual(out?.value, { id: 7, customer: 'ann', card: '****', src_topic: 'orders', src_offset: 41, dc: 'eu-1' });
  assert.deepEqual(out?.key, { id: 7 });
  assert.equal(out?.topic, 'orders-copy');

  const extract = buildTransforms({ transforms: 'x,ts', 'transforms.x.type': 'org.apache.kafka.connect.transforms.ExtractField$Value', 'transforms.x.field': 'name', 'transforms.ts.type': 'org.apache.kafka.connect.transforms.TimestampRouter', 'transforms.ts.topic.format': '${topic}_${timestamp}', 'transforms.ts.timestamp.format': 'yyyy-MM-dd' });
  const e = applyTransforms(extract, rec());
  assert.deepEqual([e?.value, e?.topic], ['ann', 'orders_2024-05-17']);
  const masked = applyTransforms(buildTransforms({ transforms: 'm', 'transforms.m.type': 'MaskField$Value', 'transforms.m.fields': 'qty,name' }), rec());
  assert.deepEqual(masked?.value, { id: 7, name: '', card: '4111', qty: 0 });
  assert.throws(() => buildTransforms({ transforms: 'a', 'transforms.a.type': 'org.apache.kafka.connect.transforms.InsertField' }), /\$Key or \$Value/);
  assert.throws(() => buildTransforms({ transforms: 'a' }), /transforms.a.type/);
});

test('Filter with predicates (TopicNameMatches, HasHeaderKey, RecordIsTombstone, negate)', () => {
  const chain = buildTransforms({
    transforms: 'dropTombstones,keepOnlyOrders,dropMarked',
    'transforms.dropTombstones.type': 'org.apache.kafka.connect.transforms.Filter',
    'transforms.dropTombstones.predicate': 'isTombstone',
    'transforms.keepOnlyOrders.type': 'org.apache.kafka.connect.transforms.Filter',
    'transforms.keepOnlyOrders.predicate': 'isOrders',
    'transforms.keepOnlyOrders.negate': 'true',
    'transforms.dropMarked.type': 'Filter',
    'transforms.dropMarked.predicate': 'marked',
    predicates: 'isTombstone,isOrders,marked',
    'predicates.isTombstone.type': 'org.apache.kafka.connect.transforms.predicates.RecordIsTombstone',
    'predicates.isOrders.type': 'org.apache.kafka.connect.transforms.predicates.TopicNameMatches',
    'predicates.isOrders.pattern': 'ord.*',
    'predicates.marked.type': 'org.apache.kafka.connect.transforms.predicates.HasHeaderKey',
    'predicates.marked.name': 'skip',
  });
  assert.notEqual(applyTransforms(chain, rec()), null);
  assert.equal(applyTransforms(chain, rec({ value: null })), null);
  assert.equal(applyTransforms(chain, rec({ topic: 'payments' })), null);
  assert.equal(applyTransforms(chain, rec({ headers: [{ key: 'skip', value: null }] })), null);
  assert.throws(() => buildTransforms({ transforms: 'f', 'transforms.f.type': 'Filter', 'transforms.f.predicate': 'undefinedOne' }), /predicate/);
});

test('error settings: errors.tolerance, retry and DLQ keys', () => {
  assert.deepEqual(errorSettings({}), { tolerateAll: false, retryTimeoutMs: 0, retryDelayMaxMs: 60_000, logEnable: false, dlqTopic: null, dlqReplicationFactor: 3, dlqContextHeaders: false });
  const s = errorSettings({ 'errors.tolerance': 'all', 'errors.retry.timeout': '30000', 'errors.deadletterqueue.topic.name': 'dlq', 'errors.deadletterqueue.context.headers.enable': 'true' });
  assert.deepEqual([s.tolerateAll, s.retryTimeoutMs, s.dlqTopic, s.dlqContextHeaders], [true, 30_000, 'dlq', true]);
  assert.throws(() => errorSettings({ 'errors.tolerance': 'some' }), /errors.tolerance/);
});

test('execute: a RetriableError is retried within errors.retry.timeout; otherwise tolerance decides', async () => {
  let calls = 0;
  const flaky = (): string => {
    calls++;
    if (calls < 3) throw new RetriableError('not yet');
    return 'done';
  };
  const tolerated: FailureContext[] = [];
  const report = async (f: FailureContext): Promise<void> => void tolerated.push(f);
  const ok = await execute(errorSettings({ 'errors.retry.timeout': '10000', 'errors.retry.delay.max.ms': '50' }), Stage.TASK_PUT, 'x', flaky, report);
  assert.deepEqual([ok, calls], [{ ok: true, value: 'done' }, 3]);
  calls = 0;
  await assert.rejects(execute(errorSettings({}), Stage.TASK_PUT, 'x', flaky, report), (e: Error) => e instanceof ToleranceExceededError && /stage TASK_PUT/.test(e.message));
  assert.equal(calls, 1, 'errors.retry.timeout=0: no retry');
  const skipped = await execute(errorSettings({ 'errors.tolerance': 'all' }), Stage.VALUE_CONVERTER, 'conv', () => { throw new Error('bad'); }, report);
  assert.deepEqual(skipped, { ok: false });
  assert.deepEqual(tolerated.map((f) => [f.stage, f.className, (f.error as Error).message]), [['VALUE_CONVERTER', 'conv', 'bad']]);
});
