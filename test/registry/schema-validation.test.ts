/**
 * Broker-side schema id validation: a topic with samsa.value.schema.validation=true (or
 * samsa.key.schema.validation) accepts only records whose value (key) is in Confluent's wire
 * format with a registered schema id; anything else fails the batch with INVALID_RECORD. Produced
 * with kafkajs; ids registered through the registry served by the broker, and through a
 * standalone registry (the broker then follows `_schemas` itself).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { startBroker } from '../../src/index.js';
import { startRegistry } from '../../src/registry/registry.js';
import { startBrokerWithRegistry } from '../helpers/registry.js';

const schema = JSON.stringify({ type: 'record', name: 'V', fields: [{ name: 'n', type: 'int' }] });

async function rejected(p: Producer, topic: string, message: { key?: Buffer | string; value: Buffer | string | null }): Promise<string> {
  try {
    await p.send({ topic, messages: [message], acks: -1 });
  } catch (e) {
    const err = e as Error & { type?: string; originalError?: { type?: string } };
    return err.type ?? err.originalError?.type ?? err.message;
  }
  return 'accepted';
}

function framed(id: number, body = Buffer.from([2])): Buffer {
  const b = Buffer.alloc(5);
  b.writeInt32BE(id, 1);
  return Buffer.concat([b, body]);
}

test('samsa.value/key.schema.validation: registered ids in Confluent framing pass, others fail with INVALID_RECORD; other topics are untouched', async (t) => {
  const env = await startBrokerWithRegistry();
  t.after(() => env.stop());
  const registry = new SchemaRegistry({ host: env.url });
  const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject: 'checked-value' });
  const kafka = new Kafka({ clientId: 'sv', brokers: [env.broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: 'checked', configEntries: [{ name: 'samsa.value.schema.validation', value: 'true' }] },
      { topic: 'checked-keys', configEntries: [{ name: 'samsa.key.schema.validation', value: 'true' }] },
      { topic: 'free' },
    ],
  });
  await admin.disconnect();
  const p = kafka.producer({ retry: { retries: 0 } });
  await p.connect();
  t.after(() => p.disconnect());
  const good = await registry.encode(id, { n: 7 });
  assert.equal(await rejected(p, 'checked', { value: good }), 'accepted');
  assert.equal(await rejected(p, 'checked', { value: 'plain text' }), 'INVALID_RECORD');
  assert.equal(await rejected(p, 'checked', { value: framed(987_654) }), 'INVALID_RECORD', 'an id nobody registered');
  assert.equal(await rejected(p, 'checked', { value: null, key: 'k' }), 'accepted', 'a tombstone carries no schema');
  assert.equal(await rejected(p, 'checked-keys', { key: 'plain key', value: 'anything' }), 'INVALID_RECORD');
  assert.equal(await rejected(p, 'checked-keys', { key: good, value: 'anything' }), 'accepted');
  assert.equal(await rejected(p, 'free', { value: 'plain text' }), 'accepted');
  // A batch with one bad record among good ones is refused whole.
  await assert.rejects(p.send({ topic: 'checked', messages: [{ value: good }, { value: 'bad' }, { value: good }] }));
});

test('without a registry in the broker, validation follows _schemas itself: ids registered through a standalone registry are accepted', async (t) => {
  const broker = await startBroker({ port: 0, config: { 'group.initial.rebalance.delay.ms': 0 } });
  t.after(() => broker.stop());
  const reg = await startRegistry({ bootstrap: broker.bootstrap, listener: 'http://127.0.0.1:0' });
  t.after(() => reg.close());
  assert.ok(await reg.waitForPrimary(30_000));
  const registry = new SchemaRegistry({ host: reg.url });
  const kafka = new Kafka({ clientId: 'sv2', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'checked2', configEntries: [{ name: 'samsa.value.schema.validation', value: 'true' }] }] });
  await admin.disconnect();
  const p = kafka.producer({ retry: { retries: 0 } });
  await p.connect();
  t.after(() => p.disconnect());
  const first = await registry.register({ type: SchemaType.AVRO, schema }, { subject: 'c2-value' });
  assert.equal(await rejected(p, 'checked2', { value: await registry.encode(first.id, { n: 1 }) }), 'accepted');
  assert.equal(await rejected(p, 'checked2', { value: framed(first.id + 50) }), 'INVALID_RECORD');
  // Registered after the broker started following: found by reading _schemas to its end.
  const later = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify({ type: 'record', name: 'W', fields: [] }) }, { subject: 'c3-value' });
  assert.equal(await rejected(p, 'checked2', { value: framed(later.id, Buffer.alloc(0)) }), 'accepted');
});
