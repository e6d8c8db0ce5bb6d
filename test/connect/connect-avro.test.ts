/**
 * io.confluent.connect.avro.AvroConverter against Samsa's schema registry (in the broker's
 * process): a source's structured records (with a Connect schema, a field cast by Cast$Value and
 * one copied to a header by HeaderFrom$Value) are written in the registry's wire format — magic
 * byte 0, the schema id, Avro binary — checked by reading the raw bytes with kafkajs and decoding
 * them with @kafkajs/confluent-schema-registry (and avsc with the schema fetched by id); a sink
 * with the same converter gets the values and schemas back, also for records that
 * @kafkajs/confluent-schema-registry encoded with a schema of its own; bytes without the magic
 * byte go to the dead letter queue (errors.tolerance=all) with the converter's DataException.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { Kafka, logLevel } from 'kafkajs';
import type { ConnectRecord, ConnectSchema, ConnectorPlugin, SinkTask, SourceTask } from '../../src/connect/api.js';
import { PluginRegistry } from '../../src/connect/plugins.js';
import { ConnectWorker } from '../../src/connect/worker.js';
import { startBrokerWithRegistry, type BrokerWithRegistry } from '../helpers/registry.js';
import { expectStatus, http, waitFor } from './connect-helpers.js';

let env: BrokerWithRegistry;

before(async () => {
  env = await startBrokerWithRegistry({ 'group.min.session.timeout.ms': 1000, 'offsets.topic.num.partitions': 10 });
});

after(async () => {
  await env?.stop();
});

const SCHEMA: ConnectSchema = {
  type: 'struct',
  name: 'com.example.Person',
  fields: [
    { field: 'id', type: 'int64' },
    { field: 'name', type: 'string' },
    { field: 'qty', type: 'string' },
    { field: 'score', type: 'float64', optional: true },
    { field: 'active', type: 'boolean' },
    { field: 'born', type: 'int64', name: 'org.apache.kafka.connect.data.Timestamp' },
    { field: 'tags', type: 'array', items: { type: 'string' } },
    { field: 'photo', type: 'bytes', optional: true },
  ],
};

const person = (i: number): Record<string, unknown> => ({ id: i, name: `person-${i}`, qty: String(i * 2), score: i % 2 === 0 ? i / 4 : null, active: i % 3 === 0, born: Date.UTC(2000, 0, 1) + i * 86_400_000, tags: [`t${i}`, 'x'], photo: i === 1 ? Buffer.from([0, 1, 2, 255]) : null });

const N = 20;

/** A source emitting N structured records with SCHEMA (and a string key). */
const peopleSource: ConnectorPlugin = {
  className: 'com.example.PeopleSource',
  aliases: ['PeopleSource'],
  type: 'source',
  version: '1.0.0',
  config: [],
  taskConfigs: (config) => [{ topic: config['topic'] ?? '' }],
  createSourceTask: (): SourceTask => {
    let topic = '';
    let sent = false;
    return {
      async start(config) {
        topic = config['topic'] ?? '';
      },
      async poll() {
        if (sent) return [];
        sent = true;
        return Array.from({ length: N }, (_, i): ConnectRecord => ({ topic, kafkaPartition: 0, key: `k${i + 1}`, keySchema: { type: 'string' }, value: person(i + 1), valueSchema: SCHEMA, timestamp: null, headers: [], sourcePartition: { s: 'people' }, sourceOffset: { i: i + 1 } }));
      },
      async stop() {},
    };
  },
};

const received: ConnectRecord[] = [];
const collectingSink: ConnectorPlugin = {
  className: 'com.example.CollectingSink',
  aliases: ['CollectingSink'],
  type: 'sink',
  version: '1.0.0',
  config: [],
  taskConfigs: () => [{}],
  createSinkTask: (): SinkTask => ({
    async start() {},
    async put(records) {
      received.push(...records);
    },
    async flush() {},
    async stop() {},
  }),
};

