/**
 * The console's schema registry page and decoding, in Chromium against a broker that serves the
 * console and the schema registry in its process (console.listeners + schema.registry.listeners):
 * Avro, JSON Schema and Protobuf schemas registered and records encoded with
 * @kafkajs/confluent-schema-registry (the Protobuf one over HTTP), produced with kafkajs; the Schemas page lists the subjects
 * with the global compatibility level, a subject shows its versions, schema text and its own
 * level; the message browser's "schema registry" view decodes each value (a hand-made Protobuf
 * value naming the second message by its message index too) and says why a plain value is not
 * decoded. A stand-alone console given --schema-registry's URL (startConsole) answers the same API.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import protobuf from 'protobufjs';
import type { Browser } from 'playwright-core';
import type { RunningRegistry } from '../../src/registry/registry.js';
import { startConsole } from '../../src/console/server.js';
import { sr } from '../helpers/registry.js';
import { launchBrowser, newPage, screenshotDir, startConsoleBroker, type ConsoleBroker } from './console-fixture.js';

let cb: ConsoleBroker;
let registry: RunningRegistry;
let browser: Browser;
const shots = screenshotDir();
before(async () => {
  cb = await startConsoleBroker({ 'schema.registry.listeners': 'http://127.0.0.1:0' });
  registry = await (cb.broker.broker.schemaRegistry as Promise<RunningRegistry>);
  if (!(await registry.waitForPrimary(60_000))) throw new Error('no registry primary within 60 s');
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await cb?.stop();
  shots.cleanup();
});

const userV1 = { type: 'record', name: 'User', namespace: 'samsa.test', fields: [{ name: 'name', type: 'string' }, { name: 'age', type: 'int' }] };
const userV2 = { ...userV1, fields: [...userV1.fields, { name: 'email', type: ['null', 'string'], default: null }] };
const orderJson = { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer' } }, required: ['sku'] };
const protoText = 'syntax = "proto3";\npackage samsa.test;\n\nmessage Order {\n  string id = 1;\n  int64 amount = 2;\n}\n\nmessage Refund {\n  string order_id = 1;\n  string reason = 2;\n}\n';

test('Schemas page lists subjects, versions, schema text and compatibility; the browser decodes Avro, JSON Schema and Protobuf values', { timeout: 180_000 }, async () => {
  const reg = new SchemaRegistry({ host: registry.url });
  const avro = await reg.register({ type: SchemaType.AVRO, schema: JSON.stringify(userV1) }, { subject: 'users-value' });
  await reg.register({ type: SchemaType.AVRO, schema: JSON.stringify(userV2) }, { subject: 'users-value', compatibility: COMPATIBILITY.BACKWARD });
  assert.equal((await sr(registry.url, 'PUT', '/config/users-value', { compatibility: 'FULL' })).status, 200);
  const json = await reg.register({ type: SchemaType.JSON, schema: JSON.stringify(orderJson) }, { subject: 'orders-value' });
  // Registered over HTTP, without a level of its own (the client above sets one on each subject).
  const protoAnswer = await sr(registry.url, 'POST', '/subjects/proto-value/versions', { schemaType: 'PROTOBUF', schema: protoText });
  assert.equal(protoAnswer.status, 200);
  const proto = protoAnswer.body as { id: number };

  // A Refund (the second message: message indexes [1]) in Confluent's wire format, by hand.
  const Refund = protobuf.parse(protoText, { keepCase: true }).root.lookupType('samsa.test.Refund');
  const refundBody = Buffer.from(Refund.encode(Refund.create({ order_id: 'o-7', reason: 'damaged' })).finish());
  const header = Buffer.alloc(5);
  header.writeInt32BE(proto.id, 1);
  const refund = Buffer.concat([header, Buffer.from([2, 2]), refundBody]);

  const kafka = new Kafka({ clientId: 'console-schemas', brokers: [cb.broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'typed', numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: 'typed',
    messages: [
      { key: 'avro', value: await reg.encode(avro.id, { name: 'ada', age: 36 }) },
      { key: 'json', value: await reg.encode(json.id, { sku: 'a-1', qty: 2 }) },
      { key: 'proto', value: await reg.encode(proto.id, { id: 'o1', amount: 1200 }) },
      { key: 'refund', value: refund },
      { key: 'plain', value: 'just text' },
    ],
  });
  await producer.disconnect();

  const { page, errors } = await newPage(browser);
  await page.goto(`${cb.url}/schemas`);
  await page.locator('[data-testid=subjects] tbody tr').nth(2).waitFor();
  assert.match(await page.getByTestId('global-compatibility').innerText(), /3 subject\(s\); global compatibility BACKWARD/);
  const subjects = await page.getByTestId('subjects').innerText();
  assert.match(subjects, /orders-value\s+1\s+1/);
  assert.match(subjects, /proto-value\s+1\s+1/);
  assert.match(subjects, /users-value\s+2\s+2/);
  await page.screenshot({ path: join(shots.dir, 'schemas.png') });

  await page.getByRole('link', { name: 'users-value' }).click();
  await page.getByTestId('schema-text').getByText('"email"').waitFor();
  assert.match(await page.getByTestId('compatibility').innerText(), /FULL\s+\(set on this subject\)/);
  assert.match(await page.getByTestId('schema').innerText(), /AVRO\s+version 2, schema id \d+/);
  await page.getByLabel('Version').selectOption('1');
  await page.getByTestId('schema').getByText('version 1,').waitFor();
  assert.equal(await page.getByTestId('schema-id').innerText(), String(avro.id));
  assert.doesNotMatch(await page.getByTestId('schema-text').innerText(), /email/);
  assert.match(await page.getByTestId('schema-text').innerText(), /"name": "User"/);
  await page.screenshot({ path: join(shots.dir, 'schema.png') });
  await page.goto(`${cb.url}/schemas/proto-value`);
  await page.getByTestId('schema-text').getByText('message Refund').waitFor();
  assert.match(await page.getByTestId('compatibility').innerText(), /BACKWARD\s+\(global\)/);

  // The message browser, decoding through the registry.
  await page.goto(`${cb.url}/topics/typed/messages`);
  await page.locator('[data-testid=messages] tbody tr').nth(4).waitFor();
  await page.getByLabel('Show as').selectOption('schema');
  const value = (offset: number) => page.locator(`[data-testid=messages] tbody tr[data-offset="${offset}"] td.val`);
  await value(0).getByText('AVRO, schema id').waitFor();
  const avroText = await value(0).innerText();
  assert.match(avroText, /"name": "ada",\s+"age": 36/);
  assert.match(avroText, new RegExp(`AVRO, schema id ${avro.id}`));
  assert.match(await value(1).innerText(), new RegExp(`"sku": "a-1",\\s+"qty": 2[\\s\\S]*JSON, schema id ${json.id}`));
  // @kafkajs/confluent-schema-registry writes Protobuf without message indexes: decoded as the first message, with a note.
  assert.match(await value(2).innerText(), new RegExp(`"Order": \\{\\s+"id": "o1",\\s+"amount": "1200"[\\s\\S]*PROTOBUF, schema id ${proto.id} \\(no message indexes: decoded as Order\\)`));
  const refundText = await value(3).innerText();
  assert.match(refundText, /"Refund": \{\s+"order_id": "o-7",\s+"reason": "damaged"/);
  assert.doesNotMatch(refundText, /no message indexes/);
  assert.match(await value(4).innerText(), /just text[\s\S]*not in the schema registry wire format/);
  await page.screenshot({ path: join(shots.dir, 'messages-schema.png') });
  assert.deepEqual(errors, []);
});

test('a stand-alone console with a schema registry URL answers the schema API; without one the page is absent', { timeout: 60_000 }, async () => {
  const withRegistry = await startConsole({ bootstrap: [cb.broker.bootstrap], port: 0, schemaRegistryUrl: registry.url });
  const without = await startConsole({ bootstrap: [cb.broker.bootstrap], port: 0 });
  try {
    assert.equal(((await (await fetch(`${withRegistry.url}/api/features`)).json()) as { schemaRegistry: boolean }).schemaRegistry, true);
    const subject = (await (await fetch(`${withRegistry.url}/api/schemas/users-value`)).json()) as { versions: number[]; compatibility: string; compatibilitySource: string; latest: { version: number; schemaType: string } };
    assert.deepEqual(subject.versions, [1, 2]);
    assert.equal(subject.compatibility, 'FULL');
    assert.equal(subject.compatibilitySource, 'subject');
    assert.equal(subject.latest.schemaType, 'AVRO');
    const missing = await fetch(`${withRegistry.url}/api/schemas/nope-value`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'REGISTRY_40401');
    const msgs = (await (await fetch(`${withRegistry.url}/api/topics/typed/messages?mode=offset&offset=0&limit=1&decode=schema`)).json()) as { records: { value: { decoded: { schemaType: string; json: string } } }[] };
    assert.equal(msgs.records[0]?.value.decoded.schemaType, 'AVRO');
    assert.deepEqual(JSON.parse(msgs.records[0]?.value.decoded.json ?? 'null'), { name: 'ada', age: 36 });

    assert.equal(((await (await fetch(`${without.url}/api/features`)).json()) as { schemaRegistry: boolean }).schemaRegistry, false);
    assert.equal((await fetch(`${without.url}/api/schemas`)).status, 404);
    assert.equal((await fetch(`${without.url}/api/topics/typed/messages?decode=schema`)).status, 400);
  } finally {
    await withRegistry.close();
    await without.close();
  }
});
