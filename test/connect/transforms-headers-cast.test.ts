/**
 * Cast, HeaderFrom, InsertHeader and DropHeaders by Kafka's class names and settings, driven in
 * memory: Java's narrowing, string parsing, schemas following the cast, headers from fields with
 * copy and move, and the configuration errors Kafka gives.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectRecord } from '../../src/connect/api.js';
import { applyTransforms, buildTransforms } from '../../src/connect/transforms.js';

const rec = (over: Partial<ConnectRecord> = {}): ConnectRecord => ({ topic: 't', kafkaPartition: 0, key: { k: '12' }, value: { id: '42', big: 300, f: 3.99, neg: -1.7, flag: 'TRUE', n: 0, name: 'ann' }, timestamp: null, headers: [{ key: 'keep', value: Buffer.from('x') }], ...over });
const run = (config: Record<string, string>, r: ConnectRecord = rec()): ConnectRecord | null => applyTransforms(buildTransforms(config), r);
const T = 'org.apache.kafka.connect.transforms.';

test('Cast$Value: per-field casts with Java narrowing and string parsing; the schema follows', () => {
  const out = run({ transforms: 'c', 'transforms.c.type': `${T}Cast$Value`, 'transforms.c.spec': 'id:int64,big:int8,f:int32,neg:int16,flag:boolean,n:boolean,name:string' });
  assert.deepEqual(out?.value, { id: 42, big: 44, f: 3, neg: -1, flag: true, n: false, name: 'ann' });
  const withSchema = run(
    { transforms: 'c', 'transforms.c.type': `${T}Cast$Value`, 'transforms.c.spec': 'id:int32' },
    rec({ value: { id: '7', name: 'x' }, valueSchema: { type: 'struct', name: 'r', fields: [{ field: 'id', type: 'string' }, { field: 'name', type: 'string' }] } }),
  );
  assert.deepEqual(withSchema?.value, { id: 7, name: 'x' });
  assert.deepEqual(withSchema?.valueSchema?.fields?.map((f) => [f.field, f.type]), [['id', 'int32'], ['name', 'string']]);
  assert.equal(withSchema?.valueSchema?.name, 'r');
});

test('Cast: the whole key or value, float32 rounding, nulls pass, bad input and bad spec', () => {
  assert.equal(run({ transforms: 'c', 'transforms.c.type': `${T}Cast$Value`, 'transforms.c.spec': 'float64' }, rec({ value: '2.5' }))?.value, 2.5);
  assert.equal(run({ transforms: 'c', 'transforms.c.type': `${T}Cast$Value`, 'transforms.c.spec': 'float32' }, rec({ value: 0.1 }))?.value, Math.fround(0.1));
  assert.equal(run({ transforms: 'c', 'transforms.c.type': `${T}Cast$Value`, 'transforms.c.spec': 'string' }, rec({ value: true }))?.value, 'true');
  assert.equal(run({ transforms: 'c', 'transforms.c.type': `${T}Cast$Value`, 'transforms.c.spec': 'int32' }, rec({ value: null }))?.value, null);
  assert.deepEqual(run({ transforms: 'c', 'transforms.c.type': `${T}Cast$Key`, 'transforms.c.spec': 'k:int32' })?.key, { k: 12 });
  assert.throws(() => run({ transforms: 'c', 'transforms.c.type': `${T}Cast$Value`, 'transforms.c.spec': 'int32' }, rec({ value: '1.5' })), (e: Error) => e.name === 'DataException');
  assert.throws(() => run({ transforms: 'c', 'transforms.c.type': `${T}Cast$Value`, 'transforms.c.spec': 'id:uuid' }), (e: Error) => e.name === 'ConfigException');
  assert.throws(() => run({ transforms: 'c', 'transforms.c.type': `${T}Cast`, 'transforms.c.spec': 'int32' }), /could not be found/);
});

test('HeaderFrom$Value copy and move, HeaderFrom$Key; InsertHeader; DropHeaders', () => {
  const copy = run({ transforms: 'h', 'transforms.h.type': `${T}HeaderFrom$Value`, 'transforms.h.fields': 'id,big,name', 'transforms.h.headers': 'the-id,the-big,who', 'transforms.h.operation': 'copy' });
  assert.deepEqual(copy?.headers.map((h) => [h.key, h.value?.toString() ?? null]), [['keep', 'x'], ['the-id', '42'], ['the-big', '300'], ['who', 'ann']]);
  assert.equal((copy?.value as Record<string, unknown>)['name'], 'ann');
  const move = run(
    { transforms: 'h', 'transforms.h.type': `${T}HeaderFrom$Value`, 'transforms.h.fields': 'name', 'transforms.h.headers': 'who', 'transforms.h.operation': 'move' },
    rec({ value: { id: 1, name: 'bo', tags: ['a'] }, valueSchema: { type: 'struct', fields: [{ field: 'id', type: 'int64' }, { field: 'name', type: 'string' }, { field: 'tags', type: 'array', items: { type: 'string' } }] } }),
  );
  assert.deepEqual(move?.value, { id: 1, tags: ['a'] });
  assert.deepEqual(move?.valueSchema?.fields?.map((f) => f.field), ['id', 'tags']);
  assert.equal(move?.headers.find((h) => h.key === 'who')?.value?.toString(), 'bo');
  const key = run({ transforms: 'h', 'transforms.h.type': `${T}HeaderFrom$Key`, 'transforms.h.fields': 'k', 'transforms.h.headers': 'key-k', 'transforms.h.operation': 'copy' });
  assert.equal(key?.headers.at(-1)?.value?.toString(), '12');
  assert.throws(() => run({ transforms: 'h', 'transforms.h.type': `${T}HeaderFrom$Value`, 'transforms.h.fields': 'a,b', 'transforms.h.headers': 'x', 'transforms.h.operation': 'copy' }), /same number of elements/);
  assert.throws(() => run({ transforms: 'h', 'transforms.h.type': `${T}HeaderFrom$Value`, 'transforms.h.fields': 'a', 'transforms.h.headers': 'x', 'transforms.h.operation': 'swap' }), /must be one of: move, copy/);

  const inserted = run({ transforms: 'i,d', 'transforms.i.type': `${T}InsertHeader`, 'transforms.i.header': 'source', 'transforms.i.value.literal': 'pg', 'transforms.d.type': `${T}DropHeaders`, 'transforms.d.headers': 'keep' });
  assert.deepEqual(inserted?.headers.map((h) => [h.key, h.value?.toString()]), [['source', 'pg']]);
});
