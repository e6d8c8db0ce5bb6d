/**
 * Confluent Schema Registry's REST semantics over HTTP (fetch), against a broker serving the
 * registry: ids shared across subjects and stable modulo whitespace, versions, lookup, soft and
 * hard deletes with Confluent's error codes, config and mode with defaultToGlobal, compatibility
 * checks with verbose, references (Avro named types, Protobuf imports, JSON $ref), content types.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRegistry } from '../../src/registry/registry.js';
import { startBrokerWithRegistry, sr, SR_CONTENT_TYPE, type BrokerWithRegistry } from '../helpers/registry.js';

let env: BrokerWithRegistry;
before(async () => {
  env = await startBrokerWithRegistry();
});
after(async () => {
  await env?.stop();
});

const code = (a: { body: unknown }): number => (a.body as { error_code: number }).error_code;
const avro = (name: string, fields: unknown[]): string => JSON.stringify({ type: 'record', name, fields });

test('one id per distinct schema: across subjects, modulo whitespace; versions, lookup, GET by id and content type', async () => {
  const s = avro('Pt', [{ name: 'x', type: 'int' }]);
  const spaced = JSON.stringify(JSON.parse(s), null, 2);
  const a = await sr(env.url, 'POST', '/subjects/pt-a/versions', { schema: s });
  assert.equal(a.status, 200);
  assert.ok(a.contentType?.startsWith(SR_CONTENT_TYPE));
  const id = (a.body as { id: number }).id;
  assert.deepEqual((await sr(env.url, 'POST', '/subjects/pt-a/versions', { schema: spaced })).body, { id }, 'same schema again: same id, no new version');
  assert.deepEqual((await sr(env.url, 'POST', '/subjects/pt-b/versions', { schema: spaced })).body, { id }, 'same schema in another subject: same id');
  assert.deepEqual((await sr(env.url, 'GET', '/subjects/pt-a/versions')).body, [1]);
  assert.deepEqual((await sr(env.url, 'GET', `/schemas/ids/${id}`)).body, { schema: s });
  assert.deepEqual((await sr(env.url, 'GET', `/schemas/ids/${id}/versions`)).body, [{ subject: 'pt-a', version: 1 }, { subject: 'pt-b', version: 1 }]);
  assert.deepEqual((await sr(env.url, 'GET', `/schemas/ids/${id}/subjects`)).body, ['pt-a', 'pt-b']);
  assert.deepEqual((await sr(env.url, 'GET', '/subjects/pt-a/versions/latest')).body, { subject: 'pt-a', version: 1, id, schema: s });
  assert.deepEqual((await sr(env.url, 'GET', '/subjects/pt-a/versions/-1/schema')).body, JSON.parse(s));
  assert.deepEqual((await sr(env.url, 'POST', '/subjects/pt-b', { schema: spaced })).body, { subject: 'pt-b', version: 1, id, schema: s });
  // A plain application/json body is accepted too.
  const plain = await fetch(`${env.url}/subjects/pt-b`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: s }) });
  assert.equal(plain.status, 200);
  assert.deepEqual((await sr(env.url, 'GET', '/schemas/types')).body, ['JSON', 'PROTOBUF', 'AVRO']);
  assert.deepEqual((await sr(env.url, 'GET', '/subjects?subjectPrefix=pt-')).body, ['pt-a', 'pt-b']);
  assert.deepEqual((await sr(env.url, 'GET', '/schemas?subjectPrefix=pt-&latestOnly=true')).body, [
    { subject: 'pt-a', version: 1, id, schema: s },
    { subject: 'pt-b', version: 1, id, schema: s },
  ]);
});

test("Confluent's errors: 40401, 40402, 40403, 42201, 42202, 42203, 409 with a JSON body", async () => {
  const missing = await sr(env.url, 'GET', '/subjects/nope/versions');
  assert.equal(missing.status, 404);
  assert.equal(code(missing), 40401);
  assert.ok(typeof (missing.body as { message: string }).message === 'string');
  await sr(env.url, 'POST', '/subjects/err/versions', { schema: avro('E1', [{ name: 'a', type: 'int' }]) });
  assert.equal(code(await sr(env.url, 'GET', '/subjects/err/versions/7')), 40402);
  assert.equal(code(await sr(env.url, 'GET', '/schemas/ids/99999')), 40403);
  assert.equal(code(await sr(env.url, 'POST', '/subjects/err', { schema: avro('Other', [{ name: 'a', type: 'int' }]) })), 40403);
  const bad = await sr(env.url, 'POST', '/subjects/err/versions', { schema: '{"type":"record","name":"X"' });
  assert.equal(bad.status, 422);
  assert.equal(code(bad), 42201);
  assert.equal(code(await sr(env.url, 'POST', '/subjects/err/versions', { schema: '{"type":"nosuchtype"}' })), 42201);
  assert.equal(code(await sr(env.url, 'POST', '/subjects/err/versions', { schemaType: 'PROTOBUF', schema: 'message {' })), 42201);
  assert.equal(code(await sr(env.url, 'POST', '/subjects/err/versions', { schemaType: 'JSON', schema: '{"type": 12}' })), 42201);
  const v = await sr(env.url, 'GET', '/subjects/err/versions/abc');
  assert.equal(v.status, 422);
  assert.equal(code(v), 42202);
  assert.equal(code(await sr(env.url, 'GET', '/subjects/err/versions/0')), 42202);
  assert.equal(code(await sr(env.url, 'PUT', '/config/err', { compatibility: 'SIDEWAYS' })), 42203);
  const inc = await sr(env.url, 'POST', '/subjects/err/versions', { schema: avro('E1', [{ name: 'a', type: 'string' }]) });
  assert.equal(inc.status, 409);
  assert.equal(code(inc), 409);
});

test('soft then hard deletes of versions and subjects (40404, 40405, 40406, 40407), deleted=true listings', async () => {
  const s1 = avro('D', [{ name: 'a', type: 'int' }]);
  const s2 = avro('D', [{ name: 'a', type: 'int' }, { name: 'b', type: 'int', default: 1 }]);
  const id1 = ((await sr(env.url, 'POST', '/subjects/del/versions', { schema: s1 })).body as { id: number }).id;
  await sr(env.url, 'POST', '/subjects/del/versions', { schema: s2 });
  assert.equal(code(await sr(env.url, 'DELETE', '/subjects/del/versions/1?permanent=true')), 40407, 'hard delete before soft');
  assert.deepEqual((await sr(env.url, 'DELETE', '/subjects/del/versions/1')).body, 1);
  assert.equal(code(await sr(env.url, 'DELETE', '/subjects/del/versions/1')), 40406, 'soft delete twice');
  assert.deepEqual((await sr(env.url, 'GET', '/subjects/del/versions')).body, [2]);
  assert.deepEqual((await sr(env.url, 'GET', '/subjects/del/versions?deleted=true')).body, [1, 2]);
  assert.equal(code(await sr(env.url, 'GET', '/subjects/del/versions/1')), 40402);
  assert.equal((await sr(env.url, 'GET', '/subjects/del/versions/1?deleted=true')).status, 200);
  assert.equal((await sr(env.url, 'GET', `/schemas/ids/${id1}`)).status, 200, 'a soft-deleted version keeps its schema id readable');
  assert.deepEqual((await sr(env.url, 'DELETE', '/subjects/del/versions/1?permanent=true')).body, 1);
  assert.deepEqual((await sr(env.url, 'GET', '/subjects/del/versions?deleted=true')).body, [2]);

  assert.equal(code(await sr(env.url, 'DELETE', '/subjects/del?permanent=true')), 40405, 'hard delete of a live subject');
  assert.deepEqual((await sr(env.url, 'DELETE', '/subjects/del')).body, [2]);
  assert.equal(code(await sr(env.url, 'DELETE', '/subjects/del')), 40404);
  assert.ok(!((await sr(env.url, 'GET', '/subjects')).body as string[]).includes('del'));
  assert.ok(((await sr(env.url, 'GET', '/subjects?deleted=true')).body as string[]).includes('del'));
  assert.deepEqual((await sr(env.url, 'DELETE', '/subjects/del?permanent=true')).body, [2]);
  assert.ok(!((await sr(env.url, 'GET', '/subjects?deleted=true')).body as string[]).includes('del'));
  assert.equal(code(await sr(env.url, 'GET', '/subjects/del/versions')), 40401);
});

test('config and mode: global and per subject, defaultToGlobal, 40408, DELETE; READONLY refuses writes', async () => {
  assert.deepEqual((await sr(env.url, 'GET', '/config')).body, { compatibilityLevel: 'BACKWARD' });
  assert.equal(code(await sr(env.url, 'GET', '/config/cfg')), 40408);
  assert.deepEqual((await sr(env.url, 'GET', '/config/cfg?defaultToGlobal=true')).body, { compatibilityLevel: 'BACKWARD' });
  assert.deepEqual((await sr(env.url, 'PUT', '/config/cfg', { compatibility: 'FULL_TRANSITIVE' })).body, { compatibility: 'FULL_TRANSITIVE' });
  assert.deepEqual((await sr(env.url, 'GET', '/config/cfg')).body, { compatibilityLevel: 'FULL_TRANSITIVE' });
  assert.deepEqual((await sr(env.url, 'DELETE', '/config/cfg')).body, { compatibilityLevel: 'FULL_TRANSITIVE' });
  assert.equal(code(await sr(env.url, 'GET', '/config/cfg')), 40408);
  assert.deepEqual((await sr(env.url, 'GET', '/mode')).body, { mode: 'READWRITE' });
  assert.deepEqual((await sr(env.url, 'PUT', '/mode/ro', { mode: 'READONLY' })).body, { mode: 'READONLY' });
  const refused = await sr(env.url, 'POST', '/subjects/ro/versions', { schema: '"string"' });
  assert.equal(refused.status, 422);
  assert.equal(code(refused), 42205);
  assert.deepEqual((await sr(env.url, 'DELETE', '/mode/ro')).body, { mode: 'READONLY' });
  assert.equal((await sr(env.url, 'POST', '/subjects/ro/versions', { schema: '"string"' })).status, 200);
});

test('compatibility endpoint: latest, a version, all versions, verbose messages', async () => {
  await sr(env.url, 'POST', '/subjects/cmp/versions', { schema: avro('C', [{ name: 'a', type: 'int' }]) });
  const good = avro('C', [{ name: 'a', type: 'long' }]);
  const badOne = avro('C', [{ name: 'a', type: 'int' }, { name: 'z', type: 'string' }]);
  assert.deepEqual((await sr(env.url, 'POST', '/compatibility/subjects/cmp/versions/latest', { schema: good })).body, { is_compatible: true });
  assert.deepEqual((await sr(env.url, 'POST', '/compatibility/subjects/cmp/versions/1', { schema: badOne })).body, { is_compatible: false });
  const verbose = (await sr(env.url, 'POST', '/compatibility/subjects/cmp/versions?verbose=true', { schema: badOne })).body as { is_compatible: boolean; messages: string[] };
  assert.equal(verbose.is_compatible, false);
  assert.ok(verbose.messages.some((m) => m.includes('z')), verbose.messages.join('\n'));
});

test('references: Avro named type, Protobuf import and JSON $ref resolve from other subjects; a referenced version cannot be deleted (42206)', async () => {
  const addr = JSON.stringify({ type: 'record', name: 'Address', namespace: 'r', fields: [{ name: 'city', type: 'string' }] });
  assert.equal((await sr(env.url, 'POST', '/subjects/address/versions', { schema: addr })).status, 200);
  const person = JSON.stringify({ type: 'record', name: 'Person', namespace: 'r', fields: [{ name: 'home', type: 'r.Address' }] });
  assert.equal(code(await sr(env.url, 'POST', '/subjects/person/versions', { schema: person })), 42201, 'unknown named type without the reference');
  const withRef = await sr(env.url, 'POST', '/subjects/person/versions', { schema: person, references: [{ name: 'r.Address', subject: 'address', version: 1 }] });
  assert.equal(withRef.status, 200, JSON.stringify(withRef.body));
  const pid = (withRef.body as { id: number }).id;
  assert.deepEqual((await sr(env.url, 'GET', `/schemas/ids/${pid}`)).body, { references: [{ name: 'r.Address', subject: 'address', version: 1 }], schema: person });
  assert.equal(code(await sr(env.url, 'DELETE', '/subjects/address/versions/1')), 42206);

  const common = 'syntax = "proto3";\npackage c;\nmessage Money { int64 cents = 1; }\n';
  await sr(env.url, 'POST', '/subjects/money.proto/versions', { schemaType: 'PROTOBUF', schema: common });
  const order = 'syntax = "proto3";\npackage o;\nimport "money.proto";\nmessage Order { c.Money total = 1; }\n';
  assert.equal(code(await sr(env.url, 'POST', '/subjects/order/versions', { schemaType: 'PROTOBUF', schema: order })), 42201);
  assert.equal((await sr(env.url, 'POST', '/subjects/order/versions', { schemaType: 'PROTOBUF', schema: order, references: [{ name: 'money.proto', subject: 'money.proto', version: 1 }] })).status, 200);

  const sku = JSON.stringify({ type: 'string', pattern: '^[A-Z]{3}$' });
  await sr(env.url, 'POST', '/subjects/sku/versions', { schemaType: 'JSON', schema: sku });
  const item = JSON.stringify({ type: 'object', properties: { sku: { $ref: 'sku.json' } } });
  assert.equal((await sr(env.url, 'POST', '/subjects/item/versions', { schemaType: 'JSON', schema: item, references: [{ name: 'sku.json', subject: 'sku', version: 1 }] })).status, 200);
});

test('normalize: Protobuf and JSON schemas that differ only in layout (and JSON key order with normalize=true) get one id', async () => {
  const p1 = 'syntax = "proto3";\npackage n;\n// a comment\nmessage M {\n  string a = 1;\n}\n';
  const p2 = 'syntax="proto3"; package n; message M { string a = 1; }';
  const i1 = ((await sr(env.url, 'POST', '/subjects/norm-p/versions', { schemaType: 'PROTOBUF', schema: p1 })).body as { id: number }).id;
  assert.deepEqual((await sr(env.url, 'POST', '/subjects/norm-p/versions', { schemaType: 'PROTOBUF', schema: p2 })).body, { id: i1 });
  const j1 = JSON.stringify({ type: 'object', properties: { a: { type: 'string' } } });
  const j2 = JSON.stringify({ properties: { a: { type: 'string' } }, type: 'object' });
  const k1 = ((await sr(env.url, 'POST', '/subjects/norm-j/versions?normalize=true', { schemaType: 'JSON', schema: j1 })).body as { id: number }).id;
  assert.deepEqual((await sr(env.url, 'POST', '/subjects/norm-j/versions?normalize=true', { schemaType: 'JSON', schema: j2 })).body, { id: k1 });
});

test('a registry start still waiting for Kafka is aborted by its signal (a broker stopping meanwhile does not hang)', async () => {
  const ac = new AbortController();
  // Port 1: nothing listens, so the registry keeps retrying to reach the cluster.
  const starting = startRegistry({ bootstrap: '127.0.0.1:1', listener: 'http://127.0.0.1:0', startTimeoutMs: 120_000, signal: ac.signal });
  const t0 = Date.now();
  setTimeout(() => ac.abort(), 300);
  await assert.rejects(starting, /aborted/);
  const ms = Date.now() - t0;
  console.log(`aborted registry start settled after ${ms} ms`);
  assert.ok(ms < 20_000, `liveness: settled after ${ms} ms`);
});