test('AvroConverter: wire format with registered schemas, read back by a sink; Cast and HeaderFrom on the way; bad bytes to the DLQ', { timeout: 180_000 }, async (t) => {
  const kafka = new Kafka({ brokers: [env.broker.bootstrap], clientId: 'connect-avro-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'avro-people', numPartitions: 1 }, { topic: 'avro-ext', numPartitions: 1 }] });
  await admin.disconnect();
  // A record that is not in the wire format: the sink's converter refuses it.
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'avro-people', messages: [{ key: 'bad', value: 'not avro' }] });
  // Records another client encoded, with a schema it registered (a nested record, an enum, a map).
  const registry = new SchemaRegistry({ host: env.url });
  const extSchema = { type: 'record', name: 'Ext', namespace: 'org.other', fields: [{ name: 'n', type: 'long' }, { name: 'note', type: ['null', 'string'], default: null }, { name: 'inner', type: { type: 'record', name: 'Inner', fields: [{ name: 'x', type: 'int' }] } }, { name: 'color', type: { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN'] } }, { name: 'attrs', type: { type: 'map', values: 'double' } }] };
  const { id: extId } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(extSchema) }, { subject: 'avro-ext-value' });
  const ext = [{ n: 1, note: null, inner: { x: 5 }, color: 'GREEN', attrs: { a: 1.5 } }, { n: 2, note: 'hi', inner: { x: -1 }, color: 'RED', attrs: {} }];
  await producer.send({ topic: 'avro-ext', messages: await Promise.all(ext.map(async (v) => ({ key: `e${v.n}`, value: await registry.encode(extId, v) }))) });
  await producer.disconnect();

  const plugins = new PluginRegistry();
  plugins.register(peopleSource);
  plugins.register(collectingSink);
  const worker = await ConnectWorker.start({ mode: 'standalone', bootstrap: [env.broker.bootstrap], port: 0, plugins, workerConfig: { 'offset.flush.interval.ms': '200', 'key.converter': 'org.apache.kafka.connect.storage.StringConverter', 'value.converter': 'io.confluent.connect.avro.AvroConverter', 'value.converter.schema.registry.url': env.url }, log: () => undefined });
  t.after(() => worker.close());
  expectStatus(await http('POST', `${worker.url}/connectors`, { name: 'people-source', config: { 'connector.class': 'PeopleSource', topic: 'avro-people', transforms: 'qty,hdr', 'transforms.qty.type': 'org.apache.kafka.connect.transforms.Cast$Value', 'transforms.qty.spec': 'qty:int32', 'transforms.hdr.type': 'org.apache.kafka.connect.transforms.HeaderFrom$Value', 'transforms.hdr.fields': 'name', 'transforms.hdr.headers': 'person-name', 'transforms.hdr.operation': 'copy' } }), 201, 'create source');
  expectStatus(await http('POST', `${worker.url}/connectors`, { name: 'people-sink', config: { 'connector.class': 'CollectingSink', topics: 'avro-people,avro-ext', 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': 'avro-dlq', 'errors.deadletterqueue.topic.replication.factor': '1', 'errors.deadletterqueue.context.headers.enable': 'true' } }), 201, 'create sink');

  await waitFor(`${N + ext.length} records in the sink`, () => {
    if (received.length > N + ext.length) assert.fail(`${received.length} records for ${N + ext.length}`);
    return received.length === N + ext.length;
  }, 120_000);
  const fromExt = received.filter((r) => r.topic === 'avro-ext');
  assert.deepEqual(fromExt.map((r) => r.value), ext);
  assert.deepEqual(fromExt[0]?.valueSchema?.fields?.map((f) => [f.field, f.type, f.optional ?? false]), [['n', 'int64', false], ['note', 'string', true], ['inner', 'struct', false], ['color', 'string', false], ['attrs', 'map', false]]);
  assert.equal(fromExt[0]?.valueSchema?.name, 'org.other.Ext');
  received.splice(0, received.length, ...received.filter((r) => r.topic === 'avro-people'));
  const expected = Array.from({ length: N }, (_, i) => ({ ...person(i + 1), qty: (i + 1) * 2 }));
  assert.deepEqual(received.map((r) => r.value), expected);
  assert.deepEqual(received.map((r) => r.key), Array.from({ length: N }, (_, i) => `k${i + 1}`));
  const schema = received[0]?.valueSchema;
  assert.equal(schema?.name, 'com.example.Person');
  assert.deepEqual(schema?.fields?.map((f) => [f.field, f.type, f.optional ?? false, f.name ?? null]), [
    ['id', 'int64', false, null],
    ['name', 'string', false, null],
    ['qty', 'int32', false, null],
    ['score', 'float64', true, null],
    ['active', 'boolean', false, null],
    ['born', 'int64', false, 'org.apache.kafka.connect.data.Timestamp'],
    ['tags', 'array', false, null],
    ['photo', 'bytes', true, null],
  ]);
  assert.deepEqual(received[0]?.headers.map((h) => [h.key, h.value?.toString()]), [['person-name', 'person-1']]);

  // The bytes on the topic, read independently: wire format, schema by id from the registry, avsc.
  const consumer = kafka.consumer({ groupId: 'avro-raw-reader' });
  await consumer.connect();
  t.after(() => consumer.disconnect());
  await consumer.subscribe({ topic: 'avro-people', fromBeginning: true });
  const raw: Buffer[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void raw.push(message.value ?? Buffer.alloc(0)) });
  await waitFor('the raw records', () => raw.length >= N + 1);
  const good = raw.slice(1);
  assert.ok(good.every((b) => b[0] === 0), 'magic byte 0');
  const id = good[0]?.readUInt32BE(1) ?? -1;
  assert.ok(good.every((b) => b.readUInt32BE(1) === id), 'one schema id');
  const bySchema = (await http('GET', `${env.url}/schemas/ids/${id}`)).json as { schema: string };
  const avroSchema = JSON.parse(bySchema.schema) as { type: string; name: string; fields: { name: string; type: unknown }[] };
  assert.equal(avroSchema.type, 'record');
  assert.equal(avroSchema.name, 'com.example.Person');
  assert.deepEqual(avroSchema.fields.find((f) => f.name === 'qty')?.type, 'int');
  assert.deepEqual(avroSchema.fields.find((f) => f.name === 'score')?.type, ['null', 'double']);
  const type = avro.Type.forSchema(avroSchema as avro.Schema, { wrapUnions: false });
  const decoded = good.map((b) => ({ ...(type.fromBuffer(b.subarray(5)) as Record<string, unknown>) }));
  assert.deepEqual(decoded, expected);
  // The other client reads Samsa's bytes too.
  const byClient = await Promise.all(good.map(async (b) => ({ ...((await registry.decode(b)) as Record<string, unknown>) })));
  assert.deepEqual(byClient, expected);
  assert.deepEqual(((await http('GET', `${env.url}/subjects`)).json as string[]).sort(), ['avro-ext-value', 'avro-people-value']);

  // The record without the magic byte: DLQ with the converter's error.
  const dlq = kafka.consumer({ groupId: 'avro-dlq-reader' });
  await dlq.connect();
  t.after(() => dlq.disconnect());
  await dlq.subscribe({ topic: 'avro-dlq', fromBeginning: true });
  const dead: { value: string; headers: Record<string, string> }[] = [];
  await dlq.run({ eachMessage: async ({ message }) => void dead.push({ value: message.value?.toString() ?? '', headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) }) });
  await waitFor('the DLQ record', () => dead.length >= 1);
  assert.equal(dead[0]?.value, 'not avro');
  assert.equal(dead[0]?.headers['__connect.errors.stage'], 'VALUE_CONVERTER');
  assert.equal(dead[0]?.headers['__connect.errors.class.name'], 'io.confluent.connect.avro.AvroConverter');
  assert.match(dead[0]?.headers['__connect.errors.exception.message'] ?? '', /Unknown magic byte/);
});
